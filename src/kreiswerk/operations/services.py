"""Limits on actions anyone may trigger: e-mails sent on request, calls to outside services."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Allowance


@dataclass(frozen=True)
class Limit:
    """At most ``uses`` per window of ``window_seconds`` (aligned to the clock) for ``key`` in ``scope``."""

    scope: str
    key: str
    uses: int
    window_seconds: int


class _Spent(Exception):
    pass


def allowance_take(*limits: Limit) -> bool:
    """One use of every limit, or none at all: False when any of them is spent this window.

    Each use is a conditional ``UPDATE … SET used = used + 1 WHERE used < uses`` on the
    window's row, atomic in PostgreSQL and SQLite alike, so processes behind one address
    never hand out more than ``uses`` between them. When one limit is spent, the uses
    already taken in this call are rolled back: a refused request costs no other budget.
    """
    now = int(time.time())
    try:
        with transaction.atomic():
            for limit in limits:
                if not _take(limit, now):
                    raise _Spent
    except _Spent:
        return False
    return True


def _take(limit: Limit, now: int) -> bool:
    if limit.uses <= 0:
        return False
    window = now // limit.window_seconds
    key = salted_hmac("kreiswerk.allowance", f"{limit.scope}\0{limit.key}", algorithm="sha256").hexdigest()
    until = datetime.fromtimestamp((window + 1) * limit.window_seconds, tz=UTC)
    row, _ = Allowance.objects.get_or_create(scope=limit.scope, key=key, window=window, defaults={"until": until})
    return Allowance.objects.filter(pk=row.pk, used__lt=limit.uses).update(used=F("used") + 1) == 1


def window_left(window_seconds: int) -> int:
    """Seconds until the current window ends (for a ``Retry-After`` header)."""
    return window_seconds - int(time.time()) % window_seconds


def allowances_purge() -> int:
    deleted, _ = Allowance.objects.filter(until__lt=timezone.now()).delete()
    return deleted


def client_bucket(address: str | None) -> str | None:
    """What counts as one client: an IPv4 address, or the /64 network of an IPv6 one.

    An IPv6 host usually has a whole /64 to itself and could take a new address for
    every request.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
