import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.assistants.models import Assistant
from kreiswerk.crypto.fields import EncryptedTextField
from kreiswerk.submissions.models import Submission


class Destination(models.Model):
    """Where an assistant's submissions go besides the E-Akte; an assistant may have several.

    Each kind uses its own columns (no option blob), so a destination reads the same in
    every environment and the form checks each value.
    """

    class Kind(models.TextChoices):
        FITCONNECT = "fitconnect", _("FIT-Connect (verschlüsselt)")
        WEBHOOK = "webhook", _("Webhook (signiert)")
        EMAIL = "email", _("E-Mail an Funktionspostfach")
        IDEAS = "ideen", _("Ideenspeicher des Digitalisierungs-Cockpits")

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="destinations")
    name = models.CharField(_("Bezeichnung"), max_length=150)
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(_("aktiv"), default=True)
    include_tests = models.BooleanField(_("auch Testeingänge übergeben"), default=False)
    # FIT-Connect: the submission endpoint; webhook: the URL it posts to.
    url = models.URLField(_("Adresse (URL)"), max_length=500, blank=True)
    # FIT-Connect: the destination's public encryption key as a JWK (RSA, use "enc").
    public_key = models.TextField(_("Öffentlicher Schlüssel (JWK)"), blank=True)
    # FIT-Connect: the Zustellpunkt's id; the endpoint may serve several.
    destination_id = models.UUIDField(_("Zustellpunkt-ID"), null=True, blank=True)
    # Webhook: the shared HMAC secret, encrypted at rest.
    secret = EncryptedTextField(blank=True)
    email = models.EmailField(_("Funktionspostfach"), blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Übergabeziel")
        verbose_name_plural = _("Übergabeziele")
        ordering = ["assistant", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "name"], name="handoff_destination_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One submission on its way to one destination: exactly one row per pair.

    The id is the idempotency key the destination sees on every attempt, so a retry
    after a lost answer is recognised there instead of counted twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet")
        SENDING = "sending", _("wird übergeben")
        DELIVERED = "delivered", _("übergeben")
        FAILED = "failed", _("fehlgeschlagen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="deliveries")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("Versuche"), default=0)
    next_attempt_at = models.DateTimeField(_("nächster Versuch"), null=True, blank=True)
    # While SENDING: after this moment a worker that died mid-attempt no longer holds the row.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("übergeben am"), null=True, blank=True)
    # Set when the destination itself confirmed the arrival (not for e-mail).
    confirmed_at = models.DateTimeField(_("Eingang bestätigt am"), null=True, blank=True)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Übergabe")
        verbose_name_plural = _("Übergaben")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["destination", "submission"], name="handoff_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="handoff_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} → {self.destination_id}"


class DeliveryEvent(models.Model):
    """One step in a delivery's history; ``detail`` holds codes and messages, never personal data."""

    class Kind(models.TextChoices):
        CREATED = "created", _("angelegt")
        ATTEMPT = "attempt", _("Übergabeversuch")
        DELIVERED = "delivered", _("übergeben")
        CONFIRMED = "confirmed", _("Eingang bestätigt")
        RETRY = "retry", _("neuer Versuch geplant")
        FAILED = "failed", _("fehlgeschlagen")
        REQUEUED = "requeued", _("erneut angestoßen")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    attempt = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["delivery", "at", "id"]

    def __str__(self) -> str:
        return self.kind
