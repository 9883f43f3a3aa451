"""Reads of the cockpit: the figures of a period, the catalogue's volumes, the ranked backlog.

Platform figures come from the daily rows of ``rollup`` (refreshed first, so they
are exact); nothing here counts raw submissions, so a year of two million costs the
same as a quiet month.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.assistants.definition import localized
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.cases.models import CaseType
from kreiswerk.runner.models import StepCount
from kreiswerk.tenancy.models import Mandant

from . import maturity
from .models import (
    RUNNING_PHASES,
    ClosedCaseDay,
    Idea,
    Indicator,
    IndicatorValue,
    Phase,
    Project,
    Service,
    SubmissionDay,
)
from .rollup import rollup_refresh


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
            current = (current + timedelta(days=32)).replace(day=1)
        return months

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


def percentile(histogram: dict[int, int], fraction: float) -> int | None:
    """The smallest value with at least ``fraction`` of the counts at or below it (nearest rank)."""
    total = sum(histogram.values())
    if not total:
        return None
    # Exact rational arithmetic: 0.9 * 10 must be rank 9, never 9.000000000000002 → 10.
    rank = max(1, math.ceil(Fraction(str(fraction)) * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None  # unreachable: ``seen`` ends at ``total``


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


def _assistant_ids(mandants: list[int]) -> list[int]:
    """The ids themselves, not a join (the same for case types below).

    Joined to a small, freshly filled table, PostgreSQL guessed a handful of matches and
    fetched a year of rollup rows through an index one owner at a time: five times slower.
    """
    return list(Assistant.objects.filter(mandant_id__in=mandants).order_by().values_list("pk", flat=True))


def figures_compute(*, mandant: Mandant, period: Period) -> Figures:
    rollup_refresh()
    mandants = programme_mandant_ids(mandant)
    services = list(Service.objects.filter(mandant_id__in=mandants).select_related("assistant"))
    by_level = dict.fromkeys(range(maturity.MAX_LEVEL + 1), 0)
    by_legacy = dict.fromkeys(range(maturity.LEGACY_MAX_LEVEL + 1), 0)
    by_channel: dict[str, int] = defaultdict(int)
    for service in services:
        by_level[service.maturity_level] += 1
        by_legacy[service.legacy_level] += 1
        by_channel[service.channel] += 1

    assistant_ids = _assistant_ids(mandants)
    days = SubmissionDay.objects.filter(day__gte=period.start, day__lte=period.end, assistant_id__in=assistant_ids)
    totals = days.aggregate(
        submissions=Sum("submissions"),
        digital=Sum("digital_intake"),
        inquiry=Sum("with_inquiry"),
        fee=Sum("with_fee"),
        paid=Sum("paid_online"),
    )
    months = period.months
    per_assistant: dict[int, dict[date, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
    # Summed per month in the database: a year of 150 assistants is 1,800 rows instead of 55,000.
    monthly = (
        days.annotate(month=TruncMonth("day"))
        .values("assistant_id", "month")
        .annotate(total=Sum("submissions"))
        .values_list("assistant_id", "month", "total")
        .order_by()
    )
    for assistant_id, month, count in monthly:
        per_assistant[assistant_id][month] += count
    by_assistant_service = {service.assistant_id: service for service in services if service.assistant_id}
    assistants = Assistant.objects.in_bulk(list(per_assistant))
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
        submissions=totals["submissions"] or 0,
        digital_intake=totals["digital"] or 0,
        with_inquiry=totals["inquiry"] or 0,
        with_fee=totals["fee"] or 0,
        paid_online=totals["paid"] or 0,
        durations=durations_compute(mandants=mandants, period=period),
        funnels=funnels_compute(assistant_ids=assistant_ids, period=period, submitted=per_assistant),
    )


def durations_compute(*, mandants: list[int], period: Period) -> list[Duration]:
    """Days from receipt to closing of the cases closed in the period, per Vorgangsart."""
    histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    # Summed in the database: a year has hundreds of thousands of (day, type, duration) rows
    # but only a few thousand (type, duration) pairs.
    rows = (
        ClosedCaseDay.objects.filter(
            day__gte=period.start,
            day__lte=period.end,
            case_type_id__in=list(
                CaseType.objects.filter(mandant_id__in=mandants).order_by().values_list("pk", flat=True)
            ),
        )
        .values("case_type_id", "duration_days")
        .annotate(total=Sum("cases"))
        .values_list("case_type_id", "duration_days", "total")
        .order_by()
    )
    for case_type_id, days, count in rows:
        histograms[case_type_id][days] += count
    case_types = CaseType.objects.in_bulk(list(histograms))
    durations = [
        Duration(
            case_type=case_types[case_type_id],
            cases=sum(histogram.values()),
            median=percentile(histogram, 0.5),
            p90=percentile(histogram, 0.9),
        )
        for case_type_id, histogram in histograms.items()
    ]
    durations.sort(key=lambda row: row.case_type.title)
    return durations


def funnels_compute(*, assistant_ids: list[int], period: Period, submitted: dict[int, dict[date, int]]) -> list[Funnel]:
    """Per assistant: how many began in the period, how many got past each step, how many submitted.

    Steps are listed in the order of the assistant's published version; steps of older
    versions that are gone are left out.
    """
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        StepCount.objects.filter(day__gte=period.start, day__lte=period.end, assistant_id__in=assistant_ids)
        .values("assistant_id", "step")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for row in rows:
        counts[row["assistant_id"]][row["step"]] += row["total"]
    versions = {
        version.assistant_id: version
        for version in AssistantVersion.objects.filter(
            assistant_id__in=list(counts), state=AssistantVersion.State.PUBLISHED
        ).select_related("assistant")
    }
    funnels = []
    for assistant_id, by_step in counts.items():
        version = versions.get(assistant_id)
        started = by_step.get(StepCount.STARTED, 0)
        if version is None or not started:
            continue
        funnel = Funnel(
            assistant=version.assistant,
            started=started,
            submitted=sum(submitted.get(assistant_id, {}).values()),
        )
        for step in version.parsed.steps:
            reached = by_step.get(step.key, 0)
            funnel.steps.append(FunnelStep(step.key, localized(step.title), reached, share(reached, started)))
        funnels.append(funnel)
    funnels.sort(key=lambda funnel: (-funnel.started, funnel.assistant.title))
    return funnels


def service_volumes(services: list[Service], today: date | None = None) -> dict[int, int | None]:
    """Yearly volume per service: counted by the platform for kreiswerk assistants, else as entered."""
    rollup_refresh()
    today = today or timezone.localdate()
    assistant_ids = [service.assistant_id for service in services if service.assistant_id]
    counted = dict(
        SubmissionDay.objects.filter(
            assistant_id__in=assistant_ids, day__gt=today - timedelta(days=365), day__lte=today
        )
        .values("assistant_id")
        .annotate(total=Sum("submissions"))
        .values_list("assistant_id", "total")
        .order_by()
    )
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
