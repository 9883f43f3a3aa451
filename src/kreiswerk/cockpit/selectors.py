"""Reads of the cockpit: the figures of a period, the catalogue's volumes, the ranked backlog.

Platform figures come from the monthly and daily rows of ``rollup`` (refreshed first,
so they are exact): a period's whole months from the monthly rows, its edges from the
daily ones. Nothing here counts raw submissions, so a year of two million costs little
more than a quiet month.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.assistants.definition import localized
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.cases.models import CaseType
from kreiswerk.runner.models import StepCount, StepCountMonth
from kreiswerk.tenancy.models import Mandant

from . import maturity
from .models import (
    RUNNING_PHASES,
    ClosedCaseDay,
    ClosedCaseMonth,
    Idea,
    Indicator,
    IndicatorValue,
    Phase,
    Project,
    Service,
    SubmissionDay,
    SubmissionMonth,
)
from .rollup import month_after, rollup_refresh


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, current = [], self.start.replace(day=1)
        while current <= self.end:
            months.append(current)
            current = month_after(current)
        return months

    def split(self, today: date) -> tuple[list[date], list[tuple[date, date]], list[tuple[date, date]]]:
        """How to read the period from monthly and daily rows: the months to read whole, the days to add
        and the days of those months outside the period to take away, as (first, last) stretches.

        A month the period covers in part is read as its days inside the period, or as the whole
        month less its days outside, whichever reads fewer days. Days after ``today`` hold no rows
        yet and cost nothing to read, so a period ending today reads its last month whole.
        """
        months, added, subtracted = [], [], []
        for month in self.months:
            last = month_after(month) - timedelta(days=1)
            inside = (max(self.start, month), min(self.end, last))
            outside = [
                (first, end)
                for first, end in ((month, inside[0] - timedelta(days=1)), (inside[1] + timedelta(days=1), last))
                if first <= end
            ]
            outside_cost = sum(max(0, (min(end, today) - first).days + 1) for first, end in outside)
            if outside_cost < (inside[1] - inside[0]).days + 1:
                months.append(month)
                subtracted.extend(outside)
            else:
                added.append(inside)
        return months, added, subtracted

    def __str__(self) -> str:
        return f"{self.start:%d.%m.%Y} – {self.end:%d.%m.%Y}"


def period_label(start: date, end: date) -> str:
    """ "1. Halbjahr 2026", "2025", or the dates for any other period."""
    if start.year == end.year and (start.month, start.day) == (1, 1):
        if (end.month, end.day) == (6, 30):
            return _("1. Halbjahr %(year)s") % {"year": start.year}
        if (end.month, end.day) == (12, 31):
            return str(start.year)
    if start.year == end.year and (start.month, start.day, end.month, end.day) == (7, 1, 12, 31):
        return _("2. Halbjahr %(year)s") % {"year": start.year}
    return f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"


def period_last_year(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - timedelta(days=364), today)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


@dataclass
class ServiceMonths:
    service: Service | None
    assistant: Assistant
    channel: str
    by_month: dict[date, int]

    @property
    def total(self) -> int:
        return sum(self.by_month.values())

    @property
    def name(self) -> str:
        return self.service.name if self.service else self.assistant.title


@dataclass(frozen=True)
class Duration:
    case_type: CaseType
    cases: int
    median: int | None
    p90: int | None


@dataclass(frozen=True)
class FunnelStep:
    key: str
    title: str
    reached: int
    share: Decimal | None  # of those who began


@dataclass
class Funnel:
    assistant: Assistant
    started: int
    submitted: int
    steps: list[FunnelStep] = field(default_factory=list)

    @property
    def completion(self) -> Decimal | None:
        return share(self.submitted, self.started)


@dataclass
class Figures:
    period: Period
    services_total: int
    by_level: dict[int, int]
    by_legacy_level: dict[int, int]
    by_channel: dict[str, int]
    months: list[date]
    monthly_totals: dict[date, int]
    per_service: list[ServiceMonths]
    submissions: int
    digital_intake: int
    with_inquiry: int
    with_fee: int
    paid_online: int
    durations: list[Duration]
    funnels: list[Funnel]

    @property
    def digital_share(self) -> Decimal | None:
        return share(self.digital_intake, self.submissions)

    @property
    def inquiry_rate(self) -> Decimal | None:
        return share(self.with_inquiry, self.submissions)

    @property
    def paid_online_share(self) -> Decimal | None:
        return share(self.paid_online, self.with_fee)

    @property
    def online_services(self) -> int:
        """Services at level 3 or above: an application can be made online."""
        return sum(count for level, count in self.by_level.items() if level >= 3)


def programme_mandant_ids(mandant: Mandant) -> list[int]:
    """The county's programme covers its municipalities too (catalogue, figures); a municipality its own."""
    return [mandant.pk, *mandant.municipalities.values_list("pk", flat=True)]


def _assistants(mandants: list[int]) -> dict[int, Assistant]:
    """By id: the rollup reads filter by the ids themselves, not a join (the same for case types below).

    Joined to a small, freshly filled table, PostgreSQL guessed a handful of matches and
    fetched a year of rollup rows through an index one owner at a time: five times slower.
    """
    return Assistant.objects.filter(mandant_id__in=mandants).order_by().in_bulk()


def _rollup_parts(daily, monthly, period: Period, *, per_month: bool, **filters) -> list[tuple[int, QuerySet]]:
    """The querysets that read the period, each with its sign: the whole months from the
    ``monthly`` table, the days at the edges from the ``daily`` one (a year is a twelfth of
    the rows), and the days of a month outside the period to be taken away."""
    months, added, subtracted = period.split(timezone.localdate())
    parts = []
    if months:
        rows = monthly.objects.filter(month__in=months, **filters)
        parts.append((1, rows.annotate(in_month=F("month")) if per_month else rows))
    for sign, stretches in ((1, added), (-1, subtracted)):
        if stretches:
            rows = daily.objects.filter(
                reduce(operator.or_, (Q(day__gte=first, day__lte=last) for first, last in stretches)), **filters
            )
            parts.append((sign, rows.annotate(in_month=TruncMonth("day")) if per_month else rows))
    return parts


def rollup_sums(daily, monthly, period: Period, *, keys: tuple[str, ...], per_month: bool = False, **filters):
    """The counts of the period summed per ``keys`` (and per month, with ``per_month``), as tuples:
    the keys, the month, then every count of the table in the order of its ``COUNTS``.

    A key may come from several parts, and the days taken away come with negative counts,
    so callers add up and leave out what sums to nothing.
    """
    group = [*keys, "in_month"] if per_month else list(keys)
    sums = {f"sum_{name}": Sum(name) for name in daily.COUNTS}
    width = len(group)
    for sign, rows in _rollup_parts(daily, monthly, period, per_month=per_month, **filters):
        rows = rows.values(*group).annotate(**sums).values_list(*group, *sums).order_by()
        if sign > 0:
            yield from rows
        else:
            yield from (row[:width] + tuple(-count for count in row[width:]) for row in rows)


@contextmanager
def one_snapshot():
    """The reads inside see one committed state of the database.

    A period is read as months less days from several queries; read from two states (a
    step counted or a day recomputed in between) the difference could be off, even
    negative. In PostgreSQL's default isolation every query sees its own state, so the
    reads share a read-only REPEATABLE READ transaction; SQLite's read transaction is a
    snapshot already. Inside a transaction begun elsewhere its isolation stands.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def figures_compute(*, mandant: Mandant, period: Period) -> Figures:
    rollup_refresh()  # before the snapshot: it writes, and waits for a concurrent refresh
    with one_snapshot():
        return _figures_read(mandant=mandant, period=period)


def _figures_read(*, mandant: Mandant, period: Period) -> Figures:
    mandants = programme_mandant_ids(mandant)
    # The figures name a service and count it by level and channel; its other columns are not read.
    services = list(
        Service.objects.filter(mandant_id__in=mandants).only(
            "pk", "name", "maturity_level", "legacy_level", "channel", "assistant_id"
        )
    )
    by_level = dict.fromkeys(range(maturity.MAX_LEVEL + 1), 0)
    by_legacy = dict.fromkeys(range(maturity.LEGACY_MAX_LEVEL + 1), 0)
    by_channel: dict[str, int] = defaultdict(int)
    for service in services:
        by_level[service.maturity_level] += 1
        by_legacy[service.legacy_level] += 1
        by_channel[service.channel] += 1

    assistants = _assistants(mandants)
    months = period.months
    per_assistant: dict[int, dict[date, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
    totals = dict.fromkeys(SubmissionDay.COUNTS, 0)
    for assistant_id, month, *counts in rollup_sums(
        SubmissionDay,
        SubmissionMonth,
        period,
        keys=("assistant_id",),
        per_month=True,
        assistant_id__in=list(assistants),
    ):
        per_assistant[assistant_id][month] += counts[0]  # COUNTS begins with the submissions
        for name, count in zip(SubmissionDay.COUNTS, counts, strict=True):
            totals[name] += count
    per_assistant = {key: by_month for key, by_month in per_assistant.items() if any(by_month.values())}
    by_assistant_service = {service.assistant_id: service for service in services if service.assistant_id}
    per_service = [
        ServiceMonths(
            service=by_assistant_service.get(assistant_id),
            assistant=assistants[assistant_id],
            channel="kreiswerk",
            by_month=by_month,
        )
        for assistant_id, by_month in per_assistant.items()
    ]
    per_service.sort(key=lambda row: (-row.total, row.name))
    monthly_totals = {month: sum(row.by_month[month] for row in per_service) for month in months}
    return Figures(
        period=period,
        services_total=len(services),
        by_level=by_level,
        by_legacy_level=by_legacy,
        by_channel=dict(by_channel),
        months=months,
        monthly_totals=monthly_totals,
        per_service=per_service,
        **totals,
        durations=durations_compute(mandants=mandants, period=period),
        funnels=funnels_compute(assistants=assistants, period=period, submitted=per_assistant),
    )


# Nearest-rank percentiles over the summed histogram, in the database: a year of 150 Vorgangsarten
# is thousands of (type, duration) pairs but only 150 answers. The smallest duration with at least
# the fraction p of the cases at or below it: seen ≥ ⌈p·total⌉, i.e. seen ≥ p·total, kept in integers.
PERCENTILES_SQL = """
WITH parts (case_type_id, duration_days, cases) AS ({parts}),
histogram AS (
    SELECT case_type_id, duration_days, SUM(cases) AS cases FROM parts
    GROUP BY case_type_id, duration_days HAVING SUM(cases) <> 0
),
running AS (
    SELECT case_type_id, duration_days,
        SUM(cases) OVER (PARTITION BY case_type_id ORDER BY duration_days) AS seen,
        SUM(cases) OVER (PARTITION BY case_type_id) AS total
    FROM histogram
)
SELECT case_type_id, total,
    MIN(CASE WHEN 2 * seen >= total THEN duration_days END),
    MIN(CASE WHEN 10 * seen >= 9 * total THEN duration_days END)
FROM running GROUP BY case_type_id, total
"""


def durations_compute(*, mandants: list[int], period: Period) -> list[Duration]:
    """Days from receipt to closing of the cases closed in the period, per Vorgangsart (median, 90 %)."""
    case_type_ids = list(CaseType.objects.filter(mandant_id__in=mandants).order_by().values_list("pk", flat=True))
    parts = _rollup_parts(ClosedCaseDay, ClosedCaseMonth, period, per_month=False, case_type_id__in=case_type_ids)
    if not case_type_ids or not parts:  # an empty id list makes no SQL at all
        return []
    selects, params = [], []
    for sign, rows in parts:
        sql, part_params = (
            rows.annotate(signed=F("cases") * sign).values_list("case_type_id", "duration_days", "signed").order_by()
        ).query.sql_with_params()
        selects.append(sql)
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(PERCENTILES_SQL.format(parts=" UNION ALL ".join(selects)), params)  # nosec B608 - ORM-made SQL
        rows = cursor.fetchall()
    case_types = CaseType.objects.only("pk", "title").in_bulk([row[0] for row in rows])
    durations = [
        # PostgreSQL sums integers as numeric: the count is made an int again.
        Duration(case_type=case_types[case_type_id], cases=int(total), median=median, p90=p90)
        for case_type_id, total, median, p90 in rows
    ]
    durations.sort(key=lambda row: row.case_type.title)
    return durations


# A version's definition never changes once stored, so its steps are read once per process.
# The key holds the moment of creation too: a test database may hand out a rolled-back id again.
_OUTLINES: dict[tuple[int, datetime], tuple[tuple[str, Any], ...]] = {}
OUTLINES_KEPT = 4096


def step_outlines(versions: list[tuple[int, datetime]]) -> dict[int, tuple[tuple[str, Any], ...]]:
    """Per version id (given with its moment of creation): the key and the (translatable) title of
    each of its steps, in order. A version deleted meanwhile is left out."""
    outlines, missing = {}, []
    for pk, created_at in versions:
        outline = _OUTLINES.get((pk, created_at))
        if outline is None:
            missing.append(pk)
        else:
            outlines[pk] = outline
    if missing:
        if len(_OUTLINES) + len(missing) > OUTLINES_KEPT:
            _OUTLINES.clear()
        for version in AssistantVersion.objects.filter(pk__in=missing).only("pk", "created_at", "definition"):
            outline = tuple((step.key, step.title) for step in version.parsed.steps)
            _OUTLINES[version.pk, version.created_at] = outlines[version.pk] = outline
    return outlines


def funnels_compute(
    *, assistants: dict[int, Assistant], period: Period, submitted: dict[int, dict[date, int]]
) -> list[Funnel]:
    """Per assistant: how many began in the period, how many got past each step, how many submitted.

    Steps are listed in the order of the assistant's published version; steps of older
    versions that are gone are left out.
    """
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for assistant_id, step, count in rollup_sums(
        StepCount, StepCountMonth, period, keys=("assistant_id", "step"), assistant_id__in=list(assistants)
    ):
        counts[assistant_id][step] += count
    published = AssistantVersion.objects.filter(assistant_id__in=list(counts), state=AssistantVersion.State.PUBLISHED)
    versions = {
        assistant_id: (pk, created_at)
        for pk, assistant_id, created_at in published.values_list("pk", "assistant_id", "created_at")
    }
    outlines = step_outlines(list(versions.values()))
    funnels = []
    for assistant_id, by_step in counts.items():
        started = by_step.get(StepCount.STARTED, 0)
        outline = outlines.get(versions[assistant_id][0]) if assistant_id in versions else None
        if outline is None or not started:
            continue
        funnel = Funnel(
            assistant=assistants[assistant_id],
            started=started,
            submitted=sum(submitted.get(assistant_id, {}).values()),
        )
        for key, title in outline:
            reached = by_step.get(key, 0)
            funnel.steps.append(FunnelStep(key, localized(title), reached, share(reached, started)))
        funnels.append(funnel)
    funnels.sort(key=lambda funnel: (-funnel.started, funnel.assistant.title))
    return funnels


def service_volumes(services: list[Service], today: date | None = None) -> dict[int, int | None]:
    """Yearly volume per service: counted by the platform for kreiswerk assistants, else as entered."""
    rollup_refresh()
    today = today or timezone.localdate()
    assistant_ids = [service.assistant_id for service in services if service.assistant_id]
    counted: dict[int, int] = defaultdict(int)
    year = Period(today - timedelta(days=364), today)
    with one_snapshot():
        for assistant_id, submissions, *_others in rollup_sums(
            SubmissionDay, SubmissionMonth, year, keys=("assistant_id",), assistant_id__in=assistant_ids
        ):
            counted[assistant_id] += submissions
    return {
        service.pk: counted.get(service.assistant_id, 0) if service.assistant_id else service.yearly_volume
        for service in services
    }


def backlog(*, mandant: Mandant, decided: bool | None = None):
    """Ideas ranked by score (unscored last), then by age."""
    ideas = Idea.objects.filter(mandant=mandant).select_related("service", "unit", "author")
    if decided is not None:
        ideas = ideas.exclude(decision="") if decided else ideas.filter(decision="")
    return ideas.order_by(F("score").desc(nulls_last=True), "created_at", "pk")


def projects_running(*, mandant: Mandant):
    return Project.objects.filter(mandant=mandant, phase__in=RUNNING_PHASES)


@dataclass(frozen=True)
class Programme:
    """The programme at a glance: projects per phase now, ideas of the period."""

    projects_by_phase: list[tuple[str, str, int]]  # (phase, label, count) in phase order
    running: int
    ideas_submitted: int
    ideas_decided: list[tuple[str, str, int]]  # (decision, label, count)
    ideas_open: int


def programme_summary(*, mandant: Mandant, period: Period) -> Programme:
    phases = dict(
        Project.objects.filter(mandant=mandant).values("phase").annotate(n=Count("pk")).values_list("phase", "n")
    )
    decided = dict(
        ideas_decided(mandant=mandant, period=period)
        .order_by()
        .values("decision")
        .annotate(n=Count("pk"))
        .values_list("decision", "n")
    )
    ideas = Idea.objects.filter(mandant=mandant)
    return Programme(
        projects_by_phase=[(value, label, phases.get(value, 0)) for value, label in Phase.choices],
        running=sum(phases.get(phase, 0) for phase in RUNNING_PHASES),
        ideas_submitted=ideas.filter(created_at__date__gte=period.start, created_at__date__lte=period.end).count(),
        ideas_decided=[(value, label, decided.get(value, 0)) for value, label in Idea.Decision.choices],
        ideas_open=ideas.filter(decision="").count(),
    )


def ideas_decided(*, mandant: Mandant, period: Period):
    return (
        Idea.objects.filter(mandant=mandant, decided_at__date__gte=period.start, decided_at__date__lte=period.end)
        .select_related("service")
        .order_by("decided_at", "pk")
    )


@dataclass(frozen=True)
class IndicatorState:
    indicator: Indicator
    latest: IndicatorValue | None
    history: list[IndicatorValue]

    @property
    def reached(self) -> bool | None:
        if self.latest is None or self.indicator.target is None:
            return None
        return self.latest.value >= self.indicator.target


def indicators_state(*, mandant: Mandant, until: date | None = None) -> list[IndicatorState]:
    """Each hand-kept indicator with its values up to ``until`` (newest first)."""
    values = IndicatorValue.objects.all() if until is None else IndicatorValue.objects.filter(as_of__lte=until)
    indicators = Indicator.objects.filter(mandant=mandant).prefetch_related(
        Prefetch("values", queryset=values.order_by("-as_of", "-pk"))
    )
    states = []
    for indicator in indicators:
        history = list(indicator.values.all())
        states.append(IndicatorState(indicator=indicator, latest=history[0] if history else None, history=history))
    return states


def services_search(*, mandant: Mandant, query: str = "", level: int | None = None, channel: str = ""):
    services = Service.objects.filter(mandant_id__in=programme_mandant_ids(mandant)).select_related(
        "unit", "assistant", "mandant"
    )
    if query:
        services = services.filter(Q(name__icontains=query) | Q(leika_key__startswith=query.replace(" ", "")))
    if level is not None:
        services = services.filter(maturity_level=level)
    if channel:
        services = services.filter(channel=channel)
    return services
