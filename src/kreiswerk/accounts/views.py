import base64
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kreiswerk.assistants.selectors import assistants_open
from kreiswerk.identity.oidc import staff_enabled as staff_sso_enabled
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import has_any_role

from .decorators import staff_required
from .forms import LoginForm, TokenForm
from .services import (
    staff_login_complete,
    totp_confirm,
    totp_device_for,
    totp_enrolment_device,
    totp_throttled,
)

PENDING_USER = "kreiswerk_pending_user"
PENDING_NEXT = "kreiswerk_pending_next"
PENDING_SINCE = "kreiswerk_pending_since"
# Time between the password and the second factor, enrolment (installing an app) included.
PENDING_MAX_SECONDS = 10 * 60


def _is_safe(request, candidate: str | None) -> bool:
    return bool(candidate) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next_url(request, candidate: str | None) -> str:
    if _is_safe(request, candidate):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _clear_pending(session) -> None:
    for key in (PENDING_USER, PENDING_NEXT, PENDING_SINCE):
        session.pop(key, None)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    candidate = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    if request.method == "GET" and request.user.is_authenticated and request.user.is_verified():
        return redirect(safe_next_url(request, candidate))
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return first_factor_passed(request, form.user, next_url=safe_next_url(request, candidate))
    context = {
        "form": form,
        "next": candidate if _is_safe(request, candidate) else "",
        "sso": staff_sso_enabled(),
        "sso_failed": request.GET.get("sso") == "fehlgeschlagen",
    }
    return render(request, "accounts/login.html", context)


def first_factor_passed(request, user, *, next_url: str):
    """Password (or single sign-on) is right; the session only remembers that until the second factor."""
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_NEXT] = next_url
    request.session[PENDING_SINCE] = int(time.time())
    return redirect("accounts:otp")


def _pending_user(request):
    session = request.session
    user_pk = session.get(PENDING_USER)
    since = session.get(PENDING_SINCE, 0)
    if not user_pk:
        return None
    if int(time.time()) - since > PENDING_MAX_SECONDS:
        _clear_pending(session)
        messages.info(request, _("Die Anmeldung hat zu lange gedauert. Bitte beginnen Sie erneut."))
        return None
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if user is None:
        _clear_pending(session)
    return user


def _enrolment_context(device) -> dict:
    qr = segno.make(device.config_url, error="m")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return {
        # A data URI with the SVG namespace, shown as <img> (CSP allows data: images).
        "qr_svg_data": qr.svg_data_uri(scale=5, dark="#000", light="#fff"),
        "secret": secret,
        "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
        "account": device.user.get_username(),
    }


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def otp_view(request):
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    device = totp_device_for(user)
    enrolling = device is None
    if enrolling:
        device = totp_enrolment_device(user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if totp_throttled(device):
            form.add_error(
                "token",
                _("Zu viele ungültige Codes. Bitte warten Sie einen Moment und geben Sie dann den aktuellen Code ein."),
            )
        elif totp_confirm(device=device, token=form.cleaned_data["token"]):
            target = safe_next_url(request, request.session.get(PENDING_NEXT))
            staff_login_complete(request, user=user, device=device)
            _clear_pending(request.session)
            return redirect(target)
        else:
            form.add_error("token", _("Der Code ist nicht gültig. Bitte versuchen Sie es erneut."))
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        context.update(_enrolment_context(device))
    return render(request, "accounts/otp.html", context)


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, _("Sie haben sich abgemeldet."))
    return redirect("accounts:login")


@never_cache
@staff_required
def home(request):
    context = {
        "can_manage_forms": has_any_role(request.user, Role.FORM_ADMIN),
        "can_read_submissions": has_any_role(request.user, Role.CASEWORKER),
        "can_archive": has_any_role(request.user, Role.ARCHIVE),
        "can_manage_api": has_any_role(request.user, Role.ADMIN),
        "internal_assistants": list(assistants_open(audience="internal")),
    }
    return render(request, "accounts/home.html", context)
