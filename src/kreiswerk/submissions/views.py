"""The caseworkers' inbox: list, detail, downloads and spreadsheet exports.

Every view starts from ``selectors.submissions_visible_to``: a submission outside
the user's units is not found (404), so its existence is not revealed. Pages
hold personal data and are never cached; state changes only by POST.
"""

import datetime
import logging

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.accounts.forms import check_period, date_field
from kreiswerk.assistants import fields
from kreiswerk.assistants.definition import Element, localized
from kreiswerk.crypto.envelope import DecryptionError
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.tenancy.models import Role

from . import selectors
from .export import CONTENT_TYPES, ascii_filename
from .export_tasks import (
    EXPORT_RETENTION,
    MAX_OPEN_EXPORTS_PER_USER,
    export_is_expired,
    export_is_stale,
    export_request,
    open_exports_count,
)
from .models import Export

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
REFRESH_SECONDS = 3


# --- forms ------------------------------------------------------------------------------------


class SubmissionFilterForm(forms.Form):
    assistant = forms.ModelChoiceField(
        label=gettext_lazy("Antragsassistent"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Alle Antragsassistenten"),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Organisationseinheit"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Alle meine Einheiten"),
    )
    date_from = date_field(gettext_lazy("Eingegangen ab"), required=False)
    date_to = date_field(gettext_lazy("Eingegangen bis"), required=False)
    include_tests = forms.BooleanField(label=gettext_lazy("Testeingänge einbeziehen"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assistant"].queryset = selectors.assistants_with_submissions(user)
        self.fields["unit"].queryset = selectors.caseworker_units(user)
        for name in ("assistant", "unit"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__input"
        self.fields["include_tests"].widget.attrs["class"] = "kern-form-check__checkbox"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:  # point each invalid input at its message
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"

    def clean(self):
        cleaned = super().clean()
        check_period(self, "date_from", "date_to")
        return cleaned

    def filters(self) -> dict:
        """The valid filters (an invalid one is ignored and shown as an error)."""
        data = getattr(self, "cleaned_data", {})
        return {
            "assistant": data.get("assistant"),
            "unit": data.get("unit"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "include_tests": bool(data.get("include_tests")),
        }


class ExportForm(SubmissionFilterForm):
    format = forms.ChoiceField(choices=Export.Format.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assistant"].required = True


def _listed(form: SubmissionFilterForm, user):
    filters = form.filters()
    return selectors.submission_list(
        user=user,
        assistant_id=filters["assistant"].pk if filters["assistant"] else None,
        unit_id=filters["unit"].pk if filters["unit"] else None,
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        include_tests=filters["include_tests"],
    )


# --- list and detail --------------------------------------------------------------------------


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def submission_list(request):
    form = SubmissionFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        form.is_valid()
    page = Paginator(selectors.submission_table(_listed(form, request.user)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = form.filters()
    recent = timezone.now() - EXPORT_RETENTION
    exports = list(selectors.exports_of(request.user).filter(created_at__gte=recent)[:5])
    return render(
        request,
        "submissions/list.html",
        {
            "form": form,
            "page_obj": page,
            "filters": filters,
            "exports": exports,
        },
    )


def _visible_submission(request, submission_id):
    return get_object_or_404(
        selectors.submissions_visible_to(request.user).select_related("assistant", "unit", "version", "mandant"),
        pk=submission_id,
    )


def _computed_rows(definition, computed: dict) -> list[dict]:
    rows = []
    for item in definition.computed:
        value = computed.get(item.key)
        try:
            shown = fields.display(Element(key=item.key, type=item.type), value)
        except (ArithmeticError, TypeError, ValueError):
            shown = str(value)
        rows.append({"label": localized(item.label), "value": shown or _("nicht berechnet")})
    return rows


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def submission_detail(request, submission_id):
    from .receipt import answer_sections  # the receipt's structure: what the citizen confirmed

    submission = _visible_submission(request, submission_id)
    definition = submission.version.parsed
    attachments = list(submission.attachments.order_by("uploaded_at", "id"))
    files = {str(attachment.pk): attachment.filename for attachment in attachments}
    labels = {}
    for step in definition.steps:
        for element in step.inputs():
            labels[element.key] = localized(element.label)
            for child in element.elements:
                for leaf in child.inputs():
                    labels[leaf.key] = localized(leaf.label)
    return render(
        request,
        "submissions/detail.html",
        {
            "submission": submission,
            "title": localized(definition.title),
            "steps": answer_sections(definition, submission.answers, files=files),
            "computed": _computed_rows(definition, submission.computed),
            "payments": list(submission.payments.order_by("created_at")),
            "attachments": [
                {"attachment": attachment, "field": labels.get(attachment.field_key, "")} for attachment in attachments
            ],
        },
    )


# --- downloads --------------------------------------------------------------------------------


def _attachment_response(chunks, *, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _open(path: str, key):
    try:
        return open_decrypted(path, bytes(key))
    except (FileNotFoundError, ValueError, TypeError) as exc:
        logger.error("stored file %s unavailable: %s", path, type(exc).__name__)
        raise Http404 from None
    except DecryptionError:
        logger.error("stored file %s cannot be decrypted", path)
        raise


@require_GET
@staff_required(role=Role.CASEWORKER)
def attachment_download(request, submission_id, attachment_id):
    submission = _visible_submission(request, submission_id)
    attachment = get_object_or_404(submission.attachments, pk=attachment_id)
    chunks = _open(attachment.path, attachment.key)
    content_type = attachment.content_type or "application/octet-stream"
    if "/" not in content_type or any(c in content_type for c in "\r\n"):
        content_type = "application/octet-stream"
    return _attachment_response(chunks, content_type=content_type, filename=ascii_filename(attachment.filename))


@require_GET
@staff_required(role=Role.CASEWORKER)
def receipt_download(request, submission_id):
    from .receipt import receipt_pdf_bytes

    submission = _visible_submission(request, submission_id)
    pdf = receipt_pdf_bytes(submission=submission)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = ascii_filename(f"Eingangsbestaetigung-{submission.reference}.pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- exports ----------------------------------------------------------------------------------


@require_POST
@staff_required(role=Role.CASEWORKER)
def export_start(request):
    form = ExportForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(
            request,
            _(
                "Der Export konnte nicht gestartet werden. Bitte wählen Sie einen "
                "Antragsassistenten und prüfen Sie den Zeitraum."
            ),
        )
        return redirect("submissions:list")
    if open_exports_count(request.user) >= MAX_OPEN_EXPORTS_PER_USER:
        messages.error(
            request,
            _("Es laufen bereits mehrere Exporte. Bitte warten Sie, bis diese fertig sind."),
        )
        return redirect("submissions:list")
    filters = form.filters()
    export = export_request(
        user=request.user,
        assistant=filters["assistant"],
        unit=filters["unit"],
        fmt=form.cleaned_data["format"],
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        include_tests=filters["include_tests"],
    )
    return redirect("submissions:export_status", export_id=export.pk)


def _own_export(request, export_id) -> Export:
    export = get_object_or_404(selectors.exports_of(request.user), pk=export_id)
    if export_is_expired(export):
        raise Http404
    return export


@never_cache
@require_GET
@staff_required(role=Role.CASEWORKER)
def export_status(request, export_id):
    export = _own_export(request, export_id)
    stale = export_is_stale(export)
    # The page reloads itself without JavaScript; people may switch that off (WCAG 2.2.1).
    refresh = request.GET.get("aktualisieren") != "nein"
    filters = export.filters or {}
    return render(
        request,
        "submissions/export_status.html",
        {
            "export": export,
            "stale": stale,
            "refresh_seconds": REFRESH_SECONDS if refresh and export.in_progress and not stale else None,
            "date_from": _iso_date(filters.get("date_from")),
            "date_to": _iso_date(filters.get("date_to")),
        },
    )


def _iso_date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@require_GET
@staff_required(role=Role.CASEWORKER)
def export_download(request, export_id):
    export = _own_export(request, export_id)
    if not export.is_ready:
        raise Http404
    extension = export.filename.rpartition(".")[2]
    chunks = _open(export.path, export.key)
    return _attachment_response(
        chunks,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        filename=ascii_filename(export.filename, default="export"),
    )
