from __future__ import annotations

from datetime import datetime

from django.db import models

from .models import AuditEntry, AuditHead


def audit_entries_for(*, target: models.Model) -> models.QuerySet[AuditEntry]:
    """Every entry about ``target``, oldest first."""
    return AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk)).order_by(
        "sequence"
    )


def audit_entries(
    *, actor=None, since: datetime | None = None, until: datetime | None = None
) -> models.QuerySet[AuditEntry]:
    """Entries oldest first, optionally of one actor (a user or a user id) and in [since, until)."""
    entries = AuditEntry.objects.order_by("sequence")
    if actor is not None:
        entries = entries.filter(actor_id=actor if isinstance(actor, int) else actor.pk)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(occurred_at__lt=until)
    return entries


def audit_head() -> AuditHead | None:
    """The head row (last sequence and hash), e.g. to copy it somewhere the database cannot reach."""
    return AuditHead.objects.filter(pk=AuditHead.SINGLETON).first()
