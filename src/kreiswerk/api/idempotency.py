"""Retries of API writes: the ``Idempotency-Key`` header, the first answer kept and replayed."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiClient, ApiIdempotencyKey
from .problems import Refused

HEADER = "Idempotency-Key"
# A retry comes within minutes or hours; a week covers an outage over a long weekend.
KEEP = datetime.timedelta(days=7)
REUSED = _("Dieser Idempotency-Key wurde schon für eine andere Anfrage verwendet.")
KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def key_from(request) -> str:
    """The request's key, or "" without one; a malformed key is refused rather than ignored."""
    key = request.headers.get(HEADER, "")
    if key and not KEY.fullmatch(key):
        raise Refused(
            422, "invalid_idempotency_key", _("Der Idempotency-Key darf 1 bis 100 Zeichen (A–Z, 0–9, . _ : -) haben.")
        )
    return key


def replay(client: ApiClient, key: str, operation: str) -> tuple[int, dict] | None:
    """The first answer to ``key``, or None when the key is new (or there is none)."""
    if not key:
        return None
    stored = ApiIdempotencyKey.objects.filter(client=client, key=key).first()
    if stored is None:
        return None
    if stored.operation != operation:
        raise Refused(422, "idempotency_key_reused", REUSED)
    return stored.status, stored.body


def remember(client: ApiClient, key: str, operation: str, status: int, body: dict) -> None:
    """Keep the answer in the write's transaction: a second writer with the same key fails on the unique key."""
    if key:
        ApiIdempotencyKey.objects.create(client=client, key=key, operation=operation, status=status, body=body)


def idempotency_keys_purge() -> int:
    """Forget keys older than ``KEEP`` (run by ``kreiswerk housekeeping``)."""
    deleted, _count = ApiIdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted
