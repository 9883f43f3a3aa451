"""Destinations and deliveries: who gets a submission, and getting it there exactly once.

A delivery is claimed by a conditional UPDATE (no lock is held while the destination
answers), attempted, then recorded. A worker that dies mid-attempt leaves the claim to
expire; ``deliveries_requeue_due`` (run by housekeeping) picks such rows up again, and
the destination recognises the repeat by the delivery's id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kreiswerk.assistants.models import Assistant
from kreiswerk.audit.services import audit_record
from kreiswerk.cases.services import case_arrival_record
from kreiswerk.jobs import backoff_seconds
from kreiswerk.submissions.models import Submission

from .base import Outcome, Refused, Unreachable
from .models import Delivery, DeliveryEvent, Destination
from .package import PackageInvalid, package_build
from .registry import channel_for

logger = logging.getLogger(__name__)

# Longer than an HTTP attempt may take (30 s) plus building the package.
LEASE = timedelta(minutes=5)
MAX_RETRY_DELAY_SECONDS = 3600
DESTINATION_FIELDS = ("name", "kind", "url", "public_key", "destination_id", "secret", "email", "include_tests")


# --- destinations ----------------------------------------------------------------------------


def destination_check(destination: Destination) -> None:
    """Raise ``ValidationError`` (by field, German) if the channel cannot use these settings."""
    errors = {}
    if not destination.name.strip():
        errors["name"] = _("Bitte geben Sie eine Bezeichnung an.")
    elif (
        Destination.objects.filter(assistant_id=destination.assistant_id, name=destination.name)
        .exclude(pk=destination.pk)
        .exists()
    ):
        errors["name"] = _("Dieser Antragsassistent hat schon ein Übergabeziel mit dieser Bezeichnung.")
    if destination.kind not in Destination.Kind.values:
        errors["kind"] = _("Diese Art der Übergabe gibt es nicht.")
    else:
        errors.update(channel_for(destination.kind).clean(destination))
    if errors:
        raise ValidationError(errors)


def destination_create(*, assistant: Assistant, actor=None, **fields) -> Destination:
    destination = Destination(assistant=assistant, **{key: fields[key] for key in DESTINATION_FIELDS if key in fields})
    destination_check(destination)
    with transaction.atomic():
        destination.save()
        audit_record(action="handoff.destination.create", target=destination, actor=actor, details=_facts(destination))
    return destination


def destination_update(*, destination: Destination, actor=None, **fields) -> Destination:
    for key in DESTINATION_FIELDS:
        if key in fields and key != "kind":  # a destination keeps its kind: its history speaks of it
            setattr(destination, key, fields[key])
    destination_check(destination)
    with transaction.atomic():
        destination.save()
        audit_record(action="handoff.destination.update", target=destination, actor=actor, details=_facts(destination))
    return destination


def destination_activate(*, destination: Destination, active: bool, actor=None) -> Destination:
    destination.is_active = active
    with transaction.atomic():
        destination.save(update_fields=["is_active"])
        action = "handoff.destination.activate" if active else "handoff.destination.deactivate"
        audit_record(action=action, target=destination, actor=actor, details={"assistant": destination.assistant_id})
    return destination


def _facts(destination: Destination) -> dict:
    return {"assistant": destination.assistant_id, "kind": destination.kind, "active": destination.is_active}


# --- deliveries ------------------------------------------------------------------------------


def deliveries_create(*, submission: Submission) -> list[Delivery]:
    """One delivery per active destination of the submission's assistant; repeat calls add nothing."""
    destinations = Destination.objects.filter(assistant_id=submission.assistant_id, is_active=True)
    if submission.is_test:
        destinations = destinations.filter(include_tests=True)
    deliveries = []
    for destination in destinations:
        with transaction.atomic():
            delivery, created = Delivery.objects.get_or_create(destination=destination, submission=submission)
            if created:
                DeliveryEvent.objects.create(delivery=delivery, kind=DeliveryEvent.Kind.CREATED)
        deliveries.append(delivery)
    return deliveries


def delivery_attempt(*, delivery_id, now: datetime | None = None) -> Delivery:
    """Try to deliver once if the delivery is due and nobody else holds it; returns it as it stands after."""
    now = now or timezone.now()
    due = Q(status=Delivery.Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    # The lease runs from the real start of the attempt, not from when a sweep found it due.
    claimed = Delivery.objects.filter(due | abandoned, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_until=timezone.now() + LEASE, attempts=F("attempts") + 1
    )
    delivery = Delivery.objects.select_related(
        "destination", "submission__version", "submission__assistant", "submission__unit", "submission__mandant"
    ).get(pk=delivery_id)
    if not claimed:
        return delivery
    if delivery.attempts > settings.KREISWERK_HANDOFF_MAX_ATTEMPTS:
        # Claimed back from a worker that vanished, again and again: stop and let a person look.
        return _failed(delivery, _("Abgebrochen: Der Übergabeversuch endete wiederholt ohne Ergebnis."))
    try:
        package = package_build(submission=delivery.submission)
        outcome = channel_for(delivery.destination.kind).deliver(delivery=delivery, package=package)
    except Refused as exc:
        return _failed(delivery, exc.message, http_status=exc.http_status)
    except PackageInvalid as exc:
        logger.error("delivery %s: %s", delivery.pk, exc)
        return _failed(delivery, _("Die Antragsdaten passen nicht zu ihrem Schema; bitte den Betrieb verständigen."))
    except Unreachable as exc:
        return _retry_or_fail(delivery, exc.message, http_status=exc.http_status)
    except Exception as exc:  # a defect or a passing fault here (database, disk): try again, keep the trace
        logger.exception("delivery %s: attempt %s failed", delivery.pk, delivery.attempts)
        return _retry_or_fail(delivery, _("Interner Fehler (%(error)s)") % {"error": type(exc).__name__})
    return _delivered(delivery, outcome)


def _settle(delivery: Delivery, **changes) -> bool:
    """Write the attempt's result unless another worker took the row over meanwhile."""
    updated = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts
    ).update(claimed_until=None, **changes)
    for key, value in changes.items():
        setattr(delivery, key, value)
    return bool(updated)


def _event(delivery: Delivery, kind: str, **fields) -> None:
    DeliveryEvent.objects.create(delivery=delivery, kind=kind, attempt=delivery.attempts, **fields)


def _delivered(delivery: Delivery, outcome: Outcome) -> Delivery:
    now = timezone.now()
    with transaction.atomic():
        confirmed_at = now if outcome.confirmed else None
        if not _settle(
            delivery, status=Delivery.Status.DELIVERED, delivered_at=now, confirmed_at=confirmed_at, last_error=""
        ):
            return delivery
        _event(delivery, DeliveryEvent.Kind.DELIVERED, http_status=outcome.http_status, detail=outcome.detail)
        if outcome.confirmed:
            _event(delivery, DeliveryEvent.Kind.CONFIRMED)
            case_arrival_record(submission=delivery.submission, destination=delivery.destination.name)
    logger.info("delivery %s delivered on attempt %s", delivery.pk, delivery.attempts)
    return delivery


def _failed(delivery: Delivery, message: str, *, http_status: int | None = None) -> Delivery:
    with transaction.atomic():
        if _settle(delivery, status=Delivery.Status.FAILED, next_attempt_at=None, last_error=message[:500]):
            _event(delivery, DeliveryEvent.Kind.FAILED, http_status=http_status, detail=message[:500])
    logger.warning("delivery %s failed for good: %s", delivery.pk, message)
    return delivery


def _retry_or_fail(delivery: Delivery, message: str, *, http_status: int | None = None) -> Delivery:
    if delivery.attempts >= settings.KREISWERK_HANDOFF_MAX_ATTEMPTS:
        given_up = _("Nach %(count)s Versuchen aufgegeben: %(error)s") % {"count": delivery.attempts, "error": message}
        return _failed(delivery, given_up, http_status=http_status)
    delay = backoff_seconds(
        delivery.attempts, base=settings.KREISWERK_HANDOFF_RETRY_SECONDS, maximum=MAX_RETRY_DELAY_SECONDS
    )
    next_at = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        if _settle(delivery, status=Delivery.Status.PENDING, next_attempt_at=next_at, last_error=message[:500]):
            _event(delivery, DeliveryEvent.Kind.ATTEMPT, http_status=http_status, detail=message[:500])
            when = date_format(timezone.localtime(next_at), "d.m.Y H:i:s")
            _event(delivery, DeliveryEvent.Kind.RETRY, detail=_("nächster Versuch %(when)s") % {"when": when})
    return delivery


def delivery_retry(*, delivery: Delivery, actor) -> bool:
    """A person sends a failed delivery again, with a fresh round of attempts; False if it is not failed."""
    from .tasks import delivery_enqueue

    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=None
        )
        if not updated:
            return False
        DeliveryEvent.objects.create(delivery=delivery, kind=DeliveryEvent.Kind.REQUEUED, actor=actor)
        audit_record(
            action="handoff.delivery.retry",
            target=delivery,
            actor=actor,
            details={"destination": delivery.destination_id, "submission": str(delivery.submission_id)},
        )
        delivery_enqueue(delivery)
    delivery.refresh_from_db()
    return True


def deliveries_requeue_due(*, now: datetime | None = None) -> int:
    """Start a job for every delivery whose next attempt is due or whose worker vanished; returns how many.

    The safety net under the queue: a retry the queue could not defer, a job lost with
    a worker, or a new delivery whose first job never ran.
    """
    from .tasks import delivery_enqueue

    now = now or timezone.now()
    due = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.PENDING, next_attempt_at__isnull=True, created_at__lt=now - LEASE)
        | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    )
    count = 0
    for delivery in due.only("pk").iterator():
        delivery_enqueue(delivery, now=now)
        count += 1
    return count
