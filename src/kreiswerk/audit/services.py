"""Writing the audit log, and checking it.

``audit_record`` runs on every read of case data, so it does the least it can: one locked read
of the head row, one insert, one update, all in the caller's transaction (a write and its
entry commit or roll back together). The head lock serialises writers; call it late in a
long transaction, since the lock is held until that transaction ends.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import chain
from .models import AuditEntry, AuditHead

logger = logging.getLogger(__name__)

ACTION_HEAD_RESEALED = "audit.head_resealed"


class AuditChainError(Exception):
    """The head row is missing or forged: nothing is appended until an administrator reseals it."""


@dataclass(frozen=True)
class AuditProblem:
    sequence: int | None
    message: str

    def __str__(self) -> str:
        return self.message


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str) -> bool:
    networks = _networks(tuple(settings.KREISWERK_TRUSTED_PROXIES))
    return any(ipaddress.ip_address(address) in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """Where the request came from: behind trusted proxies, the nearest address they did not add.

    ``X-Forwarded-For`` is read from the right, past our own proxies only; anything a
    client wrote further left is not believed.
    """
    address = chain.normalise_ip(request.META.get("REMOTE_ADDR"))
    if address is None or not _trusted(address):
        return address
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        forwarded = chain.normalise_ip(entry)
        if forwarded is None:
            break
        address = forwarded
        if not _trusted(forwarded):
            break
    return address


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    actor=None,
    request: HttpRequest | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` on ``target``.

    With a request, the actor defaults to its authenticated user, and the client's address
    and user agent are recorded. ``details`` takes ids and codes only (see AuditEntry).
    """
    if not action or len(action) > AuditEntry._meta.get_field("action").max_length:
        raise ValueError("An audit action is a short code such as 'case.read'.")
    ip, user_agent = None, ""
    if request is not None:
        if actor is None:
            actor = getattr(request, "user", None)
        ip = client_address(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")
    if actor is not None and not actor.is_authenticated:
        actor = None
    values: dict[str, Any] = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": chain.normalise_text(actor.get_username() if actor is not None else "", max_length=150),
        "action": chain.normalise_text(action),
        "ip": ip,
        "user_agent": chain.normalise_text(user_agent, max_length=chain.USER_AGENT_MAX_LENGTH),
        "details": chain.normalise_details(details or {}),
        **_target_values(target),
    }
    # No savepoint: a failed append should fail the caller's transaction too, and it saves two round trips.
    with transaction.atomic(savepoint=False):
        return _append(head=_locked_head(), values=values)


def _target_values(target: models.Model | None) -> dict[str, Any]:
    if target is None:
        return {"target_type": "", "target_id": "", "mandant_id": None, "unit_id": None}
    if target.pk is None:
        raise ValueError("An audit target must be saved first.")
    target_id = str(target.pk)
    if len(target_id) > AuditEntry._meta.get_field("target_id").max_length:
        raise ValueError("The target's primary key is too long for the audit log.")
    mandant_id = getattr(target, "mandant_id", None)
    unit_id = getattr(target, "unit_id", None)
    return {
        "target_type": target._meta.label_lower,
        "target_id": target_id,
        "mandant_id": int(mandant_id) if mandant_id is not None else None,
        "unit_id": int(unit_id) if unit_id is not None else None,
    }


def _locked_head() -> AuditHead:
    """The head row, locked until the transaction ends; created with the first entry."""
    head = AuditHead.objects.select_for_update().filter(pk=AuditHead.SINGLETON).first()
    if head is None and AuditEntry.objects.exists():
        # A concurrent first writer may have committed its head and first entry between the two reads.
        head = AuditHead.objects.select_for_update().filter(pk=AuditHead.SINGLETON).first()
        if head is None:
            logger.critical("Audit head row missing while entries exist: refusing to append.")
            raise AuditChainError("The audit head is missing; run `kreiswerk audit verify`, then `reseal-head`.")
    if head is None:
        # get_or_create copes with a concurrent first writer (its insert runs in a savepoint).
        AuditHead.objects.get_or_create(
            pk=AuditHead.SINGLETON,
            defaults={
                "sequence": 0,
                "hash": chain.GENESIS_HASH,
                "mac": chain.head_mac(sequence=0, last_hash=chain.GENESIS_HASH),
            },
        )
        head = AuditHead.objects.select_for_update().get(pk=AuditHead.SINGLETON)
    if not _head_is_valid(head):
        # Appending would give a forged head a valid MAC and hide what was done to it.
        logger.critical("Audit head row has an invalid MAC: refusing to append.")
        raise AuditChainError("The audit head is invalid; run `kreiswerk audit verify`, then `reseal-head`.")
    return head


def _head_is_valid(head: AuditHead) -> bool:
    return hmac.compare_digest(head.mac, chain.head_mac(sequence=head.sequence, last_hash=head.hash))


def _append(*, head: AuditHead, values: dict[str, Any]) -> AuditEntry:
    # Taken under the lock, so time never runs backwards along the sequence.
    entry = AuditEntry(
        sequence=head.sequence + 1,
        occurred_at=timezone.now(),
        prev_hash=head.hash,
        **values,
    )
    entry.hash = chain.entry_mac({name: getattr(entry, name) for name in chain.CHAINED_FIELDS})
    entry.save(force_insert=True)
    head.sequence, head.hash = entry.sequence, entry.hash
    head.mac = chain.head_mac(sequence=head.sequence, last_hash=head.hash)
    head.save(update_fields=["sequence", "hash", "mac"])
    return entry


def audit_head_reseal(*, actor=None) -> AuditEntry:
    """Point the head at the last entry after tampering was investigated, and log that.

    Entries are never changed: ``audit_verify`` keeps reporting a damaged chain (use
    ``since_sequence`` to check only what came after the incident).
    """
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=AuditHead.SINGLETON).first()
        previous = {
            "previous_sequence": head.sequence if head is not None else None,
            "previous_valid": head is not None and _head_is_valid(head),
        }
        last = AuditEntry.objects.order_by("-sequence").values("sequence", "hash").first()
        if last is None:
            last = {"sequence": 0, "hash": chain.GENESIS_HASH}
        if head is None:
            head = AuditHead(pk=AuditHead.SINGLETON)
        head.sequence, head.hash = last["sequence"], last["hash"]
        head.mac = chain.head_mac(sequence=head.sequence, last_hash=head.hash)
        head.save()
        logger.warning("Audit head resealed at entry %s (was %s).", head.sequence, previous["previous_sequence"])
        values = {
            "actor_id": actor.pk if actor is not None else None,
            "actor_username": chain.normalise_text(actor.get_username() if actor is not None else "", max_length=150),
            "action": ACTION_HEAD_RESEALED,
            "ip": None,
            "user_agent": "",
            "details": previous,
            **_target_values(None),
        }
        return _append(head=head, values=values)


_VERIFIED_FIELDS = (*chain.CHAINED_FIELDS, "hash")


def audit_verify(
    *,
    since_sequence: int = 1,
    chunk_size: int = 2000,
    max_problems: int = 100,
    on_progress: Callable[[int], None] | None = None,
) -> list[AuditProblem]:
    """Check the chain from ``since_sequence`` on: every MAC, every link, no gaps, and the head.

    Reads in keyset-paginated chunks (constant memory, no long-lived cursor), so it may run
    on a log with millions of entries while the application keeps appending.
    ``on_progress`` receives the number of entries checked so far after each chunk.
    """
    if since_sequence < 1:
        raise ValueError("since_sequence starts at 1.")
    problems: list[AuditProblem] = []
    if since_sequence == 1:
        prev_hash: str | None = chain.GENESIS_HASH
    else:
        prev_hash = AuditEntry.objects.filter(sequence=since_sequence - 1).values_list("hash", flat=True).first()
        if prev_hash is None:
            problems.append(AuditProblem(since_sequence - 1, _("Eintrag %(n)s fehlt.") % {"n": since_sequence - 1}))
    expected, checked, last_sequence = since_sequence, 0, None
    queryset = AuditEntry.objects.order_by("sequence").values(*_VERIFIED_FIELDS)
    # From the start, also look at sequence 0, which no genuine entry has.
    floor = 0 if since_sequence == 1 else since_sequence
    while rows := list(queryset.filter(sequence__gte=floor)[:chunk_size]):
        for row in rows:
            problems.extend(_check_entry(row, expected=expected, prev_hash=prev_hash))
            if row["sequence"] >= expected:
                expected, prev_hash = row["sequence"] + 1, row["hash"]
            last_sequence = row["sequence"]
            checked += 1
        floor = rows[-1]["sequence"] + 1
        if on_progress is not None:
            on_progress(checked)
        if len(problems) > max_problems:
            # A wrong key makes every entry fail; a bounded list says as much.
            problems = problems[:max_problems]
            problems.append(AuditProblem(None, _("Prüfung nach %(n)s Abweichungen abgebrochen.") % {"n": max_problems}))
            return problems
    # Read after the entries: every entry seen so far was committed with a head at or beyond it.
    problems.extend(_check_head(last_sequence))
    return problems


def _check_entry(row: dict[str, Any], *, expected: int, prev_hash: str | None) -> list[AuditProblem]:
    sequence = row["sequence"]
    if sequence < expected:
        return [AuditProblem(sequence, _("Eintrag %(n)s gehört nicht zur Kette (eingefügt).") % {"n": sequence})]
    problems = []
    if sequence != expected:
        missing = (
            _("Eintrag %(n)s fehlt.") % {"n": expected}
            if sequence == expected + 1
            else _("Einträge %(first)s bis %(last)s fehlen.") % {"first": expected, "last": sequence - 1}
        )
        problems.append(AuditProblem(expected, missing))
    try:
        authentic = hmac.compare_digest(str(row["hash"]), chain.entry_mac(row))
    except (TypeError, ValueError, AttributeError):
        authentic = False
    if not authentic:
        problems.append(
            AuditProblem(sequence, _("Eintrag %(n)s wurde verändert (Prüfsumme stimmt nicht).") % {"n": sequence})
        )
    if sequence == expected and prev_hash is not None and row["prev_hash"] != prev_hash:
        problems.append(
            AuditProblem(
                sequence,
                _("Eintrag %(n)s ist nicht mit seinem Vorgänger verkettet (verändert, vertauscht oder eingefügt).")
                % {"n": sequence},
            )
        )
    return problems


def _check_head(last_sequence: int | None) -> list[AuditProblem]:
    head = AuditHead.objects.filter(pk=AuditHead.SINGLETON).first()
    if head is None:
        if last_sequence is None and not AuditEntry.objects.exists():
            return []
        return [AuditProblem(None, _("Der Kopfeintrag des Audit-Logs fehlt."))]
    if not _head_is_valid(head):
        return [AuditProblem(head.sequence, _("Der Kopfeintrag des Audit-Logs wurde verändert."))]
    if last_sequence is not None and last_sequence > head.sequence:
        return [
            AuditProblem(
                head.sequence + 1,
                _("Einträge ab %(n)s stehen hinter dem Kopfeintrag (Kopfeintrag zurückgesetzt).")
                % {"n": head.sequence + 1},
            )
        ]
    if head.sequence == 0:
        return []
    last_hash = AuditEntry.objects.filter(sequence=head.sequence).values_list("hash", flat=True).first()
    if last_hash is None:
        return [
            AuditProblem(
                head.sequence,
                _("Der letzte Eintrag %(n)s fehlt (Einträge am Ende entfernt).") % {"n": head.sequence},
            )
        ]
    if last_hash != head.hash:
        return [AuditProblem(head.sequence, _("Eintrag %(n)s passt nicht zum Kopfeintrag.") % {"n": head.sequence})]
    return []
