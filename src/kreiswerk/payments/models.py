import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.crypto.fields import EncryptedTextField
from kreiswerk.submissions.models import Submission


class Status(models.TextChoices):
    """The states of XBezahldienste (and of FIT-Connect's payment information), and one of ours."""

    INITIAL = "INITIAL", _("offen")
    BOOKED = "BOOKED", _("bezahlt")
    FAILED = "FAILED", _("fehlgeschlagen")
    CANCELED = "CANCELED", _("abgebrochen")
    # Booked at the provider when the application was paid already (pay pages of two providers
    # open at once): the money came in, so it is counted and refunded, but it releases nothing.
    DUPLICATE = "DUPLICATE", _("doppelt bezahlt, zu erstatten")


# Money that came in: what the Kreiskasse reconciles and what can be refunded.
RECEIVED = (Status.BOOKED, Status.DUPLICATE)


class Payment(models.Model):
    """One attempt to pay a submission's fee at a provider; at most one per submission is booked.

    ``request_id`` is the idempotency key at the provider: a repeated start after a lost
    answer finds the same transaction there instead of charging twice. Amount and line
    items are the server's, computed from the submission; nothing the browser sends.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("Zahlungsdienst"), max_length=30)
    request_id = models.UUIDField(_("Anfrage-ID"), unique=True, default=uuid.uuid4, editable=False)
    transaction_id = models.CharField(_("Transaktions-ID"), max_length=64, blank=True)
    # The Kassenzeichen the provider gives, the Kreiskasse's key for reconciliation.
    reference = models.CharField(_("Kassenzeichen"), max_length=64, blank=True)
    pay_url = models.URLField(max_length=1000, blank=True)
    amount = models.DecimalField(_("Betrag"), max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    # [{"id", "description", "quantity", "amount", "booking": {...}}]: from the assistant, no personal data.
    line_items = models.JSONField(_("Positionen"), default=list)
    method = models.CharField(_("Zahlart"), max_length=20, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.INITIAL)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    booked_at = models.DateTimeField(_("bezahlt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission"], condition=models.Q(status="BOOKED"), name="payment_booked_once"
            ),
            # One open payment per application and provider: a double click cannot start two.
            models.UniqueConstraint(
                fields=["submission", "provider"], condition=models.Q(status="INITIAL"), name="payment_open_once"
            ),
        ]
        indexes = [models.Index(fields=["provider", "transaction_id"], name="payment_transaction_idx")]

    def __str__(self) -> str:
        return f"{self.reference or self.request_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status != Status.INITIAL

    @property
    def refundable_amount(self) -> Decimal:
        """What is left to pay back: the amount less all refunds recorded (prefetch ``refunds`` for lists)."""
        return self.amount - sum((refund.amount for refund in self.refunds.all()), Decimal("0.00"))


class PaymentEvent(models.Model):
    """The status history: every status the provider reported, and what made us ask."""

    class Source(models.TextChoices):
        START = "start", _("Zahlung begonnen")
        RETURN = "return", _("Rückkehr von der Zahlseite")
        NOTIFICATION = "notification", _("Benachrichtigung des Zahlungsdienstes")
        POLL = "poll", _("Abfrage")
        EXPIRY = "expiry", _("Frist abgelaufen")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["payment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.status}"


class Refund(models.Model):
    """Money paid back on a booked payment, recorded against the case (the Kreiskasse pays it out)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("Betrag"), max_digits=10, decimal_places=2)
    reason = EncryptedTextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("erfasst am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Erstattung")
        verbose_name_plural = _("Erstattungen")
        ordering = ["payment", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} ({self.payment_id})"
