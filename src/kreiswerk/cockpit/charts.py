"""The dashboard's charts as server-rendered SVG, each with its data as a table.

No JavaScript and no chart library: a chart is a few rectangles and text elements.
Every bar carries its value as text, so nothing is told by colour alone; the SVG
scales with its ``viewBox``, names itself through ``<title>``/``<desc>`` and
``aria-labelledby``, and the same numbers are in ``headers``/``rows`` for the
accessible table under the chart, the CSV download and the report's XLSX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import maturity
from .selectors import Figures

WIDTH = 640
FONT = 13
ROW = 28  # height of one horizontal bar row
BAR = 18
PAD = 8
TOP_SERVICES = 8

# KERN-like colours, each with at least 3:1 against white (WCAG 1.4.11), text at least 4.5:1.
PRIMARY = "#0b5cad"
SECONDARY = "#3d4a5c"
TRACK = "#e9edf2"
TEXT = "#1b1f24"
MUTED = "#4a5361"


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    svg: SafeString
    headers: list[str]
    rows: list[list]  # first cell: the row's label; then numbers (or None where there is none)
    description: str = ""
    # How many of the first rows the dashboard's table shows (None: all). A county has 150
    # services: their full tables are a page of their own and a CSV file, not half a megabyte
    # of dashboard.
    summary_rows: int | None = None

    @property
    def abridged(self) -> bool:
        return self.summary_rows is not None and self.summary_rows < len(self.rows)

    @property
    def table_rows(self) -> SafeString:
        """Every row of the chart's data table."""
        return _rows_html(self.rows)

    @property
    def summary_table_rows(self) -> SafeString:
        """The rows the dashboard shows under the chart: those of what the chart draws."""
        return _rows_html(self.rows[: self.summary_rows] if self.abridged else self.rows)


def _rows_html(rows: list[list]) -> SafeString:
    """Table rows, built here rather than in a template loop: the per-service and drop-off tables
    of a county have thousands of cells, and the template engine would take most of the time."""
    cells, shown = [], number_formatter()
    for row in rows:
        label, *values = row
        cells.append(f'<tr class="kern-table__row"><th scope="row" class="kern-table__cell">{escape(label)}</th>')
        cells.extend(f'<td class="kern-table__cell kw-num">{escape(shown(value))}</td>' for value in values)
        cells.append("</tr>")
    # Labels and numbers passed through escape(); fixed markup otherwise.
    return mark_safe("".join(cells))  # noqa: S308  # nosec B308, B703


def number_formatter() -> Callable[[int | Decimal | float | None], str]:
    """``number`` for the active language, its separators looked up once.

    A county's tables have thousands of cells; asking the locale for every one of them
    took most of the dashboard's rendering time.
    """
    decimal, thousand = get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR")

    def format_number(value) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            value = Decimal(str(value))
        if isinstance(value, Decimal):
            places = max(-value.normalize().as_tuple().exponent, 0) if value != value.to_integral_value() else 0
            text = f"{value:,.{places}f}"
        else:
            text = f"{value:,}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", thousand)

    return format_number


def number(value) -> str:
    """A value as German readers write it (1.234 and 12,5), with the decimals it has."""
    return number_formatter()(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(x: float, y: float, content: str, *, anchor: str = "start", weight: str = "", fill: str = TEXT) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{bold}>{escape(content)}</text>'


def _svg(slug: str, title: str, description: str, height: float, body: Iterable[str]) -> SafeString:
    ident = f"chart-{slug}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kw-chart__svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-size="{FONT}" '
        f'font-family="Fira Sans, DejaVu Sans, sans-serif">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        *body,
        "</svg>",
    ]
    # Every text above passed through escape(); numbers and fixed markup only otherwise.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703


def hbars(
    slug: str,
    title: str,
    description: str,
    items: list[tuple[str, float | int | None, str]],
    *,
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars: (label, value, value as text) each, the text right of its bar.

    With ``maximum`` (a share of 100 %) each bar runs on a light track of the full width.
    """
    label_chars = min(max((len(label) for label, _value, _shown in items), default=4), 34)
    label_width = label_chars * FONT * 0.55 + 2 * PAD
    value_width = max((len(shown) for _label, _value, shown in items), default=4) * FONT * 0.55 + 2 * PAD
    track = WIDTH - label_width - value_width
    scale_max = maximum if maximum is not None else max((value or 0 for _label, value, _shown in items), default=0)
    body = []
    for index, (label, value, shown) in enumerate(items):
        y = PAD + index * ROW
        middle = y + BAR / 2 + FONT * 0.35
        length = track * max(float(value or 0), 0) / float(scale_max) if scale_max else 0
        body.append(f"<g>{_text(label_width - PAD, middle, _shorten(label, 34), anchor='end')}")
        if maximum is not None:
            body.append(f'<rect x="{label_width:.1f}" y="{y}" width="{track:.1f}" height="{BAR}" fill="{TRACK}"/>')
        if length:
            body.append(
                f'<rect x="{label_width:.1f}" y="{y}" width="{max(length, 2):.1f}" height="{BAR}" fill="{PRIMARY}"/>'
            )
        after = track if maximum is not None else length
        body.append(f"{_text(label_width + after + PAD / 2, middle, shown)}</g>")
    height = PAD * 2 + max(len(items), 1) * ROW
    return _svg(slug, title, description, height, body)


def vbars(
    slug: str,
    title: str,
    description: str,
    items: list[tuple[str, int | Decimal]],
    *,
    reference: tuple[str, Decimal] | None = None,
) -> SafeString:
    """Vertical bars over time (months), the value above each bar; ``reference`` a labelled target line."""
    height, base, head = 240, 200, 22
    count = max(len(items), 1)
    left = PAD * 2
    right = WIDTH - PAD - (110 if reference else 0)
    slot = (right - left) / count
    bar = max(min(slot * 0.7, 48), 4)
    top = max((value for _label, value in items), default=0)
    top = max(top, reference[1] if reference else 0, 0)
    body = [f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>']
    if reference and top:
        level = base - (base - head) * float(max(reference[1], 0)) / float(top)
        body.append(
            f'<line x1="{left}" y1="{level:.1f}" x2="{right}" y2="{level:.1f}" stroke="{SECONDARY}" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        body.append(_text(right + PAD / 2, level + FONT * 0.35, reference[0], fill=SECONDARY))
    small = count > 14  # long periods: every other label, values turned to keep them apart
    for index, (label, value) in enumerate(items):
        x = left + index * slot + (slot - bar) / 2
        length = (base - head) * float(max(value, 0)) / float(top) if top else 0
        body.append("<g>")
        if length:
            body.append(
                f'<rect x="{x:.1f}" y="{base - length:.1f}" width="{bar:.1f}" height="{length:.1f}" fill="{PRIMARY}"/>'
            )
        centre = x + bar / 2
        if small:
            body.append(
                f'<text x="{centre:.1f}" y="{base - length - 4:.1f}" fill="{TEXT}" font-size="10" '
                f'text-anchor="start" transform="rotate(-60 {centre:.1f} {base - length - 4:.1f})">'
                f"{escape(number(value))}</text>"
            )
        else:
            body.append(_text(centre, base - length - 5, number(value), anchor="middle"))
        if not small or index % 2 == 0:
            body.append(
                f'<text x="{centre:.1f}" y="{base + 18}" text-anchor="middle" fill="{MUTED}" '
                f'font-size="{11 if small else 12}">{escape(label)}</text>'
            )
        body.append("</g>")
    return _svg(slug, title, description, height, body)


def sparkrows(slug: str, title: str, description: str, items: list[tuple[str, list[int], int]]) -> SafeString:
    """One row per service: its name and total, then a small bar per month on a shared scale."""
    name_width, total_width = 250, 70
    left = name_width + total_width
    count = max((len(values) for _name, values, _total in items), default=1) or 1
    slot = (WIDTH - left - PAD) / count
    bar = max(slot * 0.75, 2)
    top = max((value for _name, values, _total in items for value in values), default=0)
    body = []
    for index, (name, values, total) in enumerate(items):
        y = PAD + index * ROW
        middle = y + BAR / 2 + FONT * 0.35
        body.append(f"<g>{_text(PAD, middle, _shorten(name, 34))}")
        body.append(_text(left - PAD, middle, number(total), anchor="end", weight="bold"))
        body.append(f'<line x1="{left}" y1="{y + BAR}" x2="{WIDTH - PAD}" y2="{y + BAR}" stroke="{MUTED}"/>')
        for position, value in enumerate(values):
            length = BAR * value / top if top else 0
            if length:
                x = left + position * slot
                body.append(
                    f'<rect x="{x:.1f}" y="{y + BAR - length:.1f}" width="{bar:.1f}" height="{length:.1f}" '
                    f'fill="{PRIMARY}"/>'
                )
        body.append("</g>")
    height = PAD * 2 + max(len(items), 1) * ROW
    return _svg(slug, title, description, height, body)


def paired_hbars(
    slug: str,
    title: str,
    description: str,
    groups: list[tuple[str, list[tuple[str, int | None]]]],
    *,
    show: Callable[[int | None], str] | None = None,
) -> SafeString:
    """Per group (a Vorgangsart, an assistant) a heading and one labelled bar per measure."""
    show = show or number_formatter()
    label_width, value_width = 190, 90
    track = WIDTH - label_width - value_width - PAD
    top = max((value or 0 for _name, bars in groups for _label, value in bars), default=0)
    colors = (PRIMARY, SECONDARY)
    body, y = [], PAD
    for name, bars in groups:
        body.append(_text(PAD, y + FONT, _shorten(name, 80), weight="bold"))
        y += FONT + PAD
        for index, (label, value) in enumerate(bars):
            middle = y + BAR / 2 + FONT * 0.35
            length = track * (value or 0) / top if top else 0
            body.append(f"<g>{_text(label_width - PAD, middle, _shorten(label, 28), anchor='end')}")
            if length:
                body.append(
                    f'<rect x="{label_width}" y="{y}" width="{max(length, 2):.1f}" height="{BAR}" '
                    f'fill="{colors[index % 2] if len(bars) == 2 else PRIMARY}"/>'
                )
            shown = show(value) if value is not None else _("keine Angabe")
            body.append(f"{_text(label_width + length + PAD / 2, middle, shown)}</g>")
            y += ROW
        y += PAD
    return _svg(slug, title, description, max(y + PAD, 2 * ROW), body)


def _days(value: int | None) -> str:
    if value is None:
        return _("keine Angabe")
    return ngettext("%(days)s Tag", "%(days)s Tage", value) % {"days": number(value)}


def _percent(value: Decimal | None) -> str:
    return _("keine Angabe") if value is None else f"{number(value)} %"


def month_label(month: date) -> str:
    return date_format(month, "F Y")


# --- the dashboard's charts -----------------------------------------------------------------


def chart_maturity(figures: Figures) -> Chart:
    title = _("Leistungen nach Reifegrad")
    rows = [[f"{level}: {maturity.LEVEL_NAMES[level]}", count] for level, count in sorted(figures.by_level.items())]
    description = _(
        "Anzahl der Leistungen im Katalog je Reifegrad 0 bis 7; %(online)s von %(total)s Leistungen "
        "können online beantragt werden (ab Reifegrad 3)."
    ) % {"online": number(figures.online_services), "total": number(figures.services_total)}
    svg = hbars("reifegrad", title, description, [(label, count, number(count)) for label, count in rows])
    return Chart("reifegrad", title, svg, [_("Reifegrad"), _("Leistungen")], rows, description)


def chart_legacy_maturity(figures: Figures) -> Chart:
    title = _("Leistungen nach Reifegrad (älteres Modell 0–4)")
    rows = [
        [str(maturity.LEGACY_LEVEL_NAMES[level]), count] for level, count in sorted(figures.by_legacy_level.items())
    ]
    description = _(
        "Anzahl der Leistungen je Stufe des älteren Reifegradmodells, zum Vergleich mit früheren Berichten."
    )
    svg = hbars("reifegrad-alt", title, description, [(label, count, number(count)) for label, count in rows])
    return Chart("reifegrad-alt", title, svg, [_("Stufe"), _("Leistungen")], rows, description)


def chart_monthly(figures: Figures) -> Chart:
    title = _("Anträge je Monat")
    rows = [[month_label(month), figures.monthly_totals.get(month, 0)] for month in figures.months]
    busiest = max(rows, key=lambda row: row[1], default=None)
    description = _("%(total)s Anträge über kreiswerk im Zeitraum %(period)s.") % {
        "total": number(figures.submissions),
        "period": str(figures.period),
    }
    if busiest and busiest[1]:
        description += " " + _("Die meisten im %(month)s (%(count)s).") % {
            "month": busiest[0],
            "count": number(busiest[1]),
        }
    items = [(date_format(month, "M y"), figures.monthly_totals.get(month, 0)) for month in figures.months]
    svg = vbars("antraege-monat", title, description, items)
    return Chart("antraege-monat", title, svg, [_("Monat"), _("Anträge")], rows, description)


def chart_per_service(figures: Figures) -> Chart:
    title = _("Anträge über kreiswerk je Leistung und Monat")
    # Only applications through kreiswerk are counted here: the channel is the same for every row.
    headers = [_("Leistung"), *(month_label(month) for month in figures.months), _("Summe")]
    rows = [[row.name, *(row.by_month[month] for month in figures.months), row.total] for row in figures.per_service]
    shown = figures.per_service[:TOP_SERVICES]
    description = ngettext(
        "Anträge je Monat der meistgenutzten Leistung; die vollständige Tabelle enthält alle %(count)s Leistung.",
        "Anträge je Monat der %(shown)s meistgenutzten Leistungen; "
        "die vollständige Tabelle enthält alle %(count)s Leistungen.",
        len(figures.per_service),
    ) % {"shown": len(shown), "count": len(figures.per_service)}
    items = [(row.name, [row.by_month[month] for month in figures.months], row.total) for row in shown]
    svg = sparkrows("antraege-leistung", title, description, items)
    return Chart("antraege-leistung", title, svg, headers, rows, description, summary_rows=len(shown))


def chart_durations(figures: Figures) -> Chart:
    title = _("Bearbeitungsdauer je Vorgangsart")
    headers = [_("Vorgangsart"), _("abgeschlossene Vorgänge"), _("Median (Tage)"), _("90. Perzentil (Tage)")]
    durations = sorted(figures.durations, key=lambda row: (-row.cases, row.case_type.title))
    rows = [[row.case_type.title, row.cases, row.median, row.p90] for row in durations]
    description = _(
        "Tage vom Eingang bis zum Abschluss der im Zeitraum abgeschlossenen Vorgänge: Median und "
        "90. Perzentil (neun von zehn Vorgängen waren bis dahin abgeschlossen)."
    )
    if len(durations) > TOP_SERVICES:
        description += " " + _(
            "Die Grafik zeigt die %(shown)s Vorgangsarten mit den meisten abgeschlossenen Vorgängen; "
            "die vollständige Tabelle enthält alle %(count)s."
        ) % {"shown": TOP_SERVICES, "count": len(durations)}
    groups = []
    for row in durations[:TOP_SERVICES]:
        closed = ngettext("%(count)s Vorgang", "%(count)s Vorgänge", row.cases) % {"count": number(row.cases)}
        groups.append((f"{row.case_type.title} ({closed})", [(_("Median"), row.median), (_("90. Perzentil"), row.p90)]))
    svg = paired_hbars("bearbeitungsdauer", title, description, groups, show=_days)
    return Chart("bearbeitungsdauer", title, svg, headers, rows, description, summary_rows=TOP_SERVICES)


def chart_dropoff(figures: Figures) -> Chart:
    title = _("Abbruch je Schritt der Antragsassistenten")
    headers = [_("Antragsassistent: Schritt"), _("erreicht"), _("Anteil der Begonnenen (%)")]
    rows, groups = [], []
    for funnel in figures.funnels:
        name = funnel.assistant.title
        steps = [(_("begonnen"), funnel.started, Decimal(100))]
        steps += [(step.title, step.reached, step.share) for step in funnel.steps]
        steps.append((_("eingereicht"), funnel.submitted, funnel.completion))
        rows += [[f"{name}: {label}", reached, part] for label, reached, part in steps]
        groups.append((name, [(label, reached) for label, reached, _part in steps]))
    description = _(
        "Wie viele der begonnenen Anträge jeden Schritt abgeschlossen haben und wie viele eingereicht wurden; "
        "wo die Zahl sinkt, geben Menschen auf."
    )
    # A county has a hundred and more assistants: the chart shows the most used, the table all.
    if len(groups) > TOP_SERVICES:
        description += " " + _(
            "Die Grafik zeigt die %(shown)s am häufigsten begonnenen Antragsassistenten; "
            "die vollständige Tabelle enthält alle %(count)s."
        ) % {"shown": TOP_SERVICES, "count": len(groups)}
        groups = groups[:TOP_SERVICES]
    svg = paired_hbars("abbruch", title, description, groups)
    shown_rows = sum(len(steps) for _name, steps in groups)
    return Chart("abbruch", title, svg, headers, rows, description, summary_rows=shown_rows)


def chart_rates(figures: Figures) -> Chart:
    title = _("Quoten")
    headers = [_("Kennzahl"), _("Anzahl"), _("Grundgesamtheit"), _("Anteil (%)")]
    rows = [
        [
            _("Digital im Fachverfahren oder in der E-Akte angekommen"),
            figures.digital_intake,
            figures.submissions,
            figures.digital_share,
        ],
        [_("Anträge mit Rückfrage"), figures.with_inquiry, figures.submissions, figures.inquiry_rate],
        [_("Gebühr online bezahlt"), figures.paid_online, figures.with_fee, figures.paid_online_share],
    ]
    description = _(
        "Anteil der Anträge, die ohne erneutes Abtippen in der E-Akte oder einem Fachverfahren ankamen: "
        "%(digital)s; Rückfragequote: %(inquiry)s; online bezahlte Gebühren: %(paid)s."
    ) % {
        "digital": _percent(figures.digital_share),
        "inquiry": _percent(figures.inquiry_rate),
        "paid": _percent(figures.paid_online_share),
    }
    items = [
        (
            label,
            float(rate) if rate is not None else None,
            f"{_percent(rate)} ({number(part)}/{number(whole)})",
        )
        for label, part, whole, rate in rows
    ]
    short = [_("digital angekommen"), _("mit Rückfrage"), _("online bezahlt")]
    items = [(short[index], *item[1:]) for index, item in enumerate(items)]
    svg = hbars("quoten", title, description, items, maximum=100)
    return Chart("quoten", title, svg, headers, rows, description)


def figures_charts(figures: Figures) -> list[Chart]:
    """The dashboard's charts in their order; slugs name them in URLs and file names."""
    return [
        chart_maturity(figures),
        chart_legacy_maturity(figures),
        chart_monthly(figures),
        chart_per_service(figures),
        chart_durations(figures),
        chart_dropoff(figures),
        chart_rates(figures),
    ]


def chart_by_slug(figures: Figures, slug: str) -> Chart | None:
    return next((chart for chart in figures_charts(figures) if chart.slug == slug), None)


def indicator_chart(
    *, slug: str, title: str, points: list[tuple[date, Decimal]], unit_label: str, target: Decimal | None = None
) -> SafeString:
    """A hand-kept indicator's history, oldest first: one labelled bar per recorded value."""
    if points:
        description = ngettext(
            "%(count)s Wert (%(unit)s) von %(first)s bis %(last)s, zuletzt %(latest)s.",
            "%(count)s Werte (%(unit)s) von %(first)s bis %(last)s, zuletzt %(latest)s.",
            len(points),
        ) % {
            "count": len(points),
            "unit": unit_label,
            "first": date_format(points[0][0], "d.m.Y"),
            "last": date_format(points[-1][0], "d.m.Y"),
            "latest": number(points[-1][1]),
        }
    else:
        description = _("Noch keine Werte erfasst.")
    reference = (_("Ziel: %(value)s") % {"value": number(target)}, target) if target is not None else None
    if reference:
        description += " " + _("Zielwert: %(value)s.") % {"value": number(target)}
    items = [(date_format(day, "d.m.y"), value) for day, value in points]
    return vbars(slug, title, description, items, reference=reference)
