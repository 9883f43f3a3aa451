"""Aussonderung: cases whose retention ran out, the archive's decision, hand-over and the deletion record.

A ``DisposalReview`` is the working row of one case from the day its retention ran
out until it is destroyed or taken over by the archive. A ``HandOver`` is one
package (ZIP with manifest) of an Akte written to the archive's outbox. A
``DeletionRecord`` is what stays for good once the case is gone: references, dates,
the decision, who did what, document hashes, and never anyone's personal data.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kreiswerk.cases.models import Akte, Case
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit


class PermanentRow(Exception):
    pass


class Decision(models.TextChoices):
    KEEP = "keep", _("übernehmen (archivwürdig)")
    DESTROY = "destroy", _("vernichten (nicht archivwürdig)")


class HandOver(models.Model):
    """One hand-over package of an Akte; its id is the process id named in the manifest."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wird erstellt")
        READY = "ready", _("liegt zur Abholung bereit")
        FAILED = "failed", _("fehlgeschlagen")
        SUPERSEDED = "superseded", _("ersetzt")
        CONFIRMED = "confirmed", _("Übernahme bestätigt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    akte = models.ForeignKey(Akte, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    akte_reference = models.CharField(_("Aktenzeichen"), max_length=80)
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # A short reason code when the package could not be built (never personal data).
    error = models.CharField(max_length=200, blank=True)
    filename = models.CharField(_("Dateiname"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("angestoßen am"), auto_now_add=True)
    built_at = models.DateTimeField(_("erstellt am"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("Übernahme bestätigt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Abgabe an das Archiv")
        verbose_name_plural = _("Abgaben an das Archiv")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.akte_reference} ({self.get_status_display()})"


class DisposalReview(models.Model):
    """One case whose retention ran out: listed → decided → (handed over →) completed."""

    class State(models.TextChoices):
        LISTED = "listed", _("zur Entscheidung")
        DECIDED = "decided", _("entschieden")
        HANDED_OVER = "handed_over", _("übergeben, Bestätigung ausstehend")
        COMPLETED = "completed", _("abgeschlossen")

    # Kept (case set to null) after the case is gone: the review shows what happened to it.
    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="disposal_review")
    akte = models.ForeignKey(Akte, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="+")
    case_reference = models.CharField(_("Aktenzeichen des Vorgangs"), max_length=90)
    akte_reference = models.CharField(_("Aktenzeichen der Akte"), max_length=80)
    case_type_title = models.CharField(_("Vorgangsart"), max_length=200)
    result_title = models.CharField(_("Ergebnis"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    retention_until = models.DateField(_("aufzubewahren bis"))
    proposed = models.CharField(_("Vorschlag der Vorgangsart"), max_length=10, choices=Case.Disposal.choices)
    state = models.CharField(_("Stand"), max_length=12, choices=State.choices, default=State.LISTED)
    decision = models.CharField(_("Entscheidung"), max_length=10, choices=Decision.choices, blank=True)
    reason = models.TextField(_("Begründung"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    handover = models.ForeignKey(HandOver, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews")
    listed_at = models.DateTimeField(_("aufgelistet am"), auto_now_add=True)
    completed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Aussonderungsprüfung")
        verbose_name_plural = _("Aussonderungsprüfungen")
        ordering = ["retention_until", "id"]
        indexes = [
            models.Index(fields=["unit", "state", "retention_until"], name="disposal_review_list_idx"),
            models.Index(fields=["state", "decision"], name="disposal_review_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference} ({self.get_state_display()})"


class DeletionRecord(models.Model):
    """The permanent record of a case that was destroyed or taken over by the archive.

    No personal data of applicants or other parties: Aktenzeichen, the Vorgangsart,
    the result, dates, counts and SHA-256 sums. Staff are named by their user name,
    as in the audit log, because the record must say who decided and who executed.
    Written once, never changed.
    """

    class Outcome(models.TextChoices):
        DESTROYED = "destroyed", _("vernichtet")
        ARCHIVED = "archived", _("vom Archiv übernommen, dann gelöscht")

    review = models.OneToOneField(DisposalReview, on_delete=models.PROTECT, related_name="deletion_record")
    mandant = models.ForeignKey(Mandant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrganisationalUnit, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("Ergebnis der Aussonderung"), max_length=10, choices=Outcome.choices)
    case_uuid = models.UUIDField(_("ID des Vorgangs"))
    case_reference = models.CharField(_("Aktenzeichen des Vorgangs"), max_length=90)
    akte_reference = models.CharField(_("Aktenzeichen der Akte"), max_length=80)
    akte_deleted = models.BooleanField(_("Akte gelöscht"), default=False)
    filing_position = models.CharField(_("Aktenplankennzeichen"), max_length=40, blank=True)
    case_type_key = models.CharField(_("Kürzel der Vorgangsart"), max_length=63)
    case_type_title = models.CharField(_("Vorgangsart"), max_length=200)
    case_type_version = models.PositiveIntegerField(_("Version der Vorgangsart"))
    result = models.CharField(_("Ergebnis"), max_length=63, blank=True)
    result_title = models.CharField(_("Ergebnis (Bezeichnung)"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("eingegangen am"))
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    retention_until = models.DateField(_("aufzubewahren bis"))
    proposed = models.CharField(_("Vorschlag der Vorgangsart"), max_length=10, choices=Case.Disposal.choices)
    decision = models.CharField(_("Entscheidung"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("Begründung"), blank=True)
    # Staff as snapshots (id and user name, no foreign key), as in the audit log.
    decided_by_user_id = models.BigIntegerField(null=True, blank=True)
    decided_by_username = models.CharField(_("entschieden von"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("entschieden am"))
    executed_by_user_id = models.BigIntegerField(null=True, blank=True)
    executed_by_username = models.CharField(_("ausgeführt von"), max_length=150, blank=True)
    executed_at = models.DateTimeField(_("ausgeführt am"), auto_now_add=True)
    # {"documents": 3, "versions": 3, "files": 3, "parties": 1, ...}
    counts = models.JSONField(_("Gelöscht"), default=dict)
    # [{"kind": "anlage", "version": 1, "content_type": "application/pdf", "size": 123, "sha256": "…"}]
    documents = models.JSONField(_("Dokumente"), default=list)
    handover_id = models.UUIDField(_("Prozess-ID der Abgabe"), null=True, blank=True)
    package_sha256 = models.CharField(_("SHA-256 des Abgabepakets"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Löschnachweis")
        verbose_name_plural = _("Löschnachweise")
        ordering = ["-executed_at", "-id"]
        indexes = [models.Index(fields=["unit", "executed_at"], name="deletion_record_unit_idx")]

    def __str__(self) -> str:
        return f"{self.case_reference} ({self.get_outcome_display()})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermanentRow("A deletion record is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermanentRow("A deletion record is never deleted.")
