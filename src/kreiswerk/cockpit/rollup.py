"""The cockpit's daily and monthly figures, kept exact without counting two million rows per page view.

Submissions are summed in ``SubmissionDay`` (one row per day and assistant) and
processing times in ``ClosedCaseDay`` (a histogram per closing day and case type);
``SubmissionMonth`` and ``ClosedCaseMonth`` hold the same per month, so a year is read
from twelve months and the days at its edges. Whenever something changes what those
rows say (a submission arrives, a case is opened or closed, a Rückfrage is asked, a fee
is paid, a delivery reaches its Fachverfahren) the day concerned is marked stale, in
the same transaction. Before figures are read, ``rollup_refresh`` recomputes the stale
days from the platform's own tables and then their months from the days. The runner
counts steps per day and per month itself (``StepCount``, ``StepCountMonth``). The
receivers here only mark; the platform's apps do not know the cockpit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from kreiswerk.cases.models import Case, Inquiry
from kreiswerk.handoff.models import DeliveryEvent
from kreiswerk.payments.models import Payment, PaymentEvent, Status
from kreiswerk.runner.models import StepCount
from kreiswerk.submissions.models import Submission

from .models import ClosedCaseDay, StaleDay, SubmissionDay


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware instants at which a local day begins and the next one begins."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def month_after(month: date) -> date:
    """The first day of the month after the one ``month`` lies in."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def day_mark_stale(kind: str, moment: datetime | None) -> None:
    if moment is None:
        return
    # Always a new row (no get-or-create): a refresh that already read the old mark still
    # leaves this one, so the change is counted next time.
    StaleDay.objects.create(kind=kind, day=local_day(moment))


# --- what marks a day stale ------------------------------------------------------------------


@receiver(post_save, sender=Submission, dispatch_uid="cockpit_submission")
def _submission_saved(sender, instance: Submission, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.submitted_at)


@receiver(post_save, sender=Payment, dispatch_uid="cockpit_payment")
def _payment_saved(sender, instance: Payment, raw: bool = False, **kwargs) -> None:
    if not raw:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.submission.submitted_at)


@receiver(post_save, sender=PaymentEvent, dispatch_uid="cockpit_payment_event")
def _payment_event_saved(sender, instance: PaymentEvent, created: bool, raw: bool = False, **kwargs) -> None:
    # A booking is written with ``Payment.objects.update()`` (no post_save of Payment), but
    # every change of a payment's status is recorded as an event.
    if created and not raw and instance.status == Status.BOOKED:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.payment.submission.submitted_at)


@receiver(post_save, sender=Case, dispatch_uid="cockpit_case")
def _case_saved(sender, instance: Case, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if created and instance.submission_id:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.submission.submitted_at)
    day_mark_stale(StaleDay.Kind.CLOSED, instance.closed_at)


@receiver(post_save, sender=Inquiry, dispatch_uid="cockpit_inquiry")
def _inquiry_saved(sender, instance: Inquiry, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and instance.case.submission_id:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.case.submission.submitted_at)


@receiver(post_save, sender=DeliveryEvent, dispatch_uid="cockpit_delivery")
def _delivery_event_saved(sender, instance: DeliveryEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw and instance.kind == DeliveryEvent.Kind.DELIVERED:
        day_mark_stale(StaleDay.Kind.SUBMITTED, instance.delivery.submission.submitted_at)


# --- recomputing ------------------------------------------------------------------------------


def submission_day_rows(first: date, last: date) -> list[SubmissionDay]:
    """The figures of the days ``first``..``last``, counted on the platform's tables (tests left out)."""
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    submission = OuterRef("pk")
    case = Case.objects.filter(submission=submission)
    delivered = DeliveryEvent.objects.filter(delivery__submission=submission, kind=DeliveryEvent.Kind.DELIVERED)
    inquiry = Inquiry.objects.filter(case__submission=submission)
    paid = Payment.objects.filter(submission=submission, status=Status.BOOKED)
    payment = Payment.objects.filter(submission=submission)
    rows = (
        Submission.objects.filter(submitted_at__gte=start, submitted_at__lt=end, is_test=False)
        .annotate(local_day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("local_day", "assistant_id")
        .annotate(
            total=Count("pk"),
            digital=Count("pk", filter=Q(Exists(case)) | Q(Exists(delivered))),
            inquired=Count("pk", filter=Q(Exists(inquiry))),
            fee=Count("pk", filter=Q(Exists(payment)) | Q(awaiting_payment_since__isnull=False)),
            paid=Count("pk", filter=Q(Exists(paid))),
        )
        .order_by()
    )
    return [
        SubmissionDay(
            day=row["local_day"],
            assistant_id=row["assistant_id"],
            submissions=row["total"],
            digital_intake=row["digital"],
            with_inquiry=row["inquired"],
            with_fee=row["fee"],
            paid_online=row["paid"],
        )
        for row in rows
    ]


def closed_case_day_rows(first: date, last: date) -> list[ClosedCaseDay]:
    """Cases closed on the days ``first``..``last`` by day, case type and whole days from receipt to closing."""
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    histogram: dict[tuple[date, int, int], int] = defaultdict(int)
    closed = Case.objects.filter(closed_at__gte=start, closed_at__lt=end).values_list(
        "case_type_id", "received_at", "closed_at"
    )
    for case_type_id, received_at, closed_at in closed.iterator():
        day = local_day(closed_at)
        histogram[day, case_type_id, max((day - local_day(received_at)).days, 0)] += 1
    return [
        ClosedCaseDay(day=day, case_type_id=case_type_id, duration_days=days, cases=count)
        for (day, case_type_id, days), count in histogram.items()
    ]


def _runs(days: Iterable[date], following=lambda day: day + timedelta(days=1)) -> list[tuple[date, date]]:
    """Sorted days (or months) as runs of consecutive ones: one query per run instead of one per day."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == following(runs[-1][1]):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


@dataclass(frozen=True)
class MonthlySums:
    """A table of monthly rows that sum the rows of a daily table kept by the same ``keys``."""

    daily: str
    monthly: str
    keys: tuple[str, ...]
    counts: tuple[str, ...]


SUBMISSIONS = MonthlySums("cockpit.SubmissionDay", "cockpit.SubmissionMonth", ("assistant_id",), SubmissionDay.COUNTS)
CLOSINGS = MonthlySums(
    "cockpit.ClosedCaseDay", "cockpit.ClosedCaseMonth", ("case_type_id", "duration_days"), ClosedCaseDay.COUNTS
)
STEPS = MonthlySums("runner.StepCount", "runner.StepCountMonth", ("assistant_id", "step"), StepCount.COUNTS)


def months_sum(sums: MonthlySums, days: Iterable[date]) -> None:
    """Replace the monthly rows of the months the ``days`` lie in by the sums of their daily rows."""
    daily, monthly = apps.get_model(sums.daily), apps.get_model(sums.monthly)
    for first, last in _runs({day.replace(day=1) for day in days}, following=month_after):
        monthly.objects.filter(month__gte=first, month__lte=last).delete()
        rows = (
            daily.objects.filter(day__gte=first, day__lt=month_after(last))
            .annotate(in_month=TruncMonth("day"))
            .values("in_month", *sums.keys)
            .annotate(**{f"sum_{name}": Sum(name) for name in sums.counts})
            .order_by()
        )
        monthly.objects.bulk_create(
            (
                monthly(
                    month=row["in_month"],
                    **{key: row[key] for key in sums.keys},
                    **{name: row[f"sum_{name}"] for name in sums.counts},
                )
                for row in rows
            ),
            batch_size=2000,
        )


# Any constant: the key of the PostgreSQL advisory lock that serialises recomputing.
ROLLUP_LOCK = 0x6B770001


def rollup_lock() -> None:
    """Hold the rollup lock until the transaction ends.

    Two page views refreshing the same day at once would each delete its rows and insert
    new ones; the second insert would break the unique constraint. SQLite serialises
    writers anyway; PostgreSQL needs the lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])


def rollup_days(*, submitted: Iterable[date] = (), closed: Iterable[date] = ()) -> None:
    """Recompute the given days and then their months; each is replaced as a whole, in one transaction."""
    submitted, closed = list(submitted), list(closed)
    with transaction.atomic():
        rollup_lock()
        for first, last in _runs(submitted):
            SubmissionDay.objects.filter(day__gte=first, day__lte=last).delete()
            SubmissionDay.objects.bulk_create(submission_day_rows(first, last), batch_size=2000)
        for first, last in _runs(closed):
            ClosedCaseDay.objects.filter(day__gte=first, day__lte=last).delete()
            ClosedCaseDay.objects.bulk_create(closed_case_day_rows(first, last), batch_size=2000)
        months_sum(SUBMISSIONS, submitted)
        months_sum(CLOSINGS, closed)


def rollup_refresh() -> int:
    """Recompute every stale day; returns how many marks there were.

    Only the marks read are removed: a mark committed meanwhile stays and its day is
    recomputed next time, so no change is ever left uncounted. The marks are read under
    the lock, so a refresh that waited for another sees what that one left.
    """
    if not StaleDay.objects.exists():
        return 0
    with transaction.atomic():
        rollup_lock()
        stale = list(StaleDay.objects.values_list("pk", "kind", "day"))
        if not stale:
            return 0
        rollup_days(
            submitted=[day for _pk, kind, day in stale if kind == StaleDay.Kind.SUBMITTED],
            closed=[day for _pk, kind, day in stale if kind == StaleDay.Kind.CLOSED],
        )
        StaleDay.objects.filter(pk__in=[pk for pk, _kind, _day in stale]).delete()
    return len(stale)


def rollup_rebuild(*, start: date, end: date) -> None:
    """Recompute every day from ``start`` to ``end`` and their months (after a restore or a bulk import).

    The step counts are the runner's own; only their months are summed again.
    """
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    with transaction.atomic():
        rollup_days(submitted=days, closed=days)
        months_sum(STEPS, days)
