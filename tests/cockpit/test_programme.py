"""The dashboard's programme section: projects per phase, ideas of the period, the limit warning."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from kreiswerk.cockpit import services
from kreiswerk.cockpit.models import RUNNING_PHASES, Idea, Phase, Project
from kreiswerk.cockpit.selectors import Period, programme_summary
from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(mandant, unit, team_member):
    """Six ideas (one submitted long ago), three decided; four projects moved through their gates."""
    sponsor = make_staff("auftrag", unit=unit, role=Role.CASEWORKER)
    long_ago = timezone.now() - timedelta(days=500)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        old = services.idea_create(mandant=mandant, title="Alt", description="Früher eingereicht")
        services.idea_decide(idea=old, decision="ablehnen", reason="Kein Bedarf.", actor=team_member)
    ideas = [services.idea_create(mandant=mandant, title=f"Idee {n}", description="Beschreibung") for n in range(5)]
    services.idea_decide(idea=ideas[0], decision="umsetzen", reason="Hoher Nutzen.", actor=team_member)
    services.idea_decide(idea=ideas[1], decision="umsetzen", reason="Pflicht.", actor=team_member)
    services.idea_decide(idea=ideas[2], decision="zurueckstellen", reason="Später.", actor=team_member)
    projects = [
        services.project_create(mandant=mandant, unit=unit, title=f"Projekt {n}", actor=team_member, idea=idea)
        for n, idea in enumerate([ideas[0], ideas[1], None, None])
    ]
    for project in projects:
        services.project_member_add(project=project, user=sponsor, role="auftraggeber", actor=team_member)
        services.project_member_add(project=project, user=team_member, role="projektleitung", actor=team_member)
    # Projekt 0 stays in Initiierung; 1 reaches Konzeption, 2 Umsetzung, 3 Abschluss.
    for project, steps in zip(projects, [0, 1, 3, 5], strict=True):
        for _ in range(steps):
            project.refresh_from_db()
            if project.phase == Phase.CONCEPT:
                services.project_concept_set(project=project, concept="Fachkonzept", actor=team_member)
            owner = sponsor if services.GATES[project.phase].owner == "auftraggeber" else team_member
            services.gate_pass(project=project, actor=owner)
    services.project_limit_set(mandant=mandant, unit=None, maximum=1, actor=team_member)
    return mandant


def test_the_summary_equals_direct_counts(programme):
    today = timezone.localdate()
    period = Period(today - timedelta(days=30), today)
    summary = programme_summary(mandant=programme, period=period)
    by_phase = {phase: count for phase, _label, count in summary.projects_by_phase}
    assert by_phase == {phase: Project.objects.filter(phase=phase).count() for phase in Phase.values}
    assert by_phase[Phase.INITIATION] == 1 and by_phase[Phase.CLOSED] == 1
    assert summary.running == Project.objects.filter(phase__in=RUNNING_PHASES).count() == 2
    in_period = Idea.objects.filter(created_at__date__gte=period.start)
    assert summary.ideas_submitted == in_period.count() == 5
    decided = {decision: count for decision, _label, count in summary.ideas_decided}
    assert decided == {
        decision: in_period.filter(decision=decision, decided_at__date__gte=period.start).count()
        for decision in Idea.Decision.values
    }
    assert decided == {"umsetzen": 2, "zurueckstellen": 1, "ablehnen": 0}
    assert summary.ideas_open == Idea.objects.filter(decision="").count() == 2


def test_the_dashboard_shows_the_programme_and_the_limit_warning(programme, reader, staff_client):
    page = staff_client(reader).get(reverse("cockpit:dashboard")).content.decode()
    cells = dict(re.findall(r'data-phase="(\w+)">(\d+)<', page))
    assert cells == {phase: str(Project.objects.filter(phase=phase).count()) for phase in Phase.values}
    ideas = dict(re.findall(r'data-ideas="(\w+)">(\d+)<', page))
    assert ideas == {"submitted": "5", "umsetzen": "2", "zurueckstellen": "1", "ablehnen": "0", "open": "2"}
    assert "Zu viele Projekte laufen parallel" in page
    assert "Gesamtes Programm: 2 laufende Projekte bei höchstens 1" in page
