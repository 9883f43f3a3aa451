"""Staff pages for API clients ("API-Zugänge"): list, create, grants, tokens, deactivation.

Only Administration: clients are found through ``selectors`` (the administrator's
Mandanten; 404 elsewhere), scopes are granted and withdrawn only in his units, and a
token is issued only for a client whose every grant lies in them. Withdrawing a token
or deactivating a client only takes access away, so any administrator of the Mandant
may do it. A new token is rendered once, straight into the POST response, never stored
in the session or a message, and that page is not cached.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.tenancy.models import Role

from . import forms, selectors, services
from .models import ApiClient


def _visible_client(request, client_id) -> ApiClient:
    return get_object_or_404(selectors.api_client_list(request.user), pk=client_id)


def _token_page(request, client: ApiClient, token: str, *, grace=None):
    response = render(
        request,
        "api/token.html",
        {"client": client, "token": token, "rotated": grace is not None, "old_until": _old_until(grace)},
    )
    # The secret is on this page: no copy in any cache, the browser's back-forward cache included.
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def _old_until(grace):
    return timezone.now() + grace if grace else None


@never_cache
@require_GET
@staff_required(role=Role.ADMIN)
def client_list(request):
    clients = list(selectors.api_client_list(request.user))
    return render(request, "api/clients.html", {"clients": clients, "now": timezone.now()})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.ADMIN)
def client_create(request):
    units = selectors.api_units_for(request.user)
    form = forms.ClientCreateForm(request.POST if request.method == "POST" else None, units=units)
    if form.is_valid():
        grants = form.grants()
        try:
            client, token = services.api_client_set_up(
                mandant=grants[0][0].mandant,
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                grants=grants,
                actor=request.user,
            )
        except services.ApiClientRefused as refusal:
            form.add_error("slug", str(refusal))
        else:
            return _token_page(request, client, token)
    return render(request, "api/create.html", {"form": form})


def _detail(request, client: ApiClient, *, grant_form=None, rotate_form=None):
    units = selectors.api_unit_ids_for(request.user)
    controlled = selectors.api_client_controlled_by(request.user, client)
    return render(
        request,
        "api/client.html",
        {
            "client": client,
            "now": timezone.now(),
            "managed_units": units,
            "foreign_grants": any(grant.unit_id not in units for grant in client.grants.all()),
            "can_issue": client.is_active and controlled,
            "grant_form": grant_form or forms.GrantForm(units=selectors.api_units_for(request.user)),
            "rotate_form": rotate_form or forms.RotateForm(initial={"stand": selectors.api_token_newest_id(client)}),
        },
    )


@never_cache
@require_GET
@staff_required(role=Role.ADMIN)
def client_detail(request, client_id):
    return _detail(request, _visible_client(request, client_id))


def _refuse_inactive(request, client: ApiClient):
    messages.error(request, _("Der API-Zugang ist gesperrt; er lässt sich nicht mehr ändern."))
    return redirect("api_clients:detail", client_id=client.pk)


@never_cache
@require_POST
@staff_required(role=Role.ADMIN)
def grant_add(request, client_id):
    client = _visible_client(request, client_id)
    if not client.is_active:
        return _refuse_inactive(request, client)
    form = forms.GrantForm(request.POST, units=selectors.api_units_for(request.user))
    if not form.is_valid():
        return _detail(request, client, grant_form=form)
    try:
        for unit, scope in form.grants():
            services.api_grant_add(client=client, unit=unit, scope=scope, actor=request.user)
    except services.ApiClientRefused as refusal:
        form.add_error("unit", str(refusal))
        return _detail(request, client, grant_form=form)
    messages.success(request, _("Die Berechtigungen sind gewährt."))
    return redirect("api_clients:detail", client_id=client.pk)


@require_POST
@staff_required(role=Role.ADMIN)
def grant_remove(request, client_id):
    client = _visible_client(request, client_id)
    form = forms.GrantRemoveForm(request.POST, grants=selectors.api_grants_removable_by(request.user, client))
    if not form.is_valid():
        messages.error(request, _("Diese Berechtigung gibt es nicht mehr, oder sie liegt außerhalb Ihrer Einheiten."))
    else:
        grant = form.cleaned_data["grant"]
        services.api_grant_remove(client=client, unit=grant.unit, scope=grant.scope, actor=request.user)
        messages.success(
            request,
            _("Die Berechtigung „%(scope)s“ in „%(unit)s“ ist entzogen.")
            % {"scope": grant.get_scope_display(), "unit": grant.unit.name},
        )
    return redirect("api_clients:detail", client_id=client.pk)


@never_cache
@require_POST
@staff_required(role=Role.ADMIN)
def token_rotate(request, client_id):
    client = _visible_client(request, client_id)
    if not client.is_active:
        return _refuse_inactive(request, client)
    if not selectors.api_client_controlled_by(request.user, client):
        messages.error(
            request,
            _(
                "Dieser API-Zugang hat Berechtigungen außerhalb Ihrer Einheiten. Ein neues Token stellt die "
                "Administration aus, die für alle seine Einheiten zuständig ist."
            ),
        )
        return redirect("api_clients:detail", client_id=client.pk)
    form = forms.RotateForm(request.POST)
    if not form.is_valid():
        return _detail(request, client, rotate_form=form)
    if form.cleaned_data["stand"] != selectors.api_token_newest_id(client):
        messages.error(
            request,
            _(
                "Das Token wurde inzwischen schon erneuert (vielleicht wurde die Seite neu geladen). "
                "Bitte prüfen Sie die Liste der Tokens und erneuern Sie es bei Bedarf noch einmal."
            ),
        )
        return redirect("api_clients:detail", client_id=client.pk)
    grace = form.grace_period()
    try:
        token = services.api_token_issue(client=client, grace=grace, actor=request.user)
    except services.ApiClientRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("api_clients:detail", client_id=client.pk)
    return _token_page(request, client, token, grace=grace)


@require_POST
@staff_required(role=Role.ADMIN)
def token_revoke(request, client_id):
    client = _visible_client(request, client_id)
    form = forms.TokenRevokeForm(request.POST, tokens=selectors.api_tokens_live(client))
    if not form.is_valid():
        messages.error(request, _("Dieses Token gibt es nicht, oder es ist schon widerrufen."))
    else:
        prefix = form.cleaned_data["prefix"].prefix
        services.api_tokens_revoke(client=client, prefix=prefix, actor=request.user)
        messages.success(request, _("Das Token „%(prefix)s…“ ist widerrufen.") % {"prefix": prefix})
    return redirect("api_clients:detail", client_id=client.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.ADMIN)
def client_deactivate(request, client_id):
    client = _visible_client(request, client_id)
    if not client.is_active:
        if request.method == "GET":
            return redirect("api_clients:detail", client_id=client.pk)
        return _refuse_inactive(request, client)
    if request.method == "POST":
        services.api_client_deactivate(client=client, actor=request.user)
        messages.success(
            request, _("Der API-Zugang „%(name)s“ ist gesperrt, alle Tokens sind widerrufen.") % {"name": client.name}
        )
        return redirect("api_clients:detail", client_id=client.pk)
    return render(request, "api/deactivate.html", {"client": client})
