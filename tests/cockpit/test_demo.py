"""The cockpit's demo data: catalogue, ideas, projects, indicators and two years of figures."""

import datetime
import math
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kreiswerk.cases.models import Case, Inquiry
from kreiswerk.cockpit import maturity
from kreiswerk.cockpit.leika import leika_validate
from kreiswerk.cockpit.models import (
    ClosedCaseDay,
    GateApproval,
    Idea,
    Indicator,
    Phase,
    Project,
    ProjectMember,
    Service,
    SubmissionDay,
)
from kreiswerk.cockpit.rollup import day_bounds, local_day
from kreiswerk.cockpit.selectors import Period, figures_compute
from kreiswerk.cockpit.services import GATES, limits_check
from kreiswerk.handoff.models import DeliveryEvent, Destination
from kreiswerk.payments.models import Payment, Status
from kreiswerk.runner.models import StepCount
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.models import Mandant

pytestmark = pytest.mark.django_db

# About 250 generated submissions instead of 16,000: the same shapes, a fraction of the time.
SCALE = 0.015


def run_demo() -> str:
    out = StringIO()
    call_command("demo", cockpit_scale=SCALE, case_scale=0.1, stdout=out)
    return out.getvalue()


def sizes() -> dict:
    return {
        "services": Service.objects.count(),
        "ideas": Idea.objects.count(),
        "projects": Project.objects.count(),
        "gates": GateApproval.objects.count(),
        "indicators": Indicator.objects.count(),
        "submissions": Submission.objects.count(),
        "cases": Case.objects.count(),
        "payments": Payment.objects.count(),
        "steps": StepCount.objects.count(),
        "days": SubmissionDay.objects.count(),
        "closed_days": ClosedCaseDay.objects.count(),
    }


def direct_figures(mandants: list[int], period: Period) -> dict:
    """The dashboard's platform figures counted on the raw rows, without the daily rollup."""
    start, _end = day_bounds(period.start)
    _start, end = day_bounds(period.end)
    submission = OuterRef("pk")
    rows = Submission.objects.filter(
        mandant_id__in=mandants, is_test=False, submitted_at__gte=start, submitted_at__lt=end
    )
    rows = rows.annotate(
        has_case=Exists(Case.objects.filter(submission=submission)),
        delivered=Exists(
            DeliveryEvent.objects.filter(delivery__submission=submission, kind=DeliveryEvent.Kind.DELIVERED)
        ),
        inquired=Exists(Inquiry.objects.filter(case__submission=submission)),
        has_payment=Exists(Payment.objects.filter(submission=submission)),
        paid=Exists(Payment.objects.filter(submission=submission, status=Status.BOOKED)),
    )
    monthly = Counter()
    for assistant_id, submitted_at in rows.values_list("assistant_id", "submitted_at"):
        monthly[assistant_id, local_day(submitted_at).replace(day=1)] += 1
    durations: dict[int, list[int]] = {}
    closed = Case.objects.filter(mandant_id__in=mandants, closed_at__gte=start, closed_at__lt=end)
    for case_type_id, received_at, closed_at in closed.values_list("case_type_id", "received_at", "closed_at"):
        durations.setdefault(case_type_id, []).append((local_day(closed_at) - local_day(received_at)).days)
    return {
        "submissions": rows.count(),
        "digital": rows.filter(Q(has_case=True) | Q(delivered=True)).count(),
        "inquiry": rows.filter(inquired=True).count(),
        "fee": rows.filter(Q(has_payment=True) | Q(awaiting_payment_since__isnull=False)).count(),
        "paid": rows.filter(paid=True).count(),
        "monthly": monthly,
        "durations": {
            case_type_id: (
                len(days),
                sorted(days)[math.ceil(len(days) * 0.5) - 1],
                sorted(days)[math.ceil(len(days) * 0.9) - 1],
            )
            for case_type_id, days in durations.items()
        },
        "started": sum(
            StepCount.objects.filter(
                assistant__mandant_id__in=mandants, step="", day__gte=period.start, day__lte=period.end
            ).values_list("count", flat=True)
        ),
    }


def test_it_creates_the_cockpit_demo_once():
    output = run_demo()
    county = Mandant.objects.get(slug="musterkreis")
    assert "30 Ideen, 12 Projekte" in output

    # About 150 services of the county and both municipalities, on every maturity level, most on 1–3.
    services = Service.objects.all()
    assert 140 <= services.count() <= 160
    assert set(services.values_list("mandant__slug", flat=True)) == {"musterkreis", "musterstadt", "beispielheim"}
    levels = Counter(services.values_list("maturity_level", flat=True))
    assert set(levels) == set(range(maturity.MAX_LEVEL + 1))
    assert sum(levels[level] for level in (1, 2, 3)) > services.count() / 2
    for service in services:
        leika_validate(service.leika_key)
        assert service.maturity_level == maturity.maturity_level(service.criteria)
    linked = services.filter(channel="kreiswerk")
    assert linked.count() == 6
    assert all(service.assistant_id for service in linked)
    assert {"efa", "landesportal", "offline"} <= set(services.values_list("channel", flat=True))

    # 30 ideas from the internal assistant, about 20 rated and 12 decided with a reason.
    ideas = Idea.objects.filter(mandant=county)
    assert ideas.count() == 30
    assert ideas.filter(submission__assistant__slug="digitalisierungsidee").count() == 30
    assert len(set(ideas.values_list("author", flat=True))) >= 5
    assert ideas.filter(score__isnull=False).count() >= 20
    decided = ideas.exclude(decision="")
    assert decided.count() == 12
    assert set(decided.values_list("decision", flat=True)) == set(Idea.Decision.values)
    assert all(idea.decision_reason and idea.decided_at for idea in decided)
    assert Destination.objects.filter(assistant__slug="digitalisierungsidee", kind=Destination.Kind.IDEAS).exists()

    # 12 projects in every phase, each gate passed by the role that owns it.
    projects = Project.objects.filter(mandant=county)
    assert projects.count() == 12
    assert set(projects.values_list("phase", flat=True)) == set(Phase.values)
    assert projects.filter(idea__isnull=False).count() == decided.filter(decision=Idea.Decision.IMPLEMENT).count()
    for project in projects:
        roles = set(project.members.values_list("role", flat=True))
        assert roles == set(ProjectMember.Role.values)
        for gate in project.gates.all():
            assert gate.approved_as == GATES[gate.from_phase].owner
            assert project.members.filter(user=gate.approved_by, role=gate.approved_as).exists()
        if project.phase in (Phase.IMPLEMENTATION, Phase.ROLLOUT, Phase.CLOSED):
            assert project.concept_approved_at is not None
    assert set(projects.values_list("status", flat=True)) == set(Project.Status.values)
    assert {risk for p in projects for risk in p.risks.values_list("dimension", flat=True)} >= {
        "strategisch",
        "organisatorisch",
        "rechtlich",
        "kulturell",
        "finanziell",
        "personell",
    }
    assert [state.exceeded for state in limits_check(mandant=county)] == [True, True]

    # Hand-kept indicators with a quarterly history over two years.
    for indicator in Indicator.objects.filter(mandant=county):
        dates = sorted(indicator.values.values_list("as_of", flat=True))
        assert len(dates) == 8
        assert (dates[-1] - dates[0]).days > 600

    # Two years of submissions, with cases, Rückfragen, payments and step counts.
    generated = Submission.objects.exclude(assistant__slug="digitalisierungsidee")
    oldest, newest = (local_day(moment) for moment in (generated.last().submitted_at, generated.first().submitted_at))
    assert (newest - oldest).days > 700
    assert Case.objects.filter(submission__isnull=False).exists()
    assert Inquiry.objects.filter(case__submission__isnull=False).exists()
    assert Payment.objects.filter(status=Status.BOOKED).exists()
    assert generated.filter(awaiting_payment_since__isnull=False).exists()
    assert len(set(generated.values_list("reference", flat=True))) == generated.count()

    before = sizes()
    assert "nichts geändert" in run_demo()
    assert sizes() == before


def test_the_dashboard_figures_of_the_demo_match_direct_counts():
    run_demo()
    county = Mandant.objects.get(slug="musterkreis")
    mandants = [county.pk, *county.municipalities.values_list("pk", flat=True)]
    today = timezone.localdate()
    for period in (
        Period(today - datetime.timedelta(days=364), today),
        Period(today - datetime.timedelta(days=600), today - datetime.timedelta(days=420)),
    ):
        figures = figures_compute(mandant=county, period=period)
        direct = direct_figures(mandants, period)
        assert figures.submissions == direct["submissions"] > 0
        assert figures.digital_intake == direct["digital"]
        assert figures.with_inquiry == direct["inquiry"]
        assert figures.with_fee == direct["fee"]
        assert figures.paid_online == direct["paid"]
        monthly = Counter()
        for row in figures.per_service:
            for month, count in row.by_month.items():
                if count:
                    monthly[row.assistant.pk, month] = count
        assert monthly == direct["monthly"]
        assert {row.case_type.pk: (row.cases, row.median, row.p90) for row in figures.durations} == direct["durations"]
        assert sum(funnel.started for funnel in figures.funnels) == direct["started"]
        for funnel in figures.funnels:
            reached = [step.reached for step in funnel.steps]
            assert funnel.started >= reached[0] and reached == sorted(reached, reverse=True)
            assert reached[-1] >= funnel.submitted
        # The demo's ideas came in through the internal assistant, every step of it counted.
        assert "digitalisierungsidee" in {funnel.assistant.slug for funnel in figures.funnels}

    levels = Counter(Service.objects.filter(mandant_id__in=mandants).values_list("maturity_level", flat=True))
    assert figures.by_level == {level: levels[level] for level in range(maturity.MAX_LEVEL + 1)}
