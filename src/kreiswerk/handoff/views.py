"""Staff pages of the hand-off: deliveries (failed ones first, with a retry button) and destinations.

Form builders and administrators see the deliveries and destinations of their units;
anything else is answered with 404. Only administrators set destinations up or change
them: a destination receives every future application, so choosing one is choosing who
gets citizens' data. A generated webhook secret is shown once, in the POST response,
which is never cached.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.tenancy.models import Role

from . import selectors, services
from .forms import DestinationForm
from .models import Destination
from .signing import secret_generate

PAGE_SIZE = 50
STATUS_LABELS = {
    "fehlgeschlagen": gettext_lazy("fehlgeschlagen"),
    "offen": gettext_lazy("offen"),
    "uebergeben": gettext_lazy("übergeben"),
    "alle": gettext_lazy("alle"),
}


def _delivery_for(user, delivery_id):
    delivery = selectors.delivery_get(user, delivery_id)
    if delivery is None:
        raise Http404
    return delivery


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def delivery_list(request):
    status = request.GET.get("status", "fehlgeschlagen")
    if status not in selectors.STATUS_FILTERS:
        status = "fehlgeschlagen"
    paginator = Paginator(selectors.delivery_list(request.user, status=status), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("seite"))
    filters = [(key, STATUS_LABELS[key]) for key in selectors.STATUS_FILTERS]
    return render(request, "handoff/deliveries.html", {"page": page, "status": status, "filters": filters})


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def delivery_detail(request, delivery_id):
    delivery = _delivery_for(request.user, delivery_id)
    events = delivery.events.select_related("actor").order_by("at", "id")
    return render(request, "handoff/delivery.html", {"delivery": delivery, "events": events})


@require_POST
@staff_required(role=Role.FORM_ADMIN)
def delivery_retry(request, delivery_id):
    delivery = _delivery_for(request.user, delivery_id)
    if services.delivery_retry(delivery=delivery, actor=request.user):
        messages.success(request, _("Die Übergabe wird erneut versucht."))
    else:
        messages.info(request, _("Diese Übergabe ist nicht fehlgeschlagen; es gibt nichts zu wiederholen."))
    return redirect("handoff:delivery", delivery_id=delivery.pk)


def _assistant_for(user, assistant_id: int, role: str = Role.FORM_ADMIN):
    return get_object_or_404(selectors.managed_assistants(user, role).select_related("unit"), pk=assistant_id)


def _destination_for(user, destination_id: int) -> Destination:
    managed = selectors.managed_assistants(user, Role.ADMIN)
    return get_object_or_404(
        Destination.objects.select_related("assistant").filter(assistant__in=managed), pk=destination_id
    )


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def destination_list(request, assistant_id: int):
    assistant = _assistant_for(request.user, assistant_id)
    destinations = selectors.destination_list(assistant)
    can_manage = selectors.managed_assistants(request.user, Role.ADMIN).filter(pk=assistant.pk).exists()
    context = {"assistant": assistant, "destinations": destinations, "can_manage": can_manage}
    return render(request, "handoff/destinations.html", context)


def _secret_page(request, destination: Destination, secret: str):
    response = render(request, "handoff/secret.html", {"destination": destination, "secret": secret})
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    return response


def _apply(form: DestinationForm, save) -> Destination | None:
    """Call ``save`` with the form's values; the service's refusals land on the fields."""
    try:
        return save()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.ADMIN)
def destination_create(request, assistant_id: int):
    assistant = _assistant_for(request.user, assistant_id, Role.ADMIN)
    form = DestinationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        values = dict(form.cleaned_data)
        generated = values["kind"] == Destination.Kind.WEBHOOK and not values["secret"]
        if generated:
            values["secret"] = secret_generate()
        destination = _apply(
            form, lambda: services.destination_create(assistant=assistant, actor=request.user, **values)
        )
        if destination is not None:
            if generated:
                return _secret_page(request, destination, values["secret"])
            messages.success(request, _("Das Übergabeziel ist angelegt."))
            return redirect("handoff:destinations", assistant_id=assistant.pk)
    return render(request, "handoff/destination_form.html", {"assistant": assistant, "form": form, "destination": None})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.ADMIN)
def destination_edit(request, destination_id: int):
    destination = _destination_for(request.user, destination_id)
    initial = {
        key: getattr(destination, key)
        for key in ("name", "url", "public_key", "destination_id", "email", "include_tests")
    }
    form = DestinationForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if form.is_valid():
        values = dict(form.cleaned_data)
        if not values["secret"]:
            values.pop("secret")  # blank keeps the secret the receiver already knows
        saved = _apply(form, lambda: services.destination_update(destination=destination, actor=request.user, **values))
        if saved is not None:
            messages.success(request, _("Das Übergabeziel ist gespeichert."))
            return redirect("handoff:destinations", assistant_id=destination.assistant_id)
        destination.refresh_from_db()
    return render(
        request,
        "handoff/destination_form.html",
        {"assistant": destination.assistant, "form": form, "destination": destination},
    )


@require_POST
@staff_required(role=Role.ADMIN)
def destination_switch(request, destination_id: int):
    destination = _destination_for(request.user, destination_id)
    active = request.POST.get("active") == "1"
    services.destination_activate(destination=destination, active=active, actor=request.user)
    if active:
        messages.success(request, _("Das Übergabeziel ist eingeschaltet."))
    else:
        messages.success(request, _("Das Übergabeziel ist abgeschaltet; neue Anträge gehen nicht mehr dorthin."))
    return redirect("handoff:destinations", assistant_id=destination.assistant_id)
