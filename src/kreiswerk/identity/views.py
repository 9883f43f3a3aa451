"""Citizen login with BundID and the citizen's mailbox (Bürgerpostfach)."""

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kreiswerk.assistants.definition import localized
from kreiswerk.payments.selectors import fee_context
from kreiswerk.submissions.links import status_path

from . import oidc, saml, selectors, services
from .models import LEVEL_KEYS, TrustLevel
from .saml import LoginRefused

logger = logging.getLogger(__name__)


def _local(url: str, request) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url if url.startswith("/") and not url.startswith("//") else ""
    return ""


def _refused(request, exc: LoginRefused):
    logger.warning("citizen login refused: %s", exc.reason)
    return render(request, "identity/refused.html", {"message": exc.message}, status=403)


@require_POST
def login(request):
    """ "Mit BundID anmelden": to the OIDC provider where one is configured, otherwise over SAML."""
    if not (oidc.citizen_enabled() or saml.enabled()):
        raise Http404
    level_key = request.POST.get("niveau", "keine")
    level = TrustLevel.from_key(level_key) if level_key in LEVEL_KEYS else TrustLevel.NONE
    next_url = _local(request.POST.get("next", ""), request) or reverse("mailbox")
    if oidc.citizen_enabled():
        return redirect(oidc.citizen_login_start(session=request.session, level=level, next_url=next_url))
    return redirect(services.login_start(session=request.session, level=level, next_url=next_url))


@never_cache
@require_GET
def oidc_callback(request):
    if not oidc.citizen_enabled():
        raise Http404
    try:
        answer, next_url = oidc.citizen_answer(
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except LoginRefused as exc:
        return _refused(request, exc)
    services.citizen_session_start(
        request, provider=oidc.PROVIDER, subject=answer.subject, level=answer.level, attributes=answer.attributes
    )
    return redirect(next_url or reverse("mailbox"))


@csrf_exempt  # the IdP posts the answer from its own site; the answer is signed and bound to our request
@require_POST
def acs(request):
    try:
        login_request = services.login_answer(saml_response=request.POST.get("SAMLResponse", ""))
    except LoginRefused as exc:
        return _refused(request, exc)
    # Back on our own site with a plain GET, where the browser's session cookie comes along.
    return redirect("identity:complete", request_id=login_request.pk)


@never_cache
@require_GET
def complete(request, request_id: str):
    try:
        login_request = services.login_complete(request=request, request_id=request_id)
    except LoginRefused as exc:
        return _refused(request, exc)
    return redirect(login_request.next_url or reverse("mailbox"))


@require_POST
def logout(request):
    services.citizen_logout(request=request)
    return redirect("runner:index")


@require_GET
def metadata(request):
    if not saml.enabled():
        raise Http404
    return HttpResponse(saml.sp_metadata(), content_type="application/samlmetadata+xml")


@never_cache
@require_GET
def mailbox(request):
    login_state = selectors.citizen_login(request)
    if login_state is None:
        return selectors.allow_login_page(
            render(request, "identity/mailbox_login.html", {"login_enabled": selectors.login_available()})
        )
    entries = []
    for submission in selectors.submissions_of(login_state.citizen):
        entries.append(
            {
                "submission": submission,
                "title": localized(submission.version.parsed.title),
                "link": status_path(submission.pk),
                **selectors.mailbox_state(submission),
                **fee_context(submission),
            }
        )
    response = render(request, "identity/mailbox.html", {"login": login_state, "entries": entries})
    response["Cache-Control"] = "private, no-store"
    return response
