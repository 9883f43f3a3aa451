import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.crypto.fields import EncryptedJSONField, EncryptedTextField, EncryptionKeyField
from kreiswerk.identity.models import TrustLevel
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit


class Submission(models.Model):
    """An acknowledged application: complete, encrypted, tied to the exact version filled in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("Aktenzeichen"), max_length=40, unique=True)
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="submissions")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="submissions")
    assistant = models.ForeignKey(Assistant, on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey(AssistantVersion, on_delete=models.PROTECT, related_name="submissions")
    # {"answers": {...}, "computed": {...}}: one envelope, so a row is readable or not at all.
    payload = EncryptedJSONField()
    language = models.CharField(max_length=5, default="de")
    is_test = models.BooleanField(_("Testeingang"), default=False)
    # The draft's submit key: a repeated or concurrent submit finds the first one.
    idempotency_key = models.UUIDField(unique=True)
    submitted_at = models.DateTimeField(_("eingegangen am"), auto_now_add=True, db_index=True)
    receipt_path = models.CharField(max_length=255, blank=True)
    receipt_key = EncryptionKeyField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # Set while the application waits for its fee; it goes on to the E-Akte once paid.
    # Who submitted, where they logged in (their mailbox), and the trust level of that login.
    citizen = models.ForeignKey(
        "identity.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    identity_level = models.PositiveSmallIntegerField(
        _("Vertrauensniveau der Anmeldung"), choices=TrustLevel.choices, null=True, blank=True
    )
    # For an internal assistant: the staff member who submitted it.
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    awaiting_payment_since = models.DateTimeField(_("wartet auf Zahlung seit"), null=True, blank=True)
    payment_expired_at = models.DateTimeField(_("Zahlungsfrist abgelaufen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Antrag")
        verbose_name_plural = _("Anträge")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["unit", "assistant", "-submitted_at"], name="submission_list_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def answers(self) -> dict:
        return self.payload.get("answers", {})

    @property
    def computed(self) -> dict:
        return self.payload.get("computed", {})


class Attachment(models.Model):
    """An uploaded file: encrypted on disk, first held by a draft, then by its submission."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(
        "runner.Draft", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    field_key = models.CharField(max_length=200)
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=255)
    key = EncryptionKeyField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Anlage")
        verbose_name_plural = _("Anlagen")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.field_key} ({self.size} B)"


class ReferenceCounter(models.Model):
    """Per Mandant and year, the last number given out for an Aktenzeichen."""

    mandant = models.ForeignKey(Mandant, on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mandant", "year"], name="reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.mandant_id}/{self.year}: {self.value}"


class Export(models.Model):
    """A spreadsheet of one assistant's submissions, built in the background, kept seven days.

    Only ``requested_by`` sees and downloads it. The rows are chosen when the job
    runs, through the requester's permissions at that moment; ``unit`` narrows
    them further when set. The file is encrypted like an attachment.
    """

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (XLSX)")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet")
        RUNNING = "running", _("wird erstellt")
        DONE = "done", _("fertig")
        FAILED = "failed", _("fehlgeschlagen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="exports")
    unit = models.ForeignKey(
        OrganisationalUnit,
        verbose_name=_("Organisationseinheit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    format = models.CharField(_("Format"), max_length=4, choices=Format.choices, default=Format.XLSX)
    # {"date_from": "2025-01-01" | null, "date_to": ... | null, "include_tests": bool}
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("angefordert am"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("fertig am"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("Anzahl Anträge"), null=True, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    path = models.CharField(max_length=255, blank=True)
    key = EncryptionKeyField(null=True, blank=True)

    class Meta:
        verbose_name = _("Export")
        verbose_name_plural = _("Exporte")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.assistant} ({self.get_format_display()}, {self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE and bool(self.path)

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.RUNNING}
