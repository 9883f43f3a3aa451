"""OpenID Connect: citizens through a Keycloak that brokers BundID (or another provider), and staff SSO.

Both use mozilla-django-oidc's code exchange, JWKS lookup and signature check through
``CheckedOIDCBackend``, which adds what that library leaves out: the issuer and the
audience of every ID token are checked. Staff sign in through the library's own views
(the backend only finds existing staff accounts; the second factor is asked afterwards
as for a password login); citizens through ``citizen_login_start``/``citizen_answer``,
which end in the same citizen session as a SAML login.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import attributes
from .models import TrustLevel
from .saml import Answer, LoginRefused

logger = logging.getLogger(__name__)

PROVIDER = "oidc"
SESSION_STATES = "kreiswerk_oidc_states"


class CheckedOIDCBackend(OIDCAuthenticationBackend):
    """The library's token handling with the issuer and audience checked as well."""

    issuer_setting = "OIDC_OP_ISSUER"

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != self.get_settings(self.issuer_setting):
            raise SuspiciousOperation("ID token from another issuer")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another audience")
        return payload


class StaffOIDCBackend(CheckedOIDCBackend):
    """Staff single sign-on: an existing, active account named by the provider's username claim."""

    def authenticate(self, request, **kwargs):
        # Only the SSO callback (with the nonce it stored) may get here; a password login passes this by.
        if not kwargs.get("nonce"):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Exception as exc:  # a forged or expired token, or the provider unreachable: no login, no 500
            logger.warning("staff sign-on refused: %s", f"{type(exc).__name__}: {exc}"[:300])
            return None

    def filter_users_by_claims(self, claims):
        username = claims.get(settings.KREISWERK_OIDC_STAFF_USERNAME_CLAIM)
        if not username:
            return get_user_model().objects.none()
        # Only accounts that already have their second factor: SSO must not be a way to enrol one.
        return get_user_model().objects.filter(username=username, is_active=True, totpdevice__confirmed=True).distinct()

    def verify_claims(self, claims):
        return bool(claims.get(settings.KREISWERK_OIDC_STAFF_USERNAME_CLAIM))

    def update_user(self, user, claims):
        return user


# The citizen provider's settings under the names mozilla-django-oidc asks for.
_CITIZEN_SETTINGS = {
    "OIDC_OP_ISSUER": "KREISWERK_OIDC_CITIZEN_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "KREISWERK_OIDC_CITIZEN_TOKEN_ENDPOINT",  # nosec B105  (a setting name)
    "OIDC_OP_USER_ENDPOINT": "KREISWERK_OIDC_CITIZEN_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "KREISWERK_OIDC_CITIZEN_JWKS_ENDPOINT",
    "OIDC_RP_CLIENT_ID": "KREISWERK_OIDC_CITIZEN_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "KREISWERK_OIDC_CITIZEN_CLIENT_SECRET",
}
_CITIZEN_FIXED = {"OIDC_RP_SIGN_ALGO": "RS256", "OIDC_USE_NONCE": True, "OIDC_TOKEN_USE_BASIC_AUTH": True}  # nosec B105


class CitizenOIDCBackend(CheckedOIDCBackend):
    """Not an authentication backend of Django: citizens are no user accounts. Used for its token work."""

    def get_settings(self, attr, *args):
        if attr in _CITIZEN_SETTINGS:
            return getattr(settings, _CITIZEN_SETTINGS[attr])
        if attr in _CITIZEN_FIXED:
            return _CITIZEN_FIXED[attr]
        return getattr(settings, attr, *args) if args else getattr(settings, attr)


def citizen_enabled() -> bool:
    return bool(settings.KREISWERK_OIDC_CITIZEN_ISSUER and settings.KREISWERK_OIDC_CITIZEN_CLIENT_ID)


def staff_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_AUTHORIZATION_ENDPOINT)


def callback_url() -> str:
    return f"{settings.KREISWERK_BASE_URL}/anmeldung/oidc/antwort/"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def citizen_login_start(*, session, level: TrustLevel, next_url: str) -> str:
    """An authorization request for at least ``level``; returns the URL to send the browser to."""
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    states = dict(session.get(SESSION_STATES, {}))
    states = dict(list(states.items())[-4:])
    states[state] = {"nonce": nonce, "verifier": verifier, "level": int(level), "next": next_url}
    session[SESSION_STATES] = states
    query = {
        "response_type": "code",
        "client_id": settings.KREISWERK_OIDC_CITIZEN_CLIENT_ID,
        "redirect_uri": callback_url(),
        "scope": settings.KREISWERK_OIDC_CITIZEN_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
        "acr_values": level.class_ref,
    }
    return f"{settings.KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT}?{urlencode(query)}"


def citizen_answer(*, session, state: str, code: str, error: str) -> tuple[Answer, str]:
    """Exchange the code of this browser's request and check the ID token and the level.

    Returns the answer and where the citizen wanted to go; raises LoginRefused.
    """
    refused = _("Die Anmeldung konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.")
    states = dict(session.get(SESSION_STATES, {}))
    pending = states.pop(state, None) if state else None
    session[SESSION_STATES] = states
    if pending is None:
        raise LoginRefused(
            _(
                "Diese Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. "
                "Bitte melden Sie sich erneut an."
            ),
            reason="unknown_state",
        )
    if error or not code:
        raise LoginRefused(
            _("Die Anmeldung wurde abgebrochen oder vom Anmeldedienst abgelehnt."), reason=f"error:{error[:40]}"
        )
    backend = CitizenOIDCBackend()
    try:
        tokens = backend.get_token(
            {
                "client_id": backend.OIDC_RP_CLIENT_ID,
                "client_secret": backend.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url(),
                "code_verifier": pending["verifier"],
            }
        )
        payload = backend.verify_token(tokens.get("id_token") or "", nonce=pending["nonce"])
        userinfo = backend.get_userinfo(tokens.get("access_token"), tokens.get("id_token"), payload)
    except Exception as exc:  # the library's, PyJWT's (expired, malformed) and the wire's errors alike
        raise LoginRefused(refused, reason=f"{type(exc).__name__}: {exc}"[:300]) from exc
    # OIDC Core 5.3.2: userinfo about anyone but the token's subject must not be used.
    if userinfo.get("sub") != payload.get("sub"):
        raise LoginRefused(refused, reason="userinfo_subject")
    claims = {**userinfo, **payload}
    level = TrustLevel.from_class_ref(str(payload.get("acr", "")))
    if level is None or not payload.get("sub"):
        raise LoginRefused(refused, reason="no_level_or_subject")
    if level < pending["level"]:
        from .services import level_refusal  # services builds on this module for the SAML path

        raise level_refusal(reached=level, required=pending["level"])
    answer = Answer(subject=str(payload["sub"]), level=level, attributes=attributes.from_oidc(claims))
    return answer, pending["next"]
