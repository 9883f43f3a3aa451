"""Webhook signatures as FIT-Connect's callbacks make them: HMAC-SHA512 over ``timestamp.body``."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Callback-Authentication"
TIMESTAMP_HEADER = "Callback-Timestamp"
# FIT-Connect's receivers refuse callbacks older than this; so do ours.
MAX_AGE_SECONDS = 300


def secret_generate() -> str:
    return secrets.token_urlsafe(48)


def signature(secret: str, *, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha512).hexdigest()
