"""Projects: each gate by its owning role, no Umsetzung without an approved Fachkonzept, the limits, the plan."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import services
from kreiswerk.cockpit.models import GateApproval, Goal, Milestone, Phase, Project, ProjectMember, Risk
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sponsor(unit):
    return make_staff("dezernent", unit=unit, role=Role.CASEWORKER)


@pytest.fixture
def lead(unit):
    return make_staff("projektleitung", unit=unit, role=Role.CASEWORKER)


@pytest.fixture
def project(mandant, unit, team_member, sponsor, lead):
    project = services.project_create(mandant=mandant, unit=unit, title="E-Akte im Bauamt", actor=team_member)
    services.project_member_add(project=project, user=sponsor, role="auftraggeber", actor=team_member)
    services.project_member_add(project=project, user=lead, role="projektleitung", actor=team_member)
    return project


def post(client, project, action, **data):
    return client.post(
        reverse("cockpit:project", args=[project.pk]),
        {"action": action, **{f"{action}-{key}": value for key, value in data.items()}},
    )


def gate(client, project, phase=None):
    project.refresh_from_db()
    return post(client, project, "freigabe", phase=phase or project.phase)


def phase_of(project) -> str:
    project.refresh_from_db()
    return project.phase


def test_each_gate_is_passed_only_by_its_owning_role(project, sponsor, lead, team_member, staff_client):
    as_sponsor, as_lead, as_team = staff_client(sponsor), staff_client(lead), staff_client(team_member)

    refused = gate(as_lead, project)
    assert refused.status_code == 400
    assert "Diesen Schritt gibt die Rolle „Auftraggeber“ des Projekts frei." in refused.content.decode()
    assert gate(as_team, project).status_code == 400  # the team holds no project role here
    assert phase_of(project) == Phase.INITIATION

    assert gate(as_sponsor, project).status_code == 302
    assert phase_of(project) == Phase.CONCEPT
    services.project_concept_set(project=project, concept="Ablauf, Schnittstellen, Datenschutz.", actor=lead)
    assert gate(as_sponsor, project).status_code == 400  # the Projektleitung presents the concept
    assert gate(as_lead, project).status_code == 302
    assert gate(as_lead, project).status_code == 400  # the Auftraggeber approves it
    assert gate(as_sponsor, project).status_code == 302
    assert phase_of(project) == Phase.IMPLEMENTATION
    assert gate(as_lead, project).status_code == 302
    assert gate(as_sponsor, project).status_code == 302
    assert phase_of(project) == Phase.CLOSED
    assert "Das Projekt ist abgeschlossen." in gate(as_sponsor, project).content.decode()

    history = list(GateApproval.objects.filter(project=project).values_list("to_phase", "approved_by", "approved_as"))
    assert history == [
        ("konzeption", sponsor.pk, "auftraggeber"),
        ("freigabe", lead.pk, "projektleitung"),
        ("umsetzung", sponsor.pk, "auftraggeber"),
        ("einfuehrung", lead.pk, "projektleitung"),
        ("abschluss", sponsor.pk, "auftraggeber"),
    ]
    assert AuditEntry.objects.filter(action="cockpit.project.gate").count() == 5
    page = as_team.get(reverse("cockpit:project", args=[project.pk])).content.decode()
    assert "freigegeben von Dezernent als Auftraggeber am" in page


def test_the_page_shows_the_gate_button_only_to_the_role_that_owns_it(project, sponsor, lead, staff_client):
    url = reverse("cockpit:project", args=[project.pk])
    assert "Projektauftrag erteilen (als Auftraggeber)" in staff_client(sponsor).get(url).content.decode()
    page = staff_client(lead).get(url).content.decode()
    assert "Projektauftrag erteilen (als" not in page
    assert "Diesen Schritt gibt die Rolle „Auftraggeber“ frei:" in page and "Dezernent" in page


def test_no_umsetzung_without_a_written_and_approved_fachkonzept(project, sponsor, lead, staff_client):
    as_sponsor, as_lead = staff_client(sponsor), staff_client(lead)
    gate(as_sponsor, project)
    refused = gate(as_lead, project)
    assert "Bitte legen Sie zuerst das Fachkonzept schriftlich an." in refused.content.decode()
    assert phase_of(project) == Phase.CONCEPT

    post(as_lead, project, "fachkonzept", concept="Der Ablauf wird digital.")
    gate(as_lead, project)
    assert phase_of(project) == Phase.APPROVAL
    # A concept emptied again in Freigabe cannot be approved.
    services.project_concept_set(project=project, concept="   ", actor=lead)
    refused = gate(as_sponsor, project)
    assert "Ohne Fachkonzept beginnt keine Umsetzung." in refused.content.decode()
    assert phase_of(project) == Phase.APPROVAL and project.concept_approved_at is None


def test_phases_cannot_be_skipped_by_posting(project, sponsor, lead, staff_client):
    as_sponsor = staff_client(sponsor)
    for target in (Phase.APPROVAL, Phase.IMPLEMENTATION, "umsetzung", "quatsch"):
        response = post(as_sponsor, project, "freigabe", phase=target)
        assert response.status_code == 400, target
        assert phase_of(project) == Phase.INITIATION
    # A form sent twice passes one gate, not two, even for someone holding both roles.
    services.project_member_add(project=project, user=sponsor, role="projektleitung", actor=sponsor)
    services.project_concept_set(project=project, concept="Konzept", actor=sponsor)
    assert post(as_sponsor, project, "freigabe", phase="initiierung").status_code == 302
    resent = post(as_sponsor, project, "freigabe", phase="initiierung")
    assert resent.status_code == 400 and "inzwischen in der Phase" in resent.content.decode()
    assert phase_of(project) == Phase.CONCEPT
    # And the service alone offers no way past Freigabe either.
    with pytest.raises(ValidationError):
        services.gate_pass(project=project, actor=sponsor, expected_phase=Phase.APPROVAL)


def test_a_project_in_umsetzung_without_approval_cannot_go_on(mandant, unit, team_member, lead):
    # A row put into Umsetzung by hand (a data import) still cannot pass its next gate.
    project = services.project_create(
        mandant=mandant, unit=unit, title="Altbestand", actor=team_member, phase=Phase.IMPLEMENTATION
    )
    services.project_member_add(project=project, user=lead, role="projektleitung", actor=team_member)
    with pytest.raises(ValidationError, match="Ohne freigegebenes Fachkonzept"):
        services.gate_pass(project=project, actor=lead)


def test_the_fachkonzept_is_frozen_once_approved(project, sponsor, lead, staff_client):
    as_sponsor, as_lead = staff_client(sponsor), staff_client(lead)
    gate(as_sponsor, project)
    post(as_lead, project, "fachkonzept", concept="Fassung 1")
    gate(as_lead, project)
    post(as_lead, project, "fachkonzept", concept="Fassung 2")  # still editable in Freigabe
    gate(as_sponsor, project)
    project.refresh_from_db()
    assert project.concept == "Fassung 2" and project.concept_approved_by == sponsor

    refused = post(as_lead, project, "fachkonzept", concept="Fassung 3")
    assert refused.status_code == 400
    assert "Das Fachkonzept ist freigegeben und kann nicht mehr geändert werden." in refused.content.decode()
    project.refresh_from_db()
    assert project.concept == "Fassung 2"
    page = as_lead.get(reverse("cockpit:project", args=[project.pk])).content.decode()
    assert "Fachkonzept speichern" not in page and "Fassung 2" in page


def test_an_empty_fachkonzept_is_refused_in_german(project, sponsor, lead, staff_client):
    gate(staff_client(sponsor), project)
    response = post(staff_client(lead), project, "fachkonzept", concept="  ")
    assert response.status_code == 400
    assert "Bitte schreiben Sie das Fachkonzept." in response.content.decode()


def _running(mandant, unit, team_member, phases):
    for phase in phases:
        services.project_create(mandant=mandant, unit=unit, title=f"Projekt {phase}", actor=team_member, phase=phase)


def test_the_programme_limit_warns_exactly_when_exceeded(mandant, unit, team_member, reader, staff_client):
    services.project_limit_set(mandant=mandant, unit=None, maximum=2, actor=team_member)
    # Initiierung and Abschluss bind nobody yet or any more: they do not count.
    _running(mandant, unit, team_member, [Phase.INITIATION, Phase.CLOSED, Phase.CONCEPT, Phase.IMPLEMENTATION])
    client = staff_client(reader)
    page = client.get(reverse("cockpit:projects")).content.decode()
    assert "Zu viele Projekte laufen parallel" not in page
    assert [(s.unit, s.maximum, s.running, s.exceeded) for s in services.limits_check(mandant=mandant)] == [
        (None, 2, 2, False)
    ]

    _running(mandant, unit, team_member, [Phase.ROLLOUT])
    page = client.get(reverse("cockpit:projects")).content.decode()
    assert "Zu viele Projekte laufen parallel" in page
    assert "Gesamtes Programm: 3 laufende Projekte bei höchstens 2" in page


def test_a_units_limit_counts_the_units_below_it(mandant, unit, other_unit, team_member, staff_client):
    amt = OrganisationalUnit.objects.get(code="ordnungsamt")
    services.project_limit_set(mandant=mandant, unit=amt, maximum=1, actor=team_member)
    _running(mandant, other_unit, team_member, [Phase.CONCEPT, Phase.APPROVAL])  # another unit's
    _running(mandant, unit, team_member, [Phase.CONCEPT])
    assert not any(state.exceeded for state in services.limits_check(mandant=mandant))
    _running(mandant, unit, team_member, [Phase.APPROVAL])  # Sachgebiet Gewerbe lies under the Amt
    (state,) = services.limits_check(mandant=mandant)
    assert (state.unit, state.running, state.exceeded) == (amt, 2, True)
    page = staff_client(team_member).get(reverse("cockpit:projects")).content.decode()
    assert "Amt für öffentliche Ordnung: 2 laufende Projekte bei höchstens 1" in page


def test_the_team_sets_the_limits(mandant, unit, team_member, reader, staff_client):
    url = reverse("cockpit:project_limits")
    client = staff_client(team_member)
    response = client.post(url, {"programm": "5", f"einheit_{unit.pk}": "2"})
    assert response.status_code == 302
    assert [(s.unit, s.maximum) for s in services.limits_check(mandant=mandant)] == [(None, 5), (unit, 2)]
    assert AuditEntry.objects.filter(action="cockpit.limit.set").count() == 2

    client.post(url, {"programm": "", f"einheit_{unit.pk}": "2"})  # empty: no limit any more
    assert [(s.unit, s.maximum) for s in services.limits_check(mandant=mandant)] == [(unit, 2)]
    assert AuditEntry.objects.filter(action="cockpit.limit.set").count() == 3

    bad = client.post(url, {"programm": "-1", f"einheit_{unit.pk}": "viele"})
    assert bad.status_code == 400
    assert "Bitte geben Sie eine ganze Zahl von 0 bis 999 an" in bad.content.decode()

    assert staff_client(reader).get(url).status_code == 200
    assert staff_client(reader).post(url, {"programm": "1"}).status_code == 403


def test_a_status_other_than_green_needs_its_reason(project, lead, staff_client):
    client = staff_client(lead)
    response = post(client, project, "status", status="gelb", status_reason="")
    assert response.status_code == 400
    assert "Bitte begründen Sie, warum das Projekt nicht im Plan ist." in response.content.decode()
    assert post(client, project, "status", status="lila").status_code == 400
    project.refresh_from_db()
    assert project.status == "gruen"

    assert post(client, project, "status", status="rot", status_reason="Dienstleister insolvent").status_code == 302
    project.refresh_from_db()
    assert (project.status, project.status_reason) == ("rot", "Dienstleister insolvent")
    with pytest.raises(ValidationError):
        services.project_status_set(project=project, status="gelb", reason=" ", actor=lead)
    page = client.get(reverse("cockpit:projects"))
    assert page.status_code == 403  # the lead is no cockpit reader: their project only
    page = client.get(reverse("cockpit:project", args=[project.pk])).content.decode()
    assert "Status: kritisch" in page and "Dienstleister insolvent" in page


def test_the_list_shows_phase_status_unit_and_lead_in_words(project, lead, reader, staff_client):
    services.project_status_set(project=project, status="gelb", reason="Verzug bei der Schnittstelle", actor=lead)
    page = staff_client(reader).get(reverse("cockpit:projects")).content.decode()
    assert "P-1: E-Akte im Bauamt" in page
    assert "Initiierung" in page and "Status: gefährdet" in page and "Verzug bei der Schnittstelle" in page
    assert "Sachgebiet Gewerbe" in page and "Projektleitung" in page


def test_the_lead_keeps_goals_milestones_risks_and_effort(project, lead, staff_client):
    client = staff_client(lead)
    assert (
        post(
            client,
            project,
            "ziel",
            text="Bauanträge online",
            indicator="Anteil Online-Anträge",
            baseline="5",
            target="60,5",
            unit_label="%",
        ).status_code
        == 302
    )
    goal = Goal.objects.get()
    assert (goal.baseline, str(goal.target), goal.actual) == (5, "60.50", None)
    assert post(client, project, "ziel-istwert", goal=str(goal.pk), actual="22,5").status_code == 302
    goal.refresh_from_db()
    assert str(goal.actual) == "22.50"

    assert post(client, project, "meilenstein", title="Pilot", due="2027-03-31").status_code == 302
    milestone = Milestone.objects.get()
    assert (
        post(client, project, "meilenstein-erreicht", milestone=str(milestone.pk), done_on="2026-11-01").status_code
        == 302
    )
    milestone.refresh_from_db()
    assert str(milestone.done_on) == "2026-11-01"

    response = post(
        client, project, "risiko", dimension="personell", description="Nur eine Fachkraft", likelihood="3", impact="2"
    )
    assert response.status_code == 302
    assert Risk.objects.get().rating == 6

    response = post(
        client,
        project,
        "aufwand",
        budget_planned="120000",
        budget_used="15.000,50",
        days_planned="80",
        days_used="12,5",
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (str(project.budget_used), str(project.days_used)) == ("15000.50", "12.5")

    page = client.get(reverse("cockpit:project", args=[project.pk])).content.decode()
    assert "Anteil Online-Anträge" in page and "Pilot" in page and "Nur eine Fachkraft" in page
    assert "6 (hoch)" in page and "15.000,50" in page

    for action, item in (
        ("ziel-entfernen", goal),
        ("meilenstein-entfernen", milestone),
        ("risiko-entfernen", Risk.objects.get()),
    ):
        assert post(client, project, action, item=str(item.pk)).status_code == 302
    assert not Goal.objects.exists() and not Milestone.objects.exists() and not Risk.objects.exists()
    actions = set(AuditEntry.objects.filter(action__startswith="cockpit.project.").values_list("action", flat=True))
    assert {"cockpit.project.goal.create", "cockpit.project.goal.update", "cockpit.project.risk.delete"} <= actions
    assert "cockpit.project.effort" in actions and "cockpit.project.milestone.delete" in actions


def test_bad_input_on_the_project_page_is_refused_in_german(project, lead, staff_client):
    client = staff_client(lead)
    cases = [
        ("ziel", {"text": "x", "indicator": "y", "target": "viel"}, "Bitte geben Sie eine Zahl an"),
        ("ziel", {"text": "", "indicator": "y", "target": "1"}, "Bitte beschreiben Sie das Ziel."),
        ("risiko", {"dimension": "kosmisch", "description": "x", "likelihood": "7", "impact": "1"}, "von 1 bis 3"),
        ("meilenstein", {"title": "Pilot", "due": "31.02.2027"}, "Bitte geben Sie das Datum wie 31.12.2026 an."),
        ("meilenstein", {"title": "Pilot", "due": "2027-01-01", "done_on": "2999-01-01"}, "nicht in der Zukunft"),
        ("aufwand", {"budget_planned": "-5", "budget_used": "0", "days_planned": "0", "days_used": "0"}, "ab 0"),
        ("ziel-istwert", {"goal": "99999999999999999999", "actual": "1"}, "Es gibt ein Problem"),
        ("ziel-entfernen", {"item": "123456"}, "Diesen Eintrag gibt es nicht mehr."),
    ]
    for action, data, message in cases:
        response = post(client, project, action, **data)
        assert response.status_code == 400, action
        assert message in response.content.decode(), action
    assert client.post(reverse("cockpit:project", args=[project.pk]), {"action": "phase-setzen"}).status_code == 302
    assert client.get(reverse("cockpit:project", args=[99999999999999999999])).status_code == 404
    page = post(client, project, "status", status="gelb").content.decode()
    # Each message is tied to its input, prefixed like the form.
    assert 'aria-describedby="id_status-status_reason_helptext id_status-status_reason_error"' in page
    assert 'id="id_status-status_reason_error"' in page
    assert not Goal.objects.exists() and not Milestone.objects.exists() and not Risk.objects.exists()


def test_who_may_see_and_change_a_project(project, team_member, reader, colleague, sponsor, lead, staff_client):
    url = reverse("cockpit:project", args=[project.pk])
    assert staff_client(colleague).get(reverse("cockpit:projects")).status_code == 403
    assert staff_client(colleague).get(url).status_code == 404
    assert staff_client(reader).get(url).status_code == 200
    assert post(staff_client(reader), project, "ziel", text="x", indicator="y", target="1").status_code == 403
    assert post(staff_client(reader), project, "freigabe", phase="initiierung").status_code == 403
    # The sponsor has a role but does not keep the plan; only the team staffs the roles.
    assert post(staff_client(sponsor), project, "ziel", text="x", indicator="y", target="1").status_code == 403
    assert post(staff_client(lead), project, "rolle", user=str(colleague.pk), role="team").status_code == 403
    assert post(staff_client(team_member), project, "rolle", user=str(colleague.pk), role="team").status_code == 302
    assert ProjectMember.objects.filter(project=project, user=colleague, role="team").exists()
    # Now the colleague sees the project, and as Projektteam writes the Fachkonzept with the lead.
    assert staff_client(colleague).get(url).status_code == 200
    assert "E-Akte im Bauamt" in staff_client(colleague).get(reverse("cockpit:my_ideas")).content.decode()
    assert post(staff_client(colleague), project, "fachkonzept", concept="Entwurf").status_code == 302
    assert post(staff_client(colleague), project, "status", status="gruen").status_code == 403

    member = ProjectMember.objects.get(project=project, user=colleague)
    assert post(staff_client(team_member), project, "rolle-entfernen", item=str(member.pk)).status_code == 302
    assert staff_client(colleague).get(url).status_code == 404
    assert AuditEntry.objects.filter(action="cockpit.project.member.remove").count() == 1


def test_a_role_for_someone_outside_the_administration_is_refused(mandant, project, team_member, staff_client):
    from kreiswerk.tenancy.services import mandant_create, unit_create

    county = mandant_create(slug="nachbarkreis", name="Nachbarkreis", kind="landkreis", reference_prefix="NK")
    stranger = make_staff(
        "fremd", unit=unit_create(mandant=county, code="nk", name="NK", kind="amt"), role="sachbearbeitung"
    )
    response = post(staff_client(team_member), project, "rolle", user=str(stranger.pk), role="team")
    assert response.status_code == 400
    assert not ProjectMember.objects.filter(user=stranger).exists()
    with pytest.raises(ValidationError):
        services.project_member_add(project=project, user=stranger, role="team", actor=team_member)


def test_a_project_of_another_mandant_is_not_found(project, team_member, staff_client):
    from kreiswerk.tenancy.services import mandant_create, unit_create

    county = mandant_create(slug="nachbarkreis", name="Nachbarkreis", kind="landkreis", reference_prefix="NK")
    foreign = services.project_create(
        mandant=county, unit=unit_create(mandant=county, code="nk", name="NK", kind="amt"), title="Fremd", actor=None
    )
    assert staff_client(team_member).get(reverse("cockpit:project", args=[foreign.pk])).status_code == 404
    assert Project.objects.count() == 2
