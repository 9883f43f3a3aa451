"""The cockpit's figures: the dashboard with its charts and their CSV, hand-kept indicators."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kreiswerk.submissions.export import CSV_DELIMITER, csv_cell

from .. import charts
from ..forms.figures import IndicatorForm, IndicatorValueForm, PeriodForm
from ..models import Channel, Indicator
from ..permissions import can_edit, cockpit_view
from ..selectors import Period, figures_compute, indicators_state, programme_summary
from ..services import indicator_create, indicator_value_record, limits_check


def _period_form(request) -> PeriodForm:
    bound = any(request.GET.get(name) for name in ("von", "bis"))
    return PeriodForm(request.GET if bound else None)


def _period_query(period) -> str:
    """The period as the query string the form reads, for links that keep it."""
    return f"von={period.start:%Y-%m-%d}&bis={period.end:%Y-%m-%d}"


@never_cache
@require_GET
@cockpit_view()
def dashboard(request):
    form = _period_form(request)
    period = form.period()
    mandant = request.cockpit_mandant
    figures = figures_compute(mandant=mandant, period=period)
    query = _period_query(period)
    return render(
        request,
        "cockpit/figures/dashboard.html",
        {
            "form": form,
            "period": period,
            "figures": figures,
            "charts": charts.figures_charts(figures),
            "channels": _channels(figures),
            "programme": programme_summary(mandant=mandant, period=period),
            "exceeded": [state for state in limits_check(mandant=mandant) if state.exceeded],
            "query": query,
            "section": "figures",
        },
    )


def _channels(figures) -> list[tuple[str, int]]:
    return [(label, figures.by_channel.get(value, 0)) for value, label in Channel.choices]


def chart_csv_bytes(chart: charts.Chart) -> bytes:
    """German CSV (UTF-8 with BOM, ";"): what the chart's table shows, text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([csv_cell(str(header)) for header in chart.headers])
    for row in chart.rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _chart_of_period(request, slug: str) -> tuple[charts.Chart, Period] | HttpResponse:
    """The chart ``slug`` for the period asked for; a German 400 for a hand-edited, impossible period."""
    form = _period_form(request)
    if form.is_bound and not form.is_valid():
        # A hand-edited link: no data for a period that does not exist.
        return HttpResponse(
            " ".join(str(error) for errors in form.errors.values() for error in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    period = form.period()
    figures = figures_compute(mandant=request.cockpit_mandant, period=period)
    found = charts.chart_by_slug(figures, slug)
    if found is None:
        raise Http404
    return found, period


@never_cache
@require_GET
@cockpit_view()
def chart_csv(request, chart: str):
    found = _chart_of_period(request, chart)
    if isinstance(found, HttpResponse):
        return found
    chart, period = found
    response = HttpResponse(chart_csv_bytes(chart), content_type="text/csv; charset=utf-8")
    filename = f"{chart.slug}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@never_cache
@require_GET
@cockpit_view()
def chart_table(request, chart: str):
    """A chart's whole data table on a page of its own (the dashboard shows what the chart draws)."""
    found = _chart_of_period(request, chart)
    if isinstance(found, HttpResponse):
        return found
    chart, period = found
    query = _period_query(period)
    csv_url = reverse("cockpit:chart_csv", args=[chart.slug]) + "?" + query
    return render(
        request,
        "cockpit/figures/chart_table.html",
        {"chart": chart, "period": period, "query": query, "csv_url": csv_url, "section": "figures"},
    )


# --- indicators kept by hand ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@cockpit_view()
def indicators(request):
    editable = can_edit(request.user)
    form = IndicatorForm()
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = IndicatorForm(request.POST)
        if form.is_valid():
            indicator = indicator_create(mandant=request.cockpit_mandant, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Die Kennzahl „%(name)s“ ist angelegt.") % {"name": indicator.name})
            return redirect("cockpit:indicator", indicator_id=indicator.pk)
    return render(
        request,
        "cockpit/figures/indicators.html",
        {
            "rows": [_shown(state) for state in indicators_state(mandant=request.cockpit_mandant)],
            "form": form,
            "can_edit": editable,
            "section": "indicators",
        },
    )


def _shown(state) -> dict:
    """An indicator's figures as German readers write them (187,5 rather than 187.50)."""
    return {
        "state": state,
        "latest": charts.number(state.latest.value) if state.latest else None,
        "target": charts.number(state.indicator.target) if state.indicator.target is not None else None,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@cockpit_view()
def indicator_detail(request, indicator_id: int):
    indicator = get_object_or_404(Indicator, pk=indicator_id, mandant=request.cockpit_mandant)
    editable = can_edit(request.user)
    form = IndicatorValueForm()
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = IndicatorValueForm(request.POST)
        if form.is_valid():
            try:
                indicator_value_record(indicator=indicator, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Der Wert ist erfasst."))
                return redirect("cockpit:indicator", indicator_id=indicator.pk)
    state = next(state for state in indicators_state(mandant=request.cockpit_mandant) if state.indicator == indicator)
    points = [(entry.as_of, entry.value) for entry in reversed(state.history)]
    chart = charts.indicator_chart(
        slug=f"kennzahl-{indicator.pk}",
        title=_("Verlauf: %(name)s") % {"name": indicator.name},
        points=points,
        unit_label=indicator.unit_label,
        target=indicator.target,
    )
    return render(
        request,
        "cockpit/figures/indicator.html",
        {
            "indicator": indicator,
            "state": state,
            "shown": _shown(state),
            "history": [(entry, charts.number(entry.value)) for entry in state.history],
            "chart": chart if points else None,
            "form": form,
            "can_edit": editable,
            "section": "indicators",
        },
    )
