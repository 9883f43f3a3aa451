"""What the citizen's pages show of a fee: whether it is due, its line items, until when."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings

from kreiswerk.submissions.models import Submission

from .models import Status
from .registry import active_provider
from .services import fee_of, payment_due, payment_expires_at


def fee_context(submission: Submission) -> dict:
    """Template context for the receipt and "Mein Antrag": ``fee_due``, ``fee_items``, ``fee_total``, ..."""
    if not submission.version.parsed.fee:
        return {"fee_due": False, "fee_paid": None, "fee_expired": False}
    due = payment_due(submission)
    booked = submission.payments.filter(status=Status.BOOKED).first()
    if not due and booked is None and submission.payment_expired_at is None:
        return {"fee_due": False, "fee_paid": None, "fee_expired": False}
    total, items = fee_of(submission)
    return {
        "fee_due": due,
        "fee_paid": booked,
        "fee_expired": submission.payment_expired_at is not None,
        "fee_total": total,
        "fee_items": [{**item, "amount": Decimal(item["amount"])} for item in items],
        "fee_until": payment_expires_at(submission),
    }


def pay_page_origins() -> list[str]:
    """The origins our "Jetzt bezahlen" forms lead to (through a redirect), for CSP ``form-action``."""
    if active_provider() is None:
        return []
    if settings.KREISWERK_PAYMENT_PAGE_ORIGINS:
        return list(settings.KREISWERK_PAYMENT_PAGE_ORIGINS)
    parts = urlsplit(settings.KREISWERK_EPAYBL_URL)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def allow_pay_page(response):
    """Let a page's payment form lead on to the pay page: a redirect after POST counts for ``form-action``."""
    origins = pay_page_origins()
    if origins:
        response._csp_update = {"form-action": origins}
    return response
