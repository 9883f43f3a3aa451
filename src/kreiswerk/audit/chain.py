"""The keyed hash chain: canonical form of an entry and its MAC, and the MAC of the head.

Every value goes through the same normalisation when an entry is written and when it is
verified, so what the database hands back (PostgreSQL's ``inet`` and ``jsonb`` render values
their own way) yields the same bytes as what was written.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

GENESIS_HASH = "0" * 64
HKDF_INFO = b"kreiswerk audit chain"
USER_AGENT_MAX_LENGTH = 255

# The fields an entry's MAC covers, in addition to the previous entry's hash.
CHAINED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "mandant_id",
    "unit_id",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
)


def chain_key() -> bytes:
    """The MAC key: from KREISWERK_AUDIT_KEY, or else from SECRET_KEY.

    Both go through the same derivation, so after a SECRET_KEY rotation setting
    KREISWERK_AUDIT_KEY to the old SECRET_KEY keeps the existing chain valid.
    """
    secret = getattr(settings, "KREISWERK_AUDIT_KEY", "") or settings.SECRET_KEY
    return _derive(secret)


@functools.lru_cache(maxsize=4)
def _derive(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    return hkdf.derive(secret.encode())


def normalise_ip(value: str | None) -> str | None:
    """The address as the database keeps it (IPv6 compressed), or None if it is not an address."""
    if not value:
        return None
    try:
        # A zone ("fe80::1%eth0") means nothing outside this host, and ``inet`` refuses it.
        address = ipaddress.ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        # Django's GenericIPAddressField stores this form; Python renders it differently.
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def normalise_text(value: str | None, *, max_length: int | None = None) -> str:
    # PostgreSQL text cannot hold NUL characters.
    text = (value or "").replace("\x00", "")
    return text[:max_length] if max_length is not None else text


def normalise_details(value: Any, *, path: str = "details") -> Any:
    """Ids and codes only: strings, integers, booleans, None, lists and objects with string keys.

    Floats are refused because ``jsonb`` does not give back every float as it was written.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [normalise_details(item, path=f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        normalised = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {type(key).__name__}")
            normalised[normalise_text(key)] = normalise_details(item, path=f"{path}.{key}")
        return normalised
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in audit details (ids and codes only)")


def _canonical_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_ip(value: str | None) -> str | None:
    # Exploded form: independent of how the database renders the address.
    normalised = normalise_ip(value)
    return None if normalised is None else ipaddress.ip_address(normalised).exploded


def _mac(label: bytes, payload: dict[str, Any]) -> str:
    message = label + b"\x00" + json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(chain_key(), message, hashlib.sha256).hexdigest()


def entry_mac(values: dict[str, Any]) -> str:
    """The MAC of an entry, given its chained fields (as written or as read back)."""
    payload = {name: values[name] for name in CHAINED_FIELDS}
    payload["occurred_at"] = _canonical_time(payload["occurred_at"])
    payload["ip"] = _canonical_ip(payload["ip"])
    return _mac(b"kreiswerk.audit.entry", payload)


def head_mac(*, sequence: int, last_hash: str) -> str:
    return _mac(b"kreiswerk.audit.head", {"sequence": sequence, "hash": last_hash})
