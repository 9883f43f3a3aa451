"""The hand-off's jobs: create the deliveries of a submission, attempt each one.

``submission_case_open`` starts the hand-off (``handoff_enqueue``) once the case is open. Each delivery
is its own job, so a slow or absent destination never holds up another. Jobs take ids
only: the job table is not encrypted.
"""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from kreiswerk.jobs import enqueue_on_commit, retrying_task
from kreiswerk.submissions.models import Submission

from .models import Delivery, Destination
from .services import deliveries_create, delivery_attempt


def handoff_enqueue(submission: Submission) -> None:
    """Start the hand-off of a submission, unless its assistant has no active destination (most have none)."""
    if Destination.objects.filter(assistant_id=submission.assistant_id, is_active=True).exists():
        handoff_start.enqueue(submission_id=str(submission.pk))


@retrying_task()
def handoff_start(*, submission_id: str) -> None:
    submission = Submission.objects.get(pk=submission_id)
    for delivery in deliveries_create(submission=submission):
        if delivery.status == Delivery.Status.PENDING:
            delivery_send.enqueue(delivery_id=str(delivery.pk))


@task()
def delivery_send(*, delivery_id: str, now: str | None = None) -> None:
    """One attempt; a failed one is scheduled again (or left to ``deliveries_requeue_due``)."""
    delivery = delivery_attempt(delivery_id=delivery_id, now=datetime.fromisoformat(now) if now else None)
    if delivery.status == Delivery.Status.PENDING and delivery.next_attempt_at is not None:
        backend = delivery_send.get_backend()
        # A queue that cannot defer (the tests' in-process one) leaves the retry to housekeeping.
        if backend.supports_defer:
            delivery_send.using(run_after=delivery.next_attempt_at).enqueue(delivery_id=delivery_id)


def delivery_enqueue(delivery: Delivery, *, now: datetime | None = None) -> None:
    """Start an attempt once the surrounding transaction has committed."""
    kwargs = {"delivery_id": str(delivery.pk)}
    if now is not None:
        kwargs["now"] = now.isoformat()
    enqueue_on_commit(delivery_send, **kwargs)
