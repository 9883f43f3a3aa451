"""The Leistungskatalog: list with filters, an entry with its maturity checklist, export and import."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from kreiswerk.submissions.uploads import get_upload_errors, set_upload_limit

from .. import maturity
from ..catalogue_io import (
    MAX_IMPORT_BYTES,
    CatalogueFileError,
    catalogue_export,
    catalogue_import,
    catalogue_read,
)
from ..forms.catalogue import CatalogueImportForm, ServiceFilterForm, ServiceForm
from ..models import Service
from ..permissions import can_edit, cockpit_view
from ..selectors import programme_mandant_ids, service_volumes, services_search
from ..services import service_save

PAGE_SIZE = 50
EXPORT_FORMATS = {"csv", "xlsx"}


@never_cache
@require_GET
@cockpit_view()
def service_list(request):
    mandant = request.cockpit_mandant
    form = ServiceFilterForm(request.GET or None, mandant=mandant)
    filters = form.filters()
    services = services_search(
        mandant=mandant, query=filters["query"], level=filters["level"], channel=filters["channel"]
    )
    if filters["unit"] is not None:
        services = services.filter(unit=filters["unit"])
    page = Paginator(services.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("seite"))
    entries = list(page.object_list)
    volumes = service_volumes(entries)
    return render(
        request,
        "cockpit/catalogue/list.html",
        {
            "form": form,
            "page": page,
            "rows": [(service, volumes.get(service.pk)) for service in entries],
            "several_mandants": len(programme_mandant_ids(mandant)) > 1,
            "can_edit": can_edit(request.user),
            "section": "catalogue",
        },
    )


def _checklist(answers: dict[str, str]) -> dict:
    level = maturity.maturity_level(answers)
    legacy = maturity.legacy_level(answers)
    return {
        "level": level,
        "level_name": maturity.LEVEL_NAMES[level],
        "legacy_level": legacy,
        "legacy_name": maturity.LEGACY_LEVEL_NAMES[legacy],
        "missing": maturity.missing_for_next_level(answers),
        "next_level": level + 1 if level < maturity.MAX_LEVEL else None,
        "next_name": maturity.LEVEL_NAMES.get(level + 1),
    }


@never_cache
@require_http_methods(["GET", "POST"])
@cockpit_view()
def service_edit(request, service_id: int | None = None):
    mandant = request.cockpit_mandant
    service = None
    if service_id is not None:
        service = get_object_or_404(
            Service.objects.select_related("unit", "mandant", "assistant"),
            pk=service_id,
            mandant_id__in=programme_mandant_ids(mandant),
        )
    editable = can_edit(request.user)
    if not editable:
        if service is None or request.method == "POST":
            raise PermissionDenied
        return _detail(request, service)

    form = ServiceForm(request.POST if request.method == "POST" else None, mandant=mandant, service=service)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        target = service or Service(mandant=fields["unit"].mandant)
        if service is not None and service.mandant_id != fields["unit"].mandant_id:
            # Moving an entry to a municipality's unit moves it to that Mandant too.
            target.mandant = fields["unit"].mandant
        try:
            saved = service_save(service=target, actor=request.user, **fields)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except IntegrityError:
            # Someone else saved the same key or assistant between the check and the write.
            form.add_error(None, _("Die Leistung wurde eben anderswo geändert; bitte prüfen und erneut speichern."))
        else:
            messages.success(
                request,
                _("Die Leistung „%(name)s“ ist gespeichert: Reifegrad %(level)s (%(level_name)s).")
                % {"name": saved.name, "level": saved.maturity_level, "level_name": saved.maturity_name},
            )
            return redirect("cockpit:service", service_id=saved.pk)
    return render(
        request,
        "cockpit/catalogue/edit.html",
        {
            "form": form,
            "service": service,
            "checklist": _checklist(form.answers()),
            "volume": service_volumes([service]).get(service.pk) if service else None,
            "section": "catalogue",
        },
    )


def _detail(request, service: Service):
    answers = maturity.answers_clean(service.criteria)
    return render(
        request,
        "cockpit/catalogue/detail.html",
        {
            "service": service,
            "checklist": _checklist(answers),
            "criteria": [
                (criterion, maturity.ANSWERS.get(answers.get(criterion.key, ""), _("nicht beantwortet")))
                for criterion in maturity.CRITERIA
            ],
            "volume": service_volumes([service]).get(service.pk),
            "section": "catalogue",
        },
    )


@never_cache
@require_GET
@cockpit_view()
def service_export(request, fmt: str):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    with tempfile.TemporaryDirectory(prefix="kw-catalogue-") as directory:
        result = catalogue_export(mandant=request.cockpit_mandant, fmt=fmt, directory=Path(directory))
        # Opened before the directory goes: the open file outlives its name (POSIX).
        handle = open(result.path, "rb")  # noqa: SIM115 - FileResponse closes it
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"leistungskatalog-{request.cockpit_mandant.slug}.{result.extension}",
        content_type=result.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@cockpit_view(edit=True)
def service_import(request):
    # The limit must be set before the body is parsed, hence csrf_exempt + csrf_protect below.
    if request.method == "POST":
        set_upload_limit(request, MAX_IMPORT_BYTES, max_files=1)
    return _import(request)


@csrf_protect
def _import(request):
    if request.method != "POST":
        return render(request, "cockpit/catalogue/import.html", {"form": CatalogueImportForm(), "section": "catalogue"})
    form = CatalogueImportForm(request.POST, request.FILES)
    upload_errors = get_upload_errors(request)
    if upload_errors:
        form.is_valid()
        form.errors["file"] = form.error_class([message for _field, message in upload_errors])
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            upload.seek(0)
            rows = catalogue_read(upload.read(MAX_IMPORT_BYTES + 1), filename=upload.name or "")
            result = catalogue_import(rows, mandant=request.cockpit_mandant, actor=request.user)
        except CatalogueFileError as exc:
            form.problems = exc.problems
            form.add_error("file", _("Die Datei wurde nicht importiert; nichts wurde geändert (siehe Liste)."))
        else:
            messages.success(
                request,
                _("Der Katalog ist importiert: %(created)s Leistungen neu, %(updated)s aktualisiert.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("cockpit:services")
    return render(request, "cockpit/catalogue/import.html", {"form": form, "section": "catalogue"})
