"""Paying a submission's fee: start at the provider, learn the outcome only from the provider.

The amount and its line items come from the submission as the server computed it. The
outcome is fetched from the provider whenever something suggests it changed (the
citizen's return, a notification, the expiry sweep); what the browser or a notification
says is never taken for it. A payment moves once from INITIAL to a final status, by a
conditional update, so ten replayed notifications book it once and release the
application to the E-Akte once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.assistants.definition import localized
from kreiswerk.jobs import enqueue_later
from kreiswerk.operations.services import Limit, allowance_take
from kreiswerk.submissions.models import Submission

from .base import ProviderError, Transaction
from .models import RECEIVED, Payment, PaymentEvent, Refund, Status
from .registry import active_provider, provider_for

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


class PaymentUnavailable(Exception):
    """Online payment cannot go on now (no provider, or it does not answer)."""


def fee_of(submission: Submission) -> tuple[Decimal, list[dict]]:
    """The fee the assistant's rules computed for this submission, and its line items.

    The items are the computed values named in ``fee_items`` (those above zero), each with
    the assistant's booking data; without them, or when they do not add up to the fee,
    the fee is one item. The total is always the computed fee.
    """
    definition = submission.version.parsed
    if not definition.fee:
        return Decimal("0.00"), []
    total = _amount(submission.computed.get(definition.fee))
    labels = {entry.key: str(localized(entry.label, "de") or entry.key) for entry in definition.computed}
    items = [
        {"id": key, "description": labels[key], "quantity": 1, "amount": str(_amount(submission.computed.get(key)))}
        for key in definition.fee_items
        if _amount(submission.computed.get(key)) > 0
    ]
    if not items or sum(Decimal(item["amount"]) for item in items) != total:
        if items:
            logger.error("submission %s: the fee items do not add up to the fee; charged as one item", submission.pk)
        items = [{"id": definition.fee, "description": labels[definition.fee], "quantity": 1, "amount": str(total)}]
    for item in items:
        item["booking"] = dict(definition.booking)
    return total, items


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0")).quantize(CENT)
    except InvalidOperation:
        logger.error("computed fee value %r is not an amount; taken as 0", value)
        return Decimal("0.00")


def fee_to_collect(submission: Submission) -> bool:
    """Whether a new submission should wait for its fee: a provider is on and the fee is above zero."""
    if submission.is_test or active_provider() is None:
        return False
    amount, _items = fee_of(submission)
    return amount > 0


def payment_due(submission: Submission, *, now: datetime | None = None) -> bool:
    """Whether the submission waits for its fee and may still be paid (before its deadline)."""
    until = payment_expires_at(submission)
    return until is not None and submission.payment_expired_at is None and (now or timezone.now()) < until


def payment_expires_at(submission: Submission) -> datetime | None:
    if submission.awaiting_payment_since is None:
        return None
    return submission.awaiting_payment_since + timedelta(hours=settings.KREISWERK_PAYMENT_EXPIRY_HOURS)


def payment_start(*, submission: Submission, return_url_for: Callable[[Payment], str]) -> Payment:
    """The payment to send the citizen to; a started, unsettled one is reused (same ``requestId``)."""
    provider = active_provider()
    if provider is None:
        raise PaymentUnavailable("no provider")
    booked = submission.payments.filter(status=Status.BOOKED).first()
    if booked is not None:
        return booked
    payment = _open_payment(submission, provider.key)
    if payment.pay_url:
        return payment
    try:
        started = provider.start(payment=payment, return_url=return_url_for(payment))
    except ProviderError as exc:
        logger.warning("payment %s: start failed (%s)", payment.pk, exc)
        raise PaymentUnavailable(str(exc)) from exc
    if started.amount is not None and started.amount != payment.amount:
        logger.error("payment %s: provider took %s instead of %s", payment.pk, started.amount, payment.amount)
        raise PaymentUnavailable("amount differs")
    Payment.objects.filter(pk=payment.pk).update(
        transaction_id=started.transaction_id, reference=started.reference, pay_url=started.pay_url
    )
    PaymentEvent.objects.create(payment=payment, source=PaymentEvent.Source.START, status=started.status)
    payment.refresh_from_db()
    return payment


def _open_payment(submission: Submission, provider_key: str) -> Payment:
    """The application's one open payment with this provider, made when there is none."""
    open_payments = submission.payments.filter(status=Status.INITIAL, provider=provider_key)
    payment = open_payments.first()
    if payment is not None:
        return payment
    amount, items = fee_of(submission)
    try:
        with transaction.atomic():
            return Payment.objects.create(submission=submission, provider=provider_key, amount=amount, line_items=items)
    except IntegrityError:
        # A second request for the same application made it first (double click, two tabs).
        return open_payments.get()


def payment_refresh(*, payment: Payment, source: str) -> Payment:
    """Ask the provider how the payment stands and record a change; final states never change again.

    Return page and notifications can be called by anyone who knows the address, so the
    provider is asked at most ``KREISWERK_PAYMENT_ASKS_PER_MINUTE`` times a minute per
    payment and source (a reload loop never silences the provider's notifications); beyond
    that the page shows the payment as last recorded. A notification is not sent again, so
    one refused by the limit has the payment asked about once more a minute later.
    """
    if payment.is_final:
        return payment
    limit = Limit(f"payment-ask-{source}", str(payment.pk), settings.KREISWERK_PAYMENT_ASKS_PER_MINUTE, 60)
    if allowance_take(limit):
        _ask(payment, source=source)
    elif source == PaymentEvent.Source.NOTIFICATION and allowance_take(Limit("payment-poll", str(payment.pk), 1, 60)):
        from .tasks import payment_poll

        enqueue_later(payment_poll, 60, payment_id=str(payment.pk))
    return payment


class ProviderNotAsked(Exception):
    """The provider could not be asked; the job tries again later."""


def payment_poll_now(*, payment: Payment) -> None:
    if not _ask(payment, source=PaymentEvent.Source.POLL):
        raise ProviderNotAsked(str(payment.pk))


def _ask(payment: Payment, *, source: str) -> bool:
    """Refresh ``payment`` from the provider; False when the provider could not be asked."""
    if payment.is_final or not payment.transaction_id:
        return True
    provider = provider_for(payment.provider)
    if provider is None:
        return False
    try:
        found = provider.status(payment=payment)
    except ProviderError as exc:
        logger.warning("payment %s: status unknown (%s)", payment.pk, exc)
        return False
    if found.transaction_id != payment.transaction_id or found.status == Status.INITIAL:
        return True
    if found.status == Status.BOOKED and (found.amount is None or found.amount != payment.amount):
        # Not what is due, or not said: not taken as paid; a person has to look.
        logger.error("payment %s: booked %s, but %s is due; not accepted", payment.pk, found.amount, payment.amount)
        if not payment.events.filter(source=source, detail__startswith="Betrag").exists():
            PaymentEvent.objects.create(
                payment=payment,
                source=source,
                status=found.status,
                detail=f"Betrag {found.amount} statt {payment.amount}",
            )
        return True
    _settle(payment, found, source=source)
    payment.refresh_from_db()
    return True


def _settle(payment: Payment, found: Transaction, *, source: str) -> None:
    from kreiswerk.submissions.tasks import followup_enqueue  # the application goes on once its fee is paid

    booked = found.status == Status.BOOKED
    try:
        with transaction.atomic():
            moved = Payment.objects.filter(pk=payment.pk, status=Status.INITIAL).update(
                status=found.status,
                method=found.method[:20],
                reference=found.reference or payment.reference,
                booked_at=timezone.now() if booked else None,
            )
            if not moved:
                return  # someone else recorded it first
            PaymentEvent.objects.create(payment=payment, source=source, status=found.status, detail=found.detail)
            if booked:
                # Paid, even after the deadline: the money is taken, so the application goes on.
                Submission.objects.filter(pk=payment.submission_id).update(
                    awaiting_payment_since=None, payment_expired_at=None
                )
                followup_enqueue(payment.submission)
    except IntegrityError:
        if not Payment.objects.filter(submission_id=payment.submission_id, status=Status.BOOKED).exists():
            raise  # not the one conflict that is expected here
        # A second payment of the same application was booked: the money came in and is to be refunded.
        logger.error("payment %s: the submission is paid already; this one needs a refund", payment.pk)
        with transaction.atomic():
            if Payment.objects.filter(pk=payment.pk, status=Status.INITIAL).update(
                status=Status.DUPLICATE,
                method=found.method[:20],
                reference=found.reference or payment.reference,
                booked_at=timezone.now(),
            ):
                PaymentEvent.objects.create(
                    payment=payment, source=source, status=Status.DUPLICATE, detail="doppelt bezahlt: zu erstatten"
                )


def payment_notified(*, provider_key: str, body: bytes) -> Payment | None:
    """A provider's notification: only the transaction it names is looked up and asked about."""
    provider = provider_for(provider_key)
    if provider is None:
        return None
    transaction_id = provider.notification_transaction(body)
    if not transaction_id:
        return None
    payment = Payment.objects.filter(provider=provider_key, transaction_id=transaction_id).first()
    if payment is None:
        return None
    return payment_refresh(payment=payment, source=PaymentEvent.Source.NOTIFICATION)


def payments_expire(*, now: datetime | None = None) -> int:
    """End the applications whose fee was not paid in time; returns how many.

    Each open payment is asked about once more first, and an application whose provider
    cannot be asked waits for the next run: a payment booked at the last moment wins.
    The payments stay open at the provider, so a booking that still comes (a pay page
    left open) revives the application instead of being lost. An expired application
    never reaches the E-Akte unless that happens.
    """
    now = now or timezone.now()
    limit = now - timedelta(hours=settings.KREISWERK_PAYMENT_EXPIRY_HOURS)
    waiting = Submission.objects.filter(awaiting_payment_since__lt=limit, payment_expired_at__isnull=True)
    expired = 0
    for submission in waiting.iterator():
        open_payments = list(submission.payments.filter(status=Status.INITIAL))
        # Every payment is asked (no short cut), then the application waits if any could not be.
        if not all([_ask(payment, source=PaymentEvent.Source.POLL) for payment in open_payments]):  # noqa: C419
            continue
        with transaction.atomic():
            if not Submission.objects.filter(
                pk=submission.pk, awaiting_payment_since__isnull=False, payment_expired_at__isnull=True
            ).update(payment_expired_at=now):
                continue  # booked meanwhile
            for payment in submission.payments.filter(status=Status.INITIAL):
                PaymentEvent.objects.create(payment=payment, source=PaymentEvent.Source.EXPIRY, status=Status.INITIAL)
        expired += 1
    if expired:
        logger.info("%s applications expired unpaid", expired)
    return expired


class RefundRefused(Exception):
    """A refund that cannot be recorded; the message says why, in German."""


def refund_record(*, payment: Payment, amount: Decimal, reason: str, actor) -> Refund:
    """Record money paid back on a booked payment; never more than was paid, all refunds together."""
    from kreiswerk.audit.services import audit_record

    amount = Decimal(amount).quantize(CENT)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in RECEIVED:
            raise RefundRefused(_("Erstatten lässt sich nur eine bezahlte Gebühr."))
        left = payment.refundable_amount
        if amount <= 0 or amount > left:
            raise RefundRefused(
                _("Es lassen sich höchstens %(left)s € erstatten.") % {"left": f"{left:.2f}".replace(".", ",")}
            )
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason.strip(), recorded_by=actor)
        audit_record(
            action="payment.refund",
            target=payment.submission,
            actor=actor,
            details={"payment": str(payment.pk), "amount": str(amount)},
        )
    return refund
