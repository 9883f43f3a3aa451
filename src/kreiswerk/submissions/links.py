"""The applicant's link to "Mein Antrag": a keyed hash of the submission id, nothing stored.

The receipt PDF, the receipt page and every e-mail carry the same link, so it
can be rendered in a job long after the submit without keeping a secret
anywhere. The MAC uses ``SECRET_KEY``; links made with a key listed in
``SECRET_KEY_FALLBACKS`` keep working while keys are rotated.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "kreiswerk.submissions.status-link"
# 24 bytes of HMAC-SHA256: 192 bits, 32 URL-safe characters.
_MAC_BYTES = 24


def _mac(submission_id, secret: str) -> str:
    digest = salted_hmac(_SALT, str(submission_id), secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode("ascii")


def status_token(submission_id) -> str:
    return _mac(submission_id, settings.SECRET_KEY)


def status_token_valid(submission_id, token: str) -> bool:
    if not token or len(token) > 64:
        return False
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(_mac(submission_id, secret), token) for secret in secrets)


def status_path(submission_id) -> str:
    return reverse("applicant:status", kwargs={"submission_id": submission_id, "token": status_token(submission_id)})


def status_url(submission_id) -> str:
    return settings.KREISWERK_BASE_URL + status_path(submission_id)
