"""Pages of the development IdP: a login form standing in for BundID's (only with KREISWERK_DEV_IDP)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import devidp, saml
from .models import TrustLevel

# What a person at BundID would choose: an account with a password, ELSTER, or the ID card.
METHODS = (
    (TrustLevel.BASIC, "Benutzername und Passwort (Basisregistrierung)"),
    (TrustLevel.SUBSTANTIAL, "ELSTER-Zertifikat (substantiell)"),
    (TrustLevel.HIGH, "Online-Ausweis (hoch)"),
)


def _enabled():
    if not settings.KREISWERK_DEV_IDP:
        raise Http404


@never_cache
@require_http_methods(["GET", "POST"])
def sso(request):
    _enabled()
    source = request.GET if request.method == "GET" else request.POST
    saml_request = source.get("SAMLRequest", "")
    try:
        asked = devidp.request_read(saml_request)
    except Exception:  # any unreadable or unsigned request: the IdP would refuse it too
        return render(request, "identity/devidp/bad_request.html", status=400)
    if request.method == "POST":
        if request.POST.get("aktion") == "abbrechen":
            response = devidp.failure_for(request_id=asked["id"])
        else:
            try:
                who = devidp.persona(request.POST.get("person", ""))
                level = TrustLevel(int(request.POST.get("niveau", "")))
            except (StopIteration, ValueError):
                who, level = None, None
            if who is None:
                return _login_page(request, saml_request, asked, status=400)
            response = devidp.response_for(request_id=asked["id"], who=who, level=level)
        return render(
            request,
            "identity/devidp/post.html",
            {"acs": saml.acs_url(), "saml_response": response, "relay_state": source.get("RelayState", "")},
        )
    return _login_page(request, saml_request, asked)


def _login_page(request, saml_request, asked, status=200):
    context = {
        "saml_request": saml_request,
        "relay_state": request.GET.get("RelayState", request.POST.get("RelayState", "")),
        "asked_level": asked["level"],
        "personas": devidp.PERSONAS,
        "methods": METHODS,
        "issuer": asked["issuer"],
    }
    return render(request, "identity/devidp/login.html", context, status=status)


@require_GET
def metadata(request):
    _enabled()
    return HttpResponse(devidp.metadata_xml(), content_type="application/samlmetadata+xml")
