"""The form builders' area: import (own format or FIM), version history, publish, retire, export.

Every view limits itself to assistants of units in which the user holds the
form-builder role (or administration); anything else is answered with 404.
"""

import json

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.submissions.uploads import get_upload_errors, set_upload_limit
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import units_for

from . import definition as definition_module
from .forms import MAX_FIM_CODELISTS, MAX_FIM_FILE_BYTES, MAX_IMPORT_BYTES, FimImportForm, ImportForm, WindowForm
from .models import Assistant, AssistantVersion
from .services import (
    assistant_export,
    assistant_import,
    assistant_import_fim,
    assistant_retire,
    version_publish,
)
from .submission_schema import submission_schema

EXPORT_FORMATS = {
    "yaml": ("application/yaml; charset=utf-8", "yaml"),
    "json": ("application/json; charset=utf-8", "json"),
}


def _managed_units(user):
    return units_for(user, Role.FORM_ADMIN)


def _assistant_for(user, assistant_id: int) -> Assistant:
    return get_object_or_404(
        Assistant.objects.select_related("mandant", "unit"),
        pk=assistant_id,
        unit__in=_managed_units(user),
    )


def _version_for(user, version_id: int) -> AssistantVersion:
    return get_object_or_404(
        AssistantVersion.objects.select_related("assistant", "assistant__unit"),
        pk=version_id,
        assistant__unit__in=_managed_units(user),
    )


def _overview(assistant: Assistant) -> dict:
    """State badge and version numbers for the list, from prefetched versions."""
    versions = list(assistant.versions.all())  # ordered by -number
    published = next((v for v in versions if v.state == AssistantVersion.State.PUBLISHED), None)
    latest = versions[0] if versions else None
    if published is not None:
        state, label = "published", _("veröffentlicht")
    elif any(v.state == AssistantVersion.State.RETIRED for v in versions):
        state, label = "retired", _("außer Betrieb")
    else:
        state, label = "draft", _("Entwurf")
    newer_draft = (
        latest
        if latest is not None
        and latest.state == AssistantVersion.State.DRAFT
        and (published is None or latest.number > published.number)
        else None
    )
    return {
        "assistant": assistant,
        "state": state,
        "state_label": label,
        "published": published,
        "latest": latest,
        "newer_draft": newer_draft,
    }


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def assistant_list(request):
    assistants = (
        Assistant.objects.filter(unit__in=_managed_units(request.user))
        .select_related("mandant", "unit")
        .prefetch_related(Prefetch("versions", queryset=AssistantVersion.objects.order_by("-number")))
        .order_by("mandant__name", "title")
    )
    rows = [_overview(assistant) for assistant in assistants]
    return render(request, "assistants/list.html", {"rows": rows})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.FORM_ADMIN)
def assistant_import_view(request):
    # The limit must be set before the body is parsed, hence csrf_exempt + csrf_protect below.
    if request.method == "POST":
        set_upload_limit(request, MAX_IMPORT_BYTES, max_files=1)
    return _import(request)


@csrf_protect
def _import(request):
    units = _managed_units(request.user)
    if request.method != "POST":
        form = ImportForm(units=units)
        return render(request, "assistants/import.html", {"form": form})
    form = ImportForm(request.POST, request.FILES, units=units)
    upload_errors = get_upload_errors(request)
    if upload_errors:
        # Refused by the upload handler (over 1 MB): its message replaces "no file chosen".
        form.is_valid()
        form.errors["file"] = form.error_class([message for _field, message in upload_errors])
    elif form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            version = assistant_import(
                data=form.data_loaded,
                mandant=unit.mandant,
                unit=unit,
                user=request.user,
                note=form.cleaned_data["note"],
            )
        except definition_module.DefinitionError as exc:
            form.problems = list(exc.problems)
            form.add_error("file", _("Die Definition enthält Fehler (siehe Liste)."))
        else:
            messages.success(
                request,
                _("Version %(number)s von „%(title)s“ wurde als Entwurf gespeichert.")
                % {"number": version.number, "title": version.assistant.title},
            )
            return redirect("assistants:detail", assistant_id=version.assistant_id)
    return render(request, "assistants/import.html", {"form": form})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@staff_required(role=Role.FORM_ADMIN)
def assistant_import_fim_view(request):
    # As above: the limits must be set before the body is parsed.
    if request.method == "POST":
        set_upload_limit(request, MAX_FIM_FILE_BYTES, max_files=1 + MAX_FIM_CODELISTS)
    return _import_fim(request)


@csrf_protect
def _import_fim(request):
    units = _managed_units(request.user)
    if request.method != "POST":
        return render(request, "assistants/import_fim.html", {"form": FimImportForm(units=units)})
    form = FimImportForm(request.POST, request.FILES, units=units, upload_errors=get_upload_errors(request))
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            version = assistant_import_fim(
                definition=form.definition,
                report=form.report,
                mandant=unit.mandant,
                unit=unit,
                user=request.user,
            )
        except definition_module.DefinitionError as exc:
            # The builder should only produce valid definitions; if not, the list says what and where.
            form.problems = list(exc.problems)
            form.add_error("schema", _("Der aus dem FIM-Schema erzeugte Entwurf enthält Fehler (siehe Liste)."))
        else:
            messages.success(
                request,
                _(
                    "Version %(number)s von „%(title)s“ wurde aus dem FIM-Schema als Entwurf gespeichert. "
                    "Bitte prüfen Sie den Importbericht und den Entwurf vor der Veröffentlichung."
                )
                % {"number": version.number, "title": version.assistant.title},
            )
            return redirect("assistants:detail", assistant_id=version.assistant_id)
    return render(request, "assistants/import_fim.html", {"form": form})


def _detail_context(assistant: Assistant, window_form: WindowForm | None = None) -> dict:
    versions = list(assistant.versions.select_related("created_by").order_by("-number"))
    return {
        "assistant": assistant,
        "versions": versions,
        "fim_report": _fim_report(versions),
        "can_retire": any(v.accepts_submissions for v in versions),
        "window_form": window_form or WindowForm(instance=assistant),
    }


def _fim_report(versions: list[AssistantVersion]) -> dict | None:
    """The import report of the newest version that came from a FIM schema; rules apart from the rest."""
    version = next((v for v in versions if v.import_report), None)
    if version is None:
        return None
    items = version.import_report.get("items") or []
    rules = []
    for item in items:
        if item.get("kind") == "Regel" and item.get("element_id"):
            # The element has its own column; the reason need not name it again.
            prefix = f"an {item['element_id']} „{item.get('element_label', '')}“: "
            item = {**item, "reason": item.get("reason", "").removeprefix(prefix)}
        if item.get("kind") == "Regel":
            rules.append(item)
    return {
        "version": version,
        "report": version.import_report,
        "counts": version.import_report.get("counts") or {},
        "rules": rules,
        "others": [item for item in items if item.get("kind") != "Regel"],
    }


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def assistant_detail(request, assistant_id: int):
    assistant = _assistant_for(request.user, assistant_id)
    return render(request, "assistants/detail.html", _detail_context(assistant))


@require_POST
@staff_required(role=Role.FORM_ADMIN)
def assistant_window(request, assistant_id: int):
    assistant = _assistant_for(request.user, assistant_id)
    form = WindowForm(request.POST, instance=assistant)
    if form.is_valid():
        form.save()
        messages.success(request, _("Der Veröffentlichungszeitraum wurde gespeichert."))
        return redirect("assistants:detail", assistant_id=assistant.pk)
    # The instance was touched by validation; show the stored values elsewhere on the page.
    assistant.refresh_from_db()
    return render(request, "assistants/detail.html", _detail_context(assistant, form))


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def version_export(request, version_id: int, fmt: str):
    version = _version_for(request.user, version_id)
    if fmt not in EXPORT_FORMATS:
        raise Http404
    content_type, extension = EXPORT_FORMATS[fmt]
    text = definition_module.dump_text(assistant_export(version=version), fmt)
    filename = f"{version.assistant.slug}-v{version.number}.{extension}"
    response = HttpResponse(text.encode("utf-8"), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@staff_required(role=Role.FORM_ADMIN)
def version_schema(request, version_id: int):
    """The JSON Schema of the version's submission data, for the vendor of a Fachverfahren."""
    from kreiswerk.api.representation import schema_uri  # the API names the schema; assistants do not build on it

    version = _version_for(request.user, version_id)
    schema = submission_schema(version.parsed, schema_id=schema_uri(version))
    response = HttpResponse(json.dumps(schema, ensure_ascii=False, indent=2), content_type="application/schema+json")
    filename = f"{version.assistant.slug}-v{version.number}.schema.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_required(role=Role.FORM_ADMIN)
def version_publish_view(request, version_id: int):
    version = _version_for(request.user, version_id)
    if version.state != AssistantVersion.State.DRAFT:
        messages.error(request, _("Nur ein Entwurf kann veröffentlicht werden."))
    else:
        version_publish(version=version)
        messages.success(
            request,
            _("Version %(number)s ist jetzt veröffentlicht.") % {"number": version.number},
        )
    return redirect("assistants:detail", assistant_id=version.assistant_id)


@require_http_methods(["GET", "POST"])
@staff_required(role=Role.FORM_ADMIN)
def assistant_retire_view(request, assistant_id: int):
    assistant = _assistant_for(request.user, assistant_id)
    if request.method == "POST":
        assistant_retire(assistant=assistant)
        messages.success(
            request,
            _("„%(title)s“ ist außer Betrieb; neue Anträge sind nicht mehr möglich.") % {"title": assistant.title},
        )
        return redirect("assistants:detail", assistant_id=assistant.pk)
    active = assistant.versions.filter(
        state__in=[AssistantVersion.State.PUBLISHED, AssistantVersion.State.SUPERSEDED]
    ).order_by("-number")
    return render(request, "assistants/retire.html", {"assistant": assistant, "active_versions": active})
