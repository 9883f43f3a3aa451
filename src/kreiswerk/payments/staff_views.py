"""The Kreiskasse's page: the booked fees of a day in its units, on screen and as CSV/XLSX."""

import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kreiswerk.accounts.decorators import staff_required
from kreiswerk.accounts.forms import KernForm, date_field
from kreiswerk.submissions.receipt import TIME_ZONE
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import units_for

from .reconciliation import booked_on, reconciliation_csv, reconciliation_xlsx

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", reconciliation_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", reconciliation_xlsx),
}


class DayForm(KernForm):
    tag = date_field(_("Gebucht am"))


@never_cache
@require_GET
@staff_required(role=Role.TREASURY)
def treasury_list(request):
    yesterday = timezone.localtime(timezone.now(), TIME_ZONE).date() - datetime.timedelta(days=1)
    form = DayForm(request.GET if "tag" in request.GET else None, initial={"tag": yesterday})
    day = form.cleaned_data["tag"] if form.is_bound and form.is_valid() else yesterday
    payments = booked_on(day, units=units_for(request.user, Role.TREASURY))
    fmt = request.GET.get("format", "")
    if fmt in DOWNLOADS and not form.errors:
        content_type, build = DOWNLOADS[fmt]
        response = HttpResponse(build(payments), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, f"kasse-{day:%Y-%m-%d}.{fmt}")
        return response
    return render(request, "payments/treasury.html", {"form": form, "day": day, "payments": list(payments)})
