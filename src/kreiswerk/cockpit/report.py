"""Reports for the council: the yearly Sachstandsbericht and the half-year report.

A report stores only its period, title and introduction; its figures are computed
when it is rendered, so a report always shows what the platform knows. Both
renderings read the same ``sections``: the PDF (tagged PDF/A-2a, through the
receipt's ``pdfa_render``) shows each section's charts and tables, the XLSX has one
sheet per section with the same tables as numbers.

Projects are shown in the phase they were in at the end of the period (from their
gate approvals), so a report on last year does not show this year's progress; their
status, goals, risks and the project limits are as they stand today, since no
history of those is kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kreiswerk.submissions.export import neutralise
from kreiswerk.submissions.receipt import TIME_ZONE, pdfa_render, unit_chain

from . import maturity
from .charts import TOP_SERVICES as CHART_TOP
from .charts import Chart, figures_charts
from .models import RUNNING_PHASES, Channel, Idea, Phase, Project, Report, Risk, Service
from .selectors import Figures, Period, figures_compute, ideas_decided, indicators_state, period_label, share
from .services import limits_check

LANGUAGE = "de"
# Risks rated at least this (likelihood × impact, 1–9) count as high.
HIGH_RISK = 6
TOP_RISKS = 10
TOP_SERVICES = 15
# The PDF's drop-off chart and table show as many assistants as the dashboard's chart; the XLSX has all.
PDF_FUNNELS = CHART_TOP
MAX_PERIOD_DAYS = 731

Cell = str | int | Decimal | date | None


# --- the sections both renderings share ------------------------------------------------------


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    empty: str = ""  # shown instead of an empty table

    @property
    def numeric(self) -> list[bool]:
        """Per column: whether it holds numbers (right-aligned in the PDF)."""
        kinds = [False] * len(self.headers)
        for row in self.rows:
            for index, value in enumerate(row):
                if value is not None:
                    kinds[index] = isinstance(value, int | Decimal) and not isinstance(value, bool)
        return kinds

    @property
    def columns(self) -> list[tuple[str, bool]]:
        return list(zip(self.headers, self.numeric, strict=True))

    def display_rows(self) -> Iterator[list[tuple[str, bool]]]:
        numeric = self.numeric
        for row in self.rows:
            yield [(display(value), numeric[index]) for index, value in enumerate(row)]


@dataclass
class Section:
    slug: str
    title: str
    sheet: str  # worksheet name: at most 31 characters, none of []:*?/\
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def display(value: Cell) -> str:
    """A cell as the PDF shows it: German numbers with grouping, dates as TT.MM.JJJJ."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, Decimal):
        places = 0 if value == value.to_integral_value() else max(1, -value.normalize().as_tuple().exponent)
        return number_format(value, decimal_pos=min(places, 2), force_grouping=True)
    if isinstance(value, datetime):
        return f"{timezone.localtime(value, TIME_ZONE):%d.%m.%Y}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return str(value)


def _yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return _("erreicht") if value else _("nicht erreicht")


def _risk_level(rating: int) -> str:
    if rating >= HIGH_RISK:
        return _("hoch")
    return _("mittel") if rating >= 3 else _("gering")


@dataclass(frozen=True)
class ProjectAtEnd:
    project: Project
    phase: str
    phase_since: date | None

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label


def projects_at(*, mandant, period: Period) -> list[ProjectAtEnd]:
    """Projects that existed at the period's end and were not closed before it began."""
    projects = (
        Project.objects.filter(mandant=mandant, created_at__date__lte=period.end)
        .select_related("unit")
        .prefetch_related("gates", "goals", Prefetch("risks", queryset=Risk.objects.order_by("pk")))
        .order_by("number")
    )
    result = []
    for project in projects:
        phase, since = Phase.INITIATION, timezone.localtime(project.created_at).date()
        closed_before = False
        for gate in project.gates.all():  # ordered by approval time
            day = timezone.localtime(gate.approved_at).date()
            if day > period.end:
                break
            phase, since = gate.to_phase, day
            closed_before = gate.to_phase == Phase.CLOSED and day < period.start
        if not closed_before:
            result.append(ProjectAtEnd(project=project, phase=phase, phase_since=since))
    return result


def goal_reached(goal) -> bool | None:
    """Whether the actual value meets the target; lower is better where the target lies below the baseline."""
    if goal.actual is None:
        return None
    if goal.baseline is not None and goal.target < goal.baseline:
        return goal.actual <= goal.target
    return goal.actual >= goal.target


def _section_overview(figures: Figures, *, projects: list[ProjectAtEnd], ideas: list, limits: list) -> Section:
    running = [entry for entry in projects if entry.phase in RUNNING_PHASES]
    decided = {choice: sum(1 for idea in ideas if idea.decision == choice) for choice, _label in Idea.Decision.choices}
    rows: list[list[Cell]] = [
        [_("Leistungen im Katalog"), figures.services_total],
        [_("davon online beantragbar (Reifegrad 3 oder höher)"), figures.online_services],
        [_("Anteil online beantragbarer Leistungen (%)"), share(figures.online_services, figures.services_total)],
        [_("Anträge über kreiswerk im Zeitraum"), figures.submissions],
        [_("Anteil ohne erneutes Abtippen in E-Akte oder Fachverfahren (%)"), figures.digital_share],
        [_("Anteil mit Rückfrage (%)"), figures.inquiry_rate],
        [_("Anteil online bezahlt, von den gebührenpflichtigen (%)"), figures.paid_online_share],
        [_("Projekte in Arbeit zum Ende des Zeitraums"), len(running)],
        [_("Ideen entschieden im Zeitraum"), len(ideas)],
    ]
    for choice, label in Idea.Decision.choices:
        rows.append([_("davon „%(decision)s“") % {"decision": label}, decided[choice]])
    exceeded = [state for state in limits if state.exceeded]
    rows.append([_("überschrittene Grenzen paralleler Projekte (heute)"), len(exceeded)])
    return Section(
        slug="ueberblick",
        title=_("Das Wichtigste in Kürze"),
        sheet=_("Überblick"),
        intro=_("Die Zahlen gelten für den Berichtszeitraum %(period)s.") % {"period": str(figures.period)},
        tables=[Table(_("Kennzahlen des Berichtszeitraums"), [_("Kennzahl"), _("Wert")], rows)],
    )


def _section_services(figures: Figures, services: list[Service]) -> Section:
    total = figures.services_total
    levels = [
        [level, str(maturity.LEVEL_NAMES[level]), count, share(count, total)]
        for level, count in sorted(figures.by_level.items())
    ]
    legacy = [
        [level, str(maturity.LEGACY_LEVEL_NAMES[level]), count, share(count, total)]
        for level, count in sorted(figures.by_legacy_level.items())
    ]
    channels = [
        [str(label), figures.by_channel.get(value, 0), share(figures.by_channel.get(value, 0), total)]
        for value, label in Channel.choices
    ]
    top = [[row.name, row.total, share(row.total, figures.submissions)] for row in figures.per_service[:TOP_SERVICES]]
    level_headers = [_("Reifegrad"), _("Bezeichnung"), _("Leistungen"), _("Anteil (%)")]
    return Section(
        slug="leistungen",
        title=_("Leistungen und ihr Reifegrad"),
        sheet=_("Leistungen"),
        intro=_(
            "Reifegrad nach dem aktuellen OZG-Reifegradmodell (Stufen 0 bis 7), zum Vergleich mit früheren "
            "Berichten auch nach dem Reifegradmodell 1.1 (Stufen 0 bis 4). Stand des Leistungskatalogs: heute."
        ),
        tables=[
            Table(_("Leistungen nach Reifegrad (Stufen 0–7)"), level_headers, levels),
            Table(_("Leistungen nach Reifegradmodell 1.1 (Stufen 0–4)"), level_headers, legacy),
            Table(_("Leistungen nach Zugang"), [_("Zugang"), _("Leistungen"), _("Anteil (%)")], channels),
            Table(
                _("Leistungen mit den meisten Anträgen über kreiswerk"),
                [_("Leistung"), _("Anträge"), _("Anteil (%)")],
                top,
                empty=_("Im Zeitraum sind keine Anträge über kreiswerk eingegangen."),
            ),
        ],
    )


def _section_platform(figures: Figures) -> Section:
    months = [[f"{month:%m/%Y}", figures.monthly_totals[month]] for month in figures.months]
    durations = [[row.case_type.title, row.cases, row.median, row.p90] for row in figures.durations]
    funnels = [
        [funnel.assistant.title, funnel.started, funnel.submitted, funnel.completion] for funnel in figures.funnels
    ]
    return Section(
        slug="plattform",
        title=_("Zahlen aus der Plattform"),
        sheet=_("Plattform"),
        intro=_("Gezählt von kreiswerk selbst; Testanträge zählen nicht mit."),
        tables=[
            Table(_("Anträge je Monat"), [_("Monat"), _("Anträge")], months),
            Table(
                _("Bearbeitungsdauer der abgeschlossenen Vorgänge in Tagen"),
                [_("Vorgangsart"), _("Vorgänge"), _("Median"), _("90. Perzentil")],
                durations,
                empty=_("Im Zeitraum wurden keine Vorgänge abgeschlossen."),
            ),
            Table(
                _("Begonnene und abgeschickte Anträge je Antragsassistent"),
                [_("Antragsassistent"), _("begonnen"), _("abgeschickt"), _("abgeschlossen (%)")],
                funnels,
                empty=_("Für den Zeitraum liegen keine Zahlen zu begonnenen Anträgen vor."),
            ),
        ],
    )


def _section_targets(figures: Figures, *, mandant, period: Period) -> Section:
    indicators = []
    for state in indicators_state(mandant=mandant, until=period.end):
        indicator, latest = state.indicator, state.latest
        dimension = Risk.Dimension(indicator.dimension).label if indicator.dimension else None
        indicators.append(
            [
                indicator.name,
                dimension,
                indicator.unit_label,
                indicator.target,
                latest.value if latest else None,
                latest.as_of if latest else None,
                _yes_no(state.reached),
                indicator.source,
            ]
        )
    platform = [
        [_("Leistungen online beantragbar (%)"), share(figures.online_services, figures.services_total)],
        [_("Anträge ohne erneutes Abtippen (%)"), figures.digital_share],
        [_("Anträge mit Rückfrage (%)"), figures.inquiry_rate],
        [_("Gebühren online bezahlt (%)"), figures.paid_online_share],
    ]
    return Section(
        slug="ziele",
        title=_("Ziele und Kennzahlen"),
        sheet=_("Ziele und Kennzahlen"),
        intro=_("Von Hand gepflegte Kennzahlen mit ihrem letzten Wert bis zum Ende des Zeitraums und ihrem Zielwert."),
        tables=[
            Table(
                _("Kennzahlen gegen Zielwerte"),
                [
                    _("Kennzahl"),
                    _("Dimension"),
                    _("Einheit"),
                    _("Zielwert"),
                    _("Wert"),
                    _("Stand"),
                    _("Ziel"),
                    _("Quelle"),
                ],
                indicators,
                empty=_("Es sind keine Kennzahlen angelegt."),
            ),
            Table(_("Anteile aus der Plattform im Zeitraum"), [_("Kennzahl"), _("Wert")], platform),
        ],
    )


def _section_projects(projects: list[ProjectAtEnd], limits: list) -> Section:
    rows = [
        [
            entry.project.label,
            entry.project.title,
            entry.project.unit.name,
            entry.phase_label,
            entry.phase_since,
            entry.project.get_status_display(),
            entry.project.status_reason or None,
        ]
        for entry in projects
    ]
    goals = [
        [
            entry.project.label,
            goal.text,
            goal.indicator,
            goal.unit_label or None,
            goal.baseline,
            goal.target,
            goal.actual,
            _yes_no(goal_reached(goal)),
        ]
        for entry in projects
        for goal in entry.project.goals.all()
    ]
    budgets = [
        [
            entry.project.label,
            entry.project.budget_planned,
            entry.project.budget_used,
            entry.project.days_planned,
            entry.project.days_used,
        ]
        for entry in projects
    ]
    limit_rows = [
        [
            unit_chain(state.unit) if state.unit else _("gesamtes Programm"),
            state.maximum,
            state.running,
            _("überschritten") if state.exceeded else _("eingehalten"),
        ]
        for state in limits
    ]
    return Section(
        slug="projekte",
        title=_("Projekte"),
        sheet=_("Projekte"),
        intro=_(
            "Phase zum Ende des Berichtszeitraums nach den freigegebenen Phasenübergängen; "
            "Status, Ziele und Budget nach heutigem Stand."
        ),
        tables=[
            Table(
                _("Projekte mit Phase und Status"),
                [
                    _("Nr."),
                    _("Projekt"),
                    _("federführend"),
                    _("Phase"),
                    _("seit"),
                    _("Status"),
                    _("Begründung"),
                ],
                rows,
                empty=_("Im Zeitraum gab es keine Projekte."),
            ),
            Table(
                _("Projektziele gegen Zielwerte"),
                [
                    _("Nr."),
                    _("Ziel"),
                    _("Messgröße"),
                    _("Einheit"),
                    _("Ausgangswert"),
                    _("Zielwert"),
                    _("Istwert"),
                    _("Ziel"),
                ],
                goals,
                empty=_("Es sind keine Projektziele erfasst."),
            ),
            Table(
                _("Budget und Personentage"),
                [
                    _("Nr."),
                    _("Budget geplant (€)"),
                    _("Budget verbraucht (€)"),
                    _("Personentage geplant"),
                    _("Personentage verbraucht"),
                ],
                budgets,
                empty=_("Im Zeitraum gab es keine Projekte."),
            ),
            Table(
                _("Grenzen paralleler Projekte (heute)"),
                [_("Bereich"), _("höchstens"), _("laufend"), _("Stand")],
                limit_rows,
                empty=_("Es sind keine Grenzen für parallele Projekte festgelegt."),
            ),
        ],
    )


def _section_ideas(ideas: list) -> Section:
    rows = [
        [idea.label, idea.title, idea.score, idea.get_decision_display(), idea.decision_reason, idea.decided_at]
        for idea in ideas
    ]
    return Section(
        slug="ideen",
        title=_("Entschiedene Ideen"),
        sheet=_("Ideen"),
        intro=_("Ideen, über die im Berichtszeitraum entschieden wurde, mit Entscheidung und Begründung."),
        tables=[
            Table(
                _("Entscheidungen im Zeitraum"),
                [_("Nr."), _("Idee"), _("Punkte"), _("Entscheidung"), _("Begründung"), _("entschieden am")],
                rows,
                empty=_("Im Zeitraum wurde über keine Idee entschieden."),
            )
        ],
    )


def _section_risks(projects: list[ProjectAtEnd]) -> Section:
    risks = [
        (entry.project, risk) for entry in projects if entry.phase != Phase.CLOSED for risk in entry.project.risks.all()
    ]
    by_dimension = []
    for value, label in Risk.Dimension.choices:
        ratings = [risk.rating for _project, risk in risks if risk.dimension == value]
        by_dimension.append(
            [str(label), len(ratings), sum(1 for rating in ratings if rating >= HIGH_RISK), max(ratings, default=None)]
        )
    top = sorted(risks, key=lambda item: (-item[1].rating, -item[1].impact, item[0].number, item[1].pk))[:TOP_RISKS]
    top_rows = [
        [
            project.label,
            risk.get_dimension_display(),
            risk.description,
            risk.likelihood,
            risk.impact,
            risk.rating,
            _risk_level(risk.rating),
            risk.mitigation or None,
        ]
        for project, risk in top
    ]
    return Section(
        slug="risiken",
        title=_("Risiken"),
        sheet=_("Risiken"),
        intro=_(
            "Risiken der Projekte, die nicht abgeschlossen sind, in den sechs Dimensionen; "
            "Bewertung = Eintrittswahrscheinlichkeit × Auswirkung (1 bis 9, hoch ab %(high)s)."
        )
        % {"high": HIGH_RISK},
        tables=[
            Table(
                _("Risiken nach Dimension"),
                [_("Dimension"), _("Risiken"), _("davon hoch"), _("höchste Bewertung")],
                by_dimension,
            ),
            Table(
                _("Die am höchsten bewerteten Risiken"),
                [
                    _("Projekt"),
                    _("Dimension"),
                    _("Risiko"),
                    _("Wahrscheinlichkeit"),
                    _("Auswirkung"),
                    _("Bewertung"),
                    _("Einstufung"),
                    _("Gegenmaßnahme"),
                ],
                top_rows,
                empty=_("Es sind keine Risiken erfasst."),
            ),
        ],
    )


def _section_catalogue(services: list[Service], volumes: dict[int, int]) -> Section:
    rows = [
        [
            service.name,
            service.leika_key or None,
            service.unit.name,
            service.get_channel_display(),
            service.maturity_level,
            service.legacy_level,
            volumes.get(service.assistant_id) if service.assistant_id else None,
        ]
        for service in services
    ]
    return Section(
        slug="katalog",
        title=_("Anhang: Leistungskatalog"),
        sheet=_("Leistungskatalog"),
        intro=_("Alle Leistungen mit Zugang, Reifegrad und den Anträgen über kreiswerk im Zeitraum."),
        tables=[
            Table(
                _("Leistungen"),
                [
                    _("Leistung"),
                    _("LeiKa-Schlüssel"),
                    _("zuständig"),
                    _("Zugang"),
                    _("Reifegrad"),
                    _("Modell 1.1"),
                    _("Anträge"),
                ],
                rows,
                empty=_("Der Leistungskatalog ist leer."),
            )
        ],
    )


# The dashboard's charts by the section that shows their figures; others go to the platform's.
CHART_SECTIONS = {"reifegrad": "leistungen", "reifegrad-alt": "leistungen", "quoten": "ziele"}


def _place_charts(sections: list[Section], charts: Iterable[Chart]) -> None:
    by_slug = {section.slug: section for section in sections}
    for chart in charts:
        if chart.rows:  # an empty chart is an empty box; its table says "none" already
            by_slug[CHART_SECTIONS.get(chart.slug, "plattform")].charts.append(chart)


def report_period(report: Report) -> Period:
    return Period(report.period_start, report.period_end)


def report_context(report: Report, *, funnels: int | None = None) -> dict:
    """Everything both renderings show; call it with German active.

    ``funnels`` caps the assistants in the drop-off chart: in print, SVG text is slow
    and a chart of every assistant would run over pages.
    """
    mandant = report.mandant
    period = report_period(report)
    figures = figures_compute(mandant=mandant, period=period)
    projects = projects_at(mandant=mandant, period=period)
    ideas = list(ideas_decided(mandant=mandant, period=period))
    limits = limits_check(mandant=mandant)
    # The county's report covers its municipalities' services, as its figures do.
    mandants = [mandant.pk, *mandant.municipalities.values_list("pk", flat=True)]
    services = list(Service.objects.filter(mandant_id__in=mandants).select_related("unit").order_by("name", "pk"))
    volumes = {row.assistant.pk: row.total for row in figures.per_service}
    platform = _section_platform(figures)
    sections = [
        _section_overview(figures, projects=projects, ideas=ideas, limits=limits),
        _section_services(figures, services),
        platform,
        _section_targets(figures, mandant=mandant, period=period),
        _section_projects(projects, limits),
        _section_ideas(ideas),
        _section_risks(projects),
        _section_catalogue(services, volumes),
    ]
    _place_charts(sections, figures_charts(replace(figures, funnels=figures.funnels[:funnels])))
    if funnels is not None and len(figures.funnels) > funnels:
        platform.intro += " " + _(
            "Die Grafik zum Abbruch zeigt die %(shown)s am häufigsten begonnenen Antragsassistenten; "
            "alle %(count)s stehen in der Excel-Datei."
        ) % {"shown": funnels, "count": len(figures.funnels)}
    now = timezone.localtime(timezone.now(), TIME_ZONE)
    return {
        "report": report,
        "mandant": mandant,
        "period": period,
        "period_label": period_label(period.start, period.end),
        "kind_label": report.get_kind_display(),
        "paragraphs": introduction_paragraphs(report.introduction),
        "figures": figures,
        "sections": sections,
        "created": now,
        "created_iso": now.isoformat(timespec="seconds"),
    }


def introduction_paragraphs(text: str) -> list[str]:
    """Paragraphs split at blank lines; single line breaks stay inside a paragraph."""
    normalized = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in normalized.split("\n\n") if part.strip()]


# --- renderings -------------------------------------------------------------------------------


def report_pdf_bytes(report: Report) -> bytes:
    """The report as tagged PDF/A-2a, German."""
    with translation.override(LANGUAGE):
        context = report_context(report, funnels=PDF_FUNNELS)
        return pdfa_render(template="cockpit/reports/pdf/report.html", context=context)


def report_xlsx_bytes(report: Report) -> bytes:
    """The report's figures: a sheet about the report, then one sheet per section."""
    with translation.override(LANGUAGE):
        context = report_context(report)
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        styles = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "caption": workbook.add_format({"bold": True, "font_size": 12}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"}),
            "date": workbook.add_format({"num_format": "dd.mm.yyyy"}),
            "integer": workbook.add_format({"num_format": "#,##0"}),
            "decimal": workbook.add_format({"num_format": "#,##0.0#"}),
        }
        workbook.set_properties(
            {
                "title": neutralise(report.title),
                "author": neutralise(report.mandant.name),
                "company": neutralise(report.mandant.name),
                "comments": "kreiswerk",
            }
        )
        about = workbook.add_worksheet(_("Bericht"))
        about.set_column(0, 0, 28)
        about.set_column(1, 1, 70)
        about.write_string(0, 0, neutralise(report.title), styles["title"])
        facts = [
            (_("Art"), context["kind_label"]),
            (_("Mandant"), report.mandant.name),
            (_("Berichtszeitraum"), context["period_label"]),
            (_("Erstellt am"), display(context["created"])),
        ]
        for row, (label, value) in enumerate(facts, start=2):
            about.write_string(row, 0, neutralise(str(label)), styles["header"])
            about.write_string(row, 1, neutralise(str(value)))
        about.write_string(len(facts) + 3, 0, neutralise(_("Einleitung")), styles["header"])
        for offset, paragraph in enumerate(context["paragraphs"]):
            about.write_string(len(facts) + 4 + offset, 0, neutralise(paragraph))
        for section in context["sections"]:
            _write_section(workbook.add_worksheet(section.sheet), section, styles)
        workbook.close()
        return buffer.getvalue()


def _write_section(sheet, section: Section, styles: dict) -> None:
    sheet.write_string(0, 0, neutralise(section.title), styles["title"])
    row = 1
    if section.intro:
        sheet.write_string(row, 0, neutralise(section.intro))
        row += 1
    widths: dict[int, int] = {}
    for table in section.tables:
        row += 1
        sheet.write_string(row, 0, neutralise(table.caption), styles["caption"])
        row += 1
        for column, header in enumerate(table.headers):
            sheet.write_string(row, column, neutralise(header), styles["header"])
            widths[column] = max(widths.get(column, 10), min(len(header) + 2, 40))
        row += 1
        if not table.rows and table.empty:
            sheet.write_string(row, 0, neutralise(table.empty))
            row += 1
        for values in table.rows:
            for column, value in enumerate(values):
                _write_cell(sheet, row, column, value, styles)
                if isinstance(value, str):
                    widths[column] = max(widths.get(column, 10), min(len(value) + 2, 60))
            row += 1
    for chart in section.charts:
        row += 1
        sheet.write_string(
            row, 0, neutralise(_("Daten der Grafik „%(title)s“") % {"title": chart.title}), styles["caption"]
        )
        row += 1
        for column, header in enumerate(chart.headers):
            sheet.write_string(row, column, neutralise(str(header)), styles["header"])
        row += 1
        for values in chart.rows:
            for column, value in enumerate(values):
                _write_cell(sheet, row, column, value, styles)
            row += 1
    for column, width in widths.items():
        sheet.set_column(column, column, width)


def _write_cell(sheet, row: int, column: int, value: Cell, styles: dict) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_string(row, column, display(value))
    elif isinstance(value, int):
        sheet.write_number(row, column, value, styles["integer"])
    elif isinstance(value, Decimal):
        sheet.write_number(row, column, float(value), styles["decimal"])
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, timezone.localtime(value, TIME_ZONE).replace(tzinfo=None), styles["date"])
    elif isinstance(value, date):
        sheet.write_datetime(row, column, datetime(value.year, value.month, value.day), styles["date"])
    else:
        sheet.write_string(row, column, neutralise(str(value)))
