"""Reports for the council: the team writes them, the team and readers download them.

The PDF and the XLSX are rendered in the request from the figures of the report's
period (a year takes a few seconds: the figures come from the daily rollups).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kreiswerk.audit.services import audit_record
from kreiswerk.submissions.export import CONTENT_TYPES, ascii_filename

from ..forms.reports import ReportForm
from ..models import Report
from ..permissions import can_edit, cockpit_view
from ..report import report_pdf_bytes, report_xlsx_bytes
from ..services import report_save


def _report(request, report_id: int) -> Report:
    return get_object_or_404(Report.objects.select_related("mandant"), pk=report_id, mandant=request.cockpit_mandant)


@never_cache
@require_GET
@cockpit_view()
def report_list(request):
    reports = Report.objects.filter(mandant=request.cockpit_mandant).select_related("created_by")
    return render(
        request,
        "cockpit/reports/list.html",
        {"reports": reports, "can_edit": can_edit(request.user), "section": "reports"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@cockpit_view(edit=True)
def report_edit(request, report_id: int | None = None):
    report = _report(request, report_id) if report_id is not None else None
    form = ReportForm(request.POST if request.method == "POST" else None, report=report)
    if request.method == "POST" and form.is_valid():
        report = report_save(mandant=request.cockpit_mandant, actor=request.user, report=report, **form.report_fields())
        messages.success(request, _("Der Bericht „%(title)s“ ist gespeichert.") % {"title": report.title})
        return redirect("cockpit:report", report_id=report.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "cockpit/reports/edit.html",
        {"form": form, "report": report, "section": "reports"},
        status=status,
    )


def _download(request, report: Report, *, data: bytes, extension: str) -> HttpResponse:
    audit_record(action="cockpit.report.download", target=report, request=request, details={"format": extension})
    response = HttpResponse(data, content_type="application/pdf" if extension == "pdf" else CONTENT_TYPES[extension])
    filename = ascii_filename(f"{report.title}.{extension}", default="Bericht")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_GET
@cockpit_view()
def report_pdf(request, report_id: int):
    report = _report(request, report_id)
    return _download(request, report, data=report_pdf_bytes(report), extension="pdf")


@never_cache
@require_GET
@cockpit_view()
def report_xlsx(request, report_id: int):
    report = _report(request, report_id)
    return _download(request, report, data=report_xlsx_bytes(report), extension="xlsx")
