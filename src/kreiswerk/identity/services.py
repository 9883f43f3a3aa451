"""Citizen login: send the AuthnRequest, take the answer once, log the browser in that asked."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.audit.services import audit_record
from kreiswerk.runner.services import SESSION_DRAFTS, SESSION_SUBMISSIONS

from . import saml
from .models import Citizen, LoginRequest, SeenAssertion, TrustLevel
from .saml import LoginRefused

logger = logging.getLogger(__name__)

SESSION_CITIZEN = "kreiswerk_citizen"
SESSION_PENDING = "kreiswerk_login_pending"
# A person needs a few minutes with the ID card and the AusweisApp; after that the request is stale.
REQUEST_VALID = timedelta(minutes=15)


def login_start(*, session, level: TrustLevel, next_url: str) -> str:
    """Record a signed AuthnRequest for this browser; returns where to send it."""
    request_id, location = saml.authn_request(level=level)
    LoginRequest.objects.create(id=request_id, provider=saml.PROVIDER, level=level, next_url=next_url[:500])
    pending = list(session.get(SESSION_PENDING, []))[-4:]
    session[SESSION_PENDING] = [*pending, request_id]
    return location


def _refuse(request_id: str) -> None:
    LoginRequest.objects.filter(pk=request_id, state=LoginRequest.State.SENT).update(state=LoginRequest.State.REFUSED)


def login_answer(*, saml_response: str) -> LoginRequest:
    """Check the IdP's answer and consume its request exactly once; raises LoginRefused.

    Runs without the browser's session (a cross-site POST carries no SameSite cookie);
    ``login_complete`` binds the result to the browser afterwards.
    """
    claimed, _encrypted = saml.peek(saml_response)
    stale = _("Diese Anmeldung ist abgelaufen oder wurde bereits verwendet. Bitte melden Sie sich erneut an.")
    request = (
        LoginRequest.objects.filter(
            pk=claimed, state=LoginRequest.State.SENT, created_at__gte=timezone.now() - REQUEST_VALID
        ).first()
        if claimed
        else None
    )
    if request is None:
        raise LoginRefused(stale, reason="unknown_or_used_request")
    # A refused answer leaves the request open: whoever knows its id could otherwise spoil it.
    answer = saml.answer_verify(saml_response, request_id=request.pk)
    if answer.level < request.level:
        _refuse(request.pk)
        raise level_refusal(reached=answer.level, required=request.level)
    result = {"subject": answer.subject, "level": int(answer.level), "attributes": answer.attributes}
    request.result, request.state, request.answered_at = result, LoginRequest.State.ANSWERED, timezone.now()
    try:
        with transaction.atomic():
            # A replayed answer races the first one here; only one finds the request still unanswered,
            # and an assertion counts once even when it is wrapped into an answer to another request.
            SeenAssertion.objects.create(id=answer.assertion_id[:120], valid_until=answer.valid_until)
            if (
                not LoginRequest.objects.select_for_update()
                .filter(pk=request.pk, state=LoginRequest.State.SENT)
                .exists()
            ):
                raise LoginRefused(stale, reason="replayed")
            request.save(update_fields=["result", "state", "answered_at"])
    except IntegrityError as exc:
        raise LoginRefused(stale, reason="assertion_replayed") from exc
    return request


def level_refusal(*, reached: int, required: int) -> LoginRefused:
    message = _(
        "Sie haben sich mit dem Vertrauensniveau „%(reached)s“ angemeldet. Für diesen Antrag ist mindestens "
        "„%(required)s“ nötig, zum Beispiel mit dem Online-Ausweis oder einem ELSTER-Zertifikat. "
        "Bitte melden Sie sich damit erneut an."
    ) % {"reached": TrustLevel(reached).label, "required": TrustLevel(required).label}
    return LoginRefused(message, reason="level_too_low")


def subject_hash(provider: str, subject: str) -> str:
    # Case matters in bPK2 (base64), so not the blind index, which normalises text for search.
    key = settings.KREISWERK_INDEX_KEY.encode()
    return hmac.new(key, f"citizen:{provider}:{subject}".encode(), hashlib.sha256).hexdigest()


def citizen_record(*, provider: str, subject: str, level: int, attributes: dict) -> Citizen:
    now = timezone.now()
    citizen, _created = Citizen.objects.update_or_create(
        provider=provider,
        subject_hash=subject_hash(provider, subject),
        defaults={"attributes": attributes, "level": level, "last_login_at": now},
    )
    return citizen


def login_complete(*, request, request_id: str) -> LoginRequest:
    """The browser that sent the request picks up its login; any other browser is refused."""
    session = request.session
    if request_id not in session.get(SESSION_PENDING, []):
        raise LoginRefused(
            _("Diese Anmeldung wurde in einem anderen Browser begonnen. Bitte melden Sie sich hier erneut an."),
            reason="other_browser",
        )
    with transaction.atomic():
        login = (
            LoginRequest.objects.select_for_update()
            .filter(pk=request_id, state=LoginRequest.State.ANSWERED, created_at__gte=timezone.now() - REQUEST_VALID)
            .first()
        )
        if login is None:
            raise LoginRefused(
                _("Diese Anmeldung ist abgelaufen oder wurde bereits verwendet. Bitte melden Sie sich erneut an."),
                reason="not_answered",
            )
        result = login.result
        login.state, login.result = LoginRequest.State.DONE, None
        login.save(update_fields=["state", "result"])
        session[SESSION_PENDING] = [item for item in session.get(SESSION_PENDING, []) if item != request_id]
        citizen_session_start(
            request,
            provider=login.provider,
            subject=result["subject"],
            level=result["level"],
            attributes=result["attributes"],
        )
    return login


def citizen_session_start(request, *, provider: str, subject: str, level: int, attributes: dict) -> Citizen:
    """Log this browser in as the citizen (SAML or OIDC alike), with a new session key."""
    citizen = citizen_record(provider=provider, subject=subject, level=level, attributes=attributes)
    previous = request.session.get(SESSION_CITIZEN) or {}
    if previous.get("id") not in (None, str(citizen.pk)):
        _forget_applications(request.session)  # another person at the same browser
    # A new session key at login (session fixation); drafts of this browser stay with it.
    request.session.cycle_key()
    request.session[SESSION_CITIZEN] = {
        "id": str(citizen.pk),
        "level": int(level),
        "provider": provider,
        "since": int(time.time()),
    }
    audit_record(
        action="citizen.login", target=citizen, request=request, details={"provider": provider, "level": int(level)}
    )
    return citizen


def citizen_logout(*, request) -> None:
    """Log out and let the browser forget this person's drafts and receipts (a shared computer)."""
    if request.session.pop(SESSION_CITIZEN, None) is not None:
        _forget_applications(request.session)
        request.session.cycle_key()


def _forget_applications(session) -> None:
    session.pop(SESSION_DRAFTS, None)
    session.pop(SESSION_SUBMISSIONS, None)


def login_requests_purge(*, now=None) -> int:
    """Old requests and any result nobody picked up; housekeeping."""
    now = now or timezone.now()
    deleted, _detail = LoginRequest.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    SeenAssertion.objects.filter(valid_until__lt=now).delete()
    return deleted
