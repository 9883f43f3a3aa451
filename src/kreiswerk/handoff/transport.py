"""HTTP for the channels that post: one client configuration, one reading of answers."""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from .base import Outcome, Refused, Unreachable

# A destination that answers none of these is refusing; these say "later".
TRANSIENT_STATUSES = {408, 425, 429}
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def url_problem(url: str) -> str:
    """Why ``url`` cannot receive submissions, or "". Personal data travels only over TLS."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return _("Bitte geben Sie eine vollständige Adresse mit https:// an.")
    if parts.username or parts.password:
        return _("Die Adresse darf keine Zugangsdaten enthalten.")
    if parts.scheme == "http" and not (_loopback(parts.hostname) or settings.KREISWERK_HANDOFF_ALLOW_HTTP):
        return _("Anträge werden nur verschlüsselt übertragen: Bitte verwenden Sie eine https-Adresse.")
    return ""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def _client() -> httpx.Client:
    """One client per process: building its TLS context costs more than a whole attempt."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False, headers={"User-Agent": "kreiswerk"})


def post(url: str, *, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST and sort the answer: a 2xx is returned, anything else raises."""
    try:
        response = _client().post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise Unreachable(_("Ziel nicht erreichbar (%(error)s)") % {"error": type(exc).__name__}) from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = _("Ziel antwortete mit HTTP %(status)s: %(text)s") % {"status": status, "text": _answer(response)}
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise Unreachable(message, http_status=status)
    raise Refused(message, http_status=status)


def _answer(response: httpx.Response) -> str:
    """The destination's own words (problem+json title/detail), short, for the staff view."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return " ".join(str(body[key]) for key in ("title", "detail") if body.get(key))[:300]
    return ""


def post_delivery(delivery, *, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
    """POST a delivery's JSON body with its idempotency key; a 2xx is the destination's confirmation."""
    response = post(
        delivery.destination.url,
        body=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": str(delivery.pk), **(headers or {})},
    )
    return Outcome(confirmed=True, http_status=response.status_code)
