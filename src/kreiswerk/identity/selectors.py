"""Who is logged in as a citizen, and what their mailbox holds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from kreiswerk.applicant.selectors import case_of, decisions_sent, inquiries_of, status_text
from kreiswerk.cases.models import Document, Inquiry
from kreiswerk.submissions.links import status_token
from kreiswerk.submissions.models import Submission

from . import attributes as attribute_names
from . import oidc, saml
from .models import VERIFIED_LEVEL, Citizen, TrustLevel
from .services import SESSION_CITIZEN


@dataclass(frozen=True)
class CitizenLogin:
    citizen: Citizen
    level: TrustLevel
    provider: str

    @property
    def verified(self) -> bool:
        """Attributes read from an ID document or certificate: prefilled fields are locked."""
        return self.level >= VERIFIED_LEVEL

    def prefill(self, name: str):
        return attribute_names.prefill_value(name, self.citizen.attributes or {})


def session_login(request) -> dict | None:
    """The login as the session holds it (citizen id, level): no database, for every step of a draft."""
    data = request.session.get(SESSION_CITIZEN)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("since", 0) > settings.KREISWERK_CITIZEN_LOGIN_MINUTES * 60:
        request.session.pop(SESSION_CITIZEN, None)
        return None
    return data


def citizen_login(request) -> CitizenLogin | None:
    data = session_login(request)
    if data is None:
        return None
    cached = getattr(request, "_kreiswerk_citizen", None)
    if cached is not None and str(cached.citizen.pk) == data.get("id"):
        return cached
    citizen = Citizen.objects.filter(pk=data.get("id")).first()
    if citizen is None:
        return None
    login = CitizenLogin(citizen=citizen, level=TrustLevel(data["level"]), provider=data.get("provider", ""))
    request._kreiswerk_citizen = login
    return login


def submissions_of(citizen: Citizen):
    """The citizen's applications, newest first, with what the mailbox shows of each."""
    return (
        Submission.objects.filter(citizen=citizen, is_test=False)
        .select_related("version", "assistant", "mandant")
        .order_by("-submitted_at")
    )


def mailbox_state(submission: Submission) -> dict:
    """Status, open Rückfragen and Bescheide of one application, for its mailbox entry."""
    case = case_of(submission)
    if case is None:
        return {"status_text": "", "open_inquiries": 0, "decisions": 0, "receipt_url": ""}
    receipt = case.documents.filter(kind=Document.Kind.RECEIPT).order_by("created_at").first()
    return {
        "receipt_url": reverse(
            "applicant:document",
            kwargs={"submission_id": submission.pk, "token": status_token(submission.pk), "document_id": receipt.pk},
        )
        if receipt
        else "",
        "status_text": status_text(case),
        "open_inquiries": sum(1 for item in inquiries_of(case) if item.state == Inquiry.State.OPEN),
        "decisions": len(decisions_sent(case)),
    }


def login_available() -> bool:
    return oidc.citizen_enabled() or saml.enabled()


def allow_login_page(response):
    """Let a page's "Mit BundID anmelden" form lead on to the provider: a redirect after POST counts for CSP."""
    if oidc.citizen_enabled():
        parts = urlsplit(settings.KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT)
        origins = [f"{parts.scheme}://{parts.netloc}"]
    else:
        origins = saml.sso_origins()
    if origins:
        update = dict(getattr(response, "_csp_update", None) or {})
        update["form-action"] = [*update.get("form-action", []), *origins]
        response._csp_update = update
    return response
