"""The SVG charts: accessible, scalable, telling their values in text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only SVG this test suite generated
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.assistants.models import Assistant
from kreiswerk.cases.models import CaseType
from kreiswerk.cockpit import charts
from kreiswerk.cockpit.selectors import Duration, Figures, Funnel, FunnelStep, Period, ServiceMonths

SVG = "{http://www.w3.org/2000/svg}"
SLUGS = ["reifegrad", "reifegrad-alt", "antraege-monat", "antraege-leistung", "bearbeitungsdauer", "abbruch", "quoten"]


def figures(*, empty: bool = False, name: str = "Gewerbeanmeldung") -> Figures:
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    months = period.months
    gewerbe = Assistant(pk=1, slug="gewerbe", title=name)
    hund = Assistant(pk=2, slug="hund", title="Hundesteuer")
    per_service = (
        []
        if empty
        else [
            ServiceMonths(
                service=None,
                assistant=gewerbe,
                channel="kreiswerk",
                by_month=dict(zip(months, [40, 0, 17], strict=True)),
            ),
            ServiceMonths(
                service=None, assistant=hund, channel="kreiswerk", by_month=dict(zip(months, [3, 4, 5], strict=True))
            ),
        ]
    )
    totals = {month: sum(row.by_month[month] for row in per_service) for month in months}
    case_type = CaseType(pk=1, title="Gewerbeanzeige")
    return Figures(
        period=period,
        services_total=0 if empty else 12,
        by_level=dict.fromkeys(range(8), 0) | ({} if empty else {0: 5, 1: 3, 3: 2, 4: 1, 7: 1}),
        by_legacy_level=dict.fromkeys(range(5), 0) | ({} if empty else {0: 5, 1: 3, 3: 3, 4: 1}),
        by_channel={} if empty else {"kreiswerk": 2, "offline": 10},
        months=months,
        monthly_totals=totals,
        per_service=per_service,
        submissions=sum(totals.values()),
        digital_intake=0 if empty else 50,
        with_inquiry=0 if empty else 6,
        with_fee=0 if empty else 20,
        paid_online=0 if empty else 19,
        durations=[] if empty else [Duration(case_type=case_type, cases=30, median=8, p90=23)],
        funnels=[]
        if empty
        else [
            Funnel(
                assistant=gewerbe,
                started=100,
                submitted=57,
                steps=[
                    FunnelStep("person", "Angaben zur Person", 90, Decimal("90.0")),
                    FunnelStep("betrieb", "Betrieb", 61, Decimal("61.0")),
                ],
            )
        ],
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


def test_the_dashboard_has_its_charts_in_order_with_their_tables():
    made = charts.figures_charts(figures())
    assert [chart.slug for chart in made] == SLUGS
    for chart in made:
        assert chart.title and chart.description and chart.headers
        assert all(len(row) == len(chart.headers) for row in chart.rows)
        assert all(isinstance(row[0], str) for row in chart.rows)
        assert all(cell is None or isinstance(cell, int | Decimal) for row in chart.rows for cell in row[1:])


@pytest.mark.parametrize("empty", [False, True])
def test_every_svg_names_itself_and_scales(empty):
    for chart in charts.figures_charts(figures(empty=empty)):
        root = parse(chart.svg)
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id == f"chart-{chart.slug}-title"
        assert root.find(f"{SVG}title").text == chart.title
        assert root.find(f"{SVG}desc").get("id") == desc_id and root.find(f"{SVG}desc").text == chart.description
        x, y, width, height = (float(part) for part in root.get("viewBox").split())
        assert (x, y, width) == (0, 0, charts.WIDTH) and height > 0
        assert root.get("width") is None  # the CSS sizes it; the viewBox keeps its proportions


def test_values_are_written_on_the_bars_not_told_by_colour_alone():
    made = {chart.slug: chart for chart in charts.figures_charts(figures())}
    maturity = texts(parse(made["reifegrad"].svg))
    assert "3: Antrag online" in maturity and "2" in maturity and "5" in maturity
    monthly = texts(parse(made["antraege-monat"].svg))
    assert {"43", "4", "22"} <= set(monthly) and "Jan 26" in monthly
    durations = texts(parse(made["bearbeitungsdauer"].svg))
    assert {"Median", "90. Perzentil", "8 Tage", "23 Tage", "Gewerbeanzeige (30 Vorgänge)"} <= set(durations)
    rates = texts(parse(made["quoten"].svg))
    assert "95 % (19/20)" in rates
    dropoff = texts(parse(made["abbruch"].svg))
    assert {"begonnen", "Betrieb", "eingereicht", "100", "61", "57"} <= set(dropoff)
    services = texts(parse(made["antraege-leistung"].svg))
    assert {"Gewerbeanmeldung", "57", "Hundesteuer", "12"} <= set(services)


def test_bars_are_as_long_as_their_values():
    chart = charts.chart_maturity(figures())
    bars = list(parse(chart.svg).iter(f"{SVG}rect"))
    widths = sorted(float(rect.get("width")) for rect in bars)
    assert widths[-1] == pytest.approx(widths[0] * 5, abs=0.2)  # 5 services at level 0, one at level 4 and 7


def test_colours_have_enough_contrast_against_white():
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(colour: str) -> float:
        return 1.05 / (luminance(colour) + 0.05)

    assert contrast(charts.PRIMARY) >= 4.5 and contrast(charts.SECONDARY) >= 4.5
    assert contrast(charts.TEXT) >= 7 and contrast(charts.MUTED) >= 4.5


def test_names_are_escaped_and_long_ones_shortened():
    made = charts.figures_charts(figures(name='<script>alert("x")</script> & eine sehr lange Bezeichnung der Leistung'))
    chart = next(chart for chart in made if chart.slug == "antraege-leistung")
    assert "<script>" not in chart.svg
    root = parse(chart.svg)  # still well-formed XML
    assert any(text.startswith('<script>alert("x")') and text.endswith("…") for text in texts(root))
    assert chart.rows[0][0].startswith("<script>")  # the table has the whole name, escaped
    assert "<script>" not in chart.table_rows and "&lt;script&gt;alert(&quot;x&quot;)" in chart.table_rows


def test_the_data_table_writes_numbers_as_german_readers_do():
    chart = charts.Chart("probe", "Probe", charts.mark_safe(""), ["Name", "Anzahl", "Anteil"], [["A & B", 12345, None]])
    assert chart.table_rows == (
        '<tr class="kern-table__row"><th scope="row" class="kern-table__cell">A &amp; B</th>'
        '<td class="kern-table__cell kw-num">12.345</td><td class="kern-table__cell kw-num">–</td></tr>'
    )
    rates = charts.chart_rates(figures())
    assert '<td class="kern-table__cell kw-num">95</td>' in rates.table_rows


def test_the_per_service_table_has_every_service_and_month():
    chart = charts.chart_per_service(figures())
    assert chart.headers == ["Leistung", "Januar 2026", "Februar 2026", "März 2026", "Summe"]
    assert chart.rows == [["Gewerbeanmeldung", 40, 0, 17, 57], ["Hundesteuer", 3, 4, 5, 12]]


def test_rates_without_a_whole_say_so():
    chart = charts.chart_rates(figures(empty=True))
    assert [row[-1] for row in chart.rows] == [None, None, None]
    assert "keine Angabe" in chart.description


def test_an_indicator_history_chart():
    svg = charts.indicator_chart(
        slug="kennzahl-1",
        title="Verlauf: Telearbeitsplätze",
        points=[(date(2025, 12, 31), Decimal("120.00")), (date(2026, 6, 30), Decimal("187.50"))],
        unit_label="Plätze",
        target=Decimal(250),
    )
    root = parse(svg)
    assert {"120", "187,5", "31.12.25", "30.06.26", "Ziel: 250"} <= set(texts(root))
    assert (
        root.find(f"{SVG}desc").text == "2 Werte (Plätze) von 31.12.2025 bis 30.06.2026, zuletzt 187,5. Zielwert: 250."
    )
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))  # the target, dashed


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "–"), (0, "0"), (1234, "1.234"), (Decimal("66.7"), "66,7"), (Decimal("100.00"), "100"), (12.5, "12,5")],
)
def test_numbers_in_german_notation(value, shown):
    assert charts.number(value) == shown


@pytest.mark.parametrize("language", ["de", "en"])
@given(
    value=st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    )
)
def test_the_fast_number_format_writes_what_django_writes(language, value):
    """The tables format thousands of cells with separators looked up once; the result is Django's own."""
    with translation.override(language):
        places = None
        if isinstance(value, Decimal):  # the decimals it has, none for a whole number
            places = 0 if value == value.to_integral_value() else -value.normalize().as_tuple().exponent
        expected = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
        assert charts.number(value) == expected


def test_the_drop_off_chart_shows_the_most_used_assistants_and_its_table_all():
    funnels = [
        Funnel(
            assistant=Assistant(title=f"Assistent {index:02d}"),
            started=100 - index,
            submitted=50,
            steps=[FunnelStep("person", "Person", 80, Decimal("80.0"))],
        )
        for index in range(charts.TOP_SERVICES + 3)
    ]
    chart = charts.chart_dropoff(replace(figures(), funnels=funnels))
    shown = {text for text in texts(parse(chart.svg)) if text.startswith("Assistent")}
    assert shown == {f"Assistent {index:02d}" for index in range(charts.TOP_SERVICES)}
    assert {row[0].split(":")[0] for row in chart.rows} == {funnel.assistant.title for funnel in funnels}
    assert f"die vollständige Tabelle enthält alle {charts.TOP_SERVICES + 3}" in chart.description
    # The dashboard's table shows the rows of what the chart draws; the whole table is a page of its own.
    assert chart.abridged and chart.summary_rows == charts.TOP_SERVICES * 3  # begun, one step, submitted
    summary = re.findall(r'<th scope="row" class="kern-table__cell">([^<:]+):', chart.summary_table_rows)
    assert set(summary) == {f"Assistent {index:02d}" for index in range(charts.TOP_SERVICES)}
    assert chart.table_rows.count("<tr") == len(chart.rows) == (charts.TOP_SERVICES + 3) * 3


def test_the_duration_chart_shows_the_vorgangsarten_with_most_cases_and_its_table_all():
    durations = [
        Duration(case_type=CaseType(title=f"Vorgangsart {index:02d}"), cases=index + 1, median=index, p90=2 * index)
        for index in range(charts.TOP_SERVICES + 4)
    ]
    chart = charts.chart_durations(replace(figures(), durations=durations))
    drawn = {text.split(" (")[0] for text in texts(parse(chart.svg)) if text.startswith("Vorgangsart")}
    most = {f"Vorgangsart {index:02d}" for index in range(4, charts.TOP_SERVICES + 4)}
    assert drawn == most
    assert [row[0] for row in chart.rows] == [f"Vorgangsart {index:02d}" for index in reversed(range(len(durations)))]
    assert f"die vollständige Tabelle enthält alle {charts.TOP_SERVICES + 4}" in chart.description
    assert chart.abridged and chart.summary_table_rows.count("<tr") == charts.TOP_SERVICES


def test_a_small_chart_shows_its_whole_table_on_the_dashboard():
    chart = charts.chart_durations(figures())
    assert not chart.abridged
    assert chart.summary_table_rows == chart.table_rows
