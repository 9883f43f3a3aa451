from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def _raw_delete(self, using):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("Audit entries are written one by one with audit_record().")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit entries cannot be changed.")


class AuditEntry(models.Model):
    """One read or write of case data: who, what, when, from where.

    Append-only and hash-chained; write entries only with ``services.audit_record``.
    The actor is a snapshot (id and user name, no foreign key) so that removing a
    user account never touches the log. ``details`` holds ids and codes only (status
    codes, document ids, field keys) and never personal data: no names, addresses,
    form answers or free text, since the log cannot be corrected or deleted later.
    """

    # The sequence is the primary key: assigned under the head lock, gap-free, and part of the MAC.
    sequence = models.PositiveBigIntegerField(_("laufende Nummer"), primary_key=True)
    occurred_at = models.DateTimeField(_("Zeitpunkt"))
    actor_id = models.BigIntegerField(_("Benutzer-ID"), null=True, blank=True)
    actor_username = models.CharField(_("Benutzername"), max_length=150, blank=True)
    action = models.CharField(_("Aktion"), max_length=64)
    target_type = models.CharField(_("Objektart"), max_length=100, blank=True)
    target_id = models.CharField(_("Objekt-ID"), max_length=64, blank=True)
    mandant_id = models.BigIntegerField(_("Mandant-ID"), null=True, blank=True)
    unit_id = models.BigIntegerField(_("Organisationseinheit-ID"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)
    user_agent = models.CharField(_("Browserkennung"), max_length=255, blank=True)
    details = models.JSONField(_("Einzelheiten"), default=dict, blank=True)
    prev_hash = models.CharField(_("Prüfsumme des Vorgängers"), max_length=64)
    hash = models.CharField(_("Prüfsumme"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokolleinträge")
        ordering = ["sequence"]
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_entry_target_idx"),
            models.Index(fields=["actor_id", "occurred_at"], name="audit_entry_actor_idx"),
            models.Index(fields=["occurred_at"], name="audit_entry_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditHead(models.Model):
    """The single row naming the last entry, so that removing entries at the end is noticed.

    Its MAC covers the last sequence and hash; without the key, nobody can point it
    at an earlier entry. Updated in the same transaction as every append.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON, editable=False)
    sequence = models.PositiveBigIntegerField(_("letzte laufende Nummer"), default=0)
    hash = models.CharField(_("Prüfsumme des letzten Eintrags"), max_length=64)
    mac = models.CharField(_("Prüfsumme des Kopfeintrags"), max_length=64)

    class Meta:
        verbose_name = _("Kopf des Audit-Logs")
        verbose_name_plural = _("Kopf des Audit-Logs")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"#{self.sequence}"
