"""Ideas: submitted through an internal assistant, followed by their author, rated and decided by the team."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import services
from kreiswerk.cockpit.models import Idea, IdeaRating, Project
from kreiswerk.handoff import services as handoff_services
from kreiswerk.handoff.models import Delivery, Destination
from kreiswerk.handoff.package import package_build
from kreiswerk.handoff.registry import channel_for
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.services import mandant_create, unit_create

pytestmark = pytest.mark.django_db


def idea_definition() -> dict:
    return {
        "format": "kreiswerk-assistant/1",
        "slug": "idee",
        "title": {"de": "Digitalisierungsidee"},
        "audience": "internal",
        "steps": [
            {
                "key": "idee",
                "title": "Ihre Idee",
                "elements": [
                    {"key": "titel", "type": "text", "label": "Titel", "required": True},
                    {"key": "beschreibung", "type": "textarea", "label": "Beschreibung", "required": True},
                    {"key": "nutzen", "type": "textarea", "label": "Nutzen"},
                ],
            }
        ],
    }


@pytest.fixture
def intake(publish_assistant):
    version = publish_assistant(idea_definition())
    handoff_services.destination_create(assistant=version.assistant, name="Ideenspeicher", kind="ideen")
    return version


def submit_idea(client, version, capture, *, title="Bauanträge digital") -> Submission:
    assistant = version.assistant
    step = client.post(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]))["Location"]
    check = client.post(
        step, {"titel": title, "beschreibung": "Pläne kommen als PDF statt auf Papier.", "nutzen": "weniger Porto"}
    )["Location"]
    draft = Draft.objects.get(pk=re.search(r"entwurf/([0-9a-f-]+)/", check).group(1))
    with capture(execute=True):
        response = client.post(check, {"submit_key": str(draft.submit_key)})
    assert response.status_code == 302
    draft.refresh_from_db()
    return Submission.objects.get(pk=draft.submitted_id)


@pytest.fixture
def idea(mandant, unit, colleague):
    return services.idea_create(
        mandant=mandant, title="Kfz-Abmeldung online", description="Ganz ohne Termin.", author=colleague, unit=unit
    )


def test_a_staff_members_idea_arrives_through_the_internal_assistant(
    intake, colleague, other_unit, staff_client, django_capture_on_commit_callbacks
):
    submission = submit_idea(staff_client(colleague), intake, django_capture_on_commit_callbacks)

    assert submission.staff_author == colleague
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.destination.kind == Destination.Kind.IDEAS
    assert delivery.status == Delivery.Status.DELIVERED
    idea = Idea.objects.get()
    assert (idea.title, idea.benefit, idea.author, idea.unit) == (
        "Bauanträge digital",
        "weniger Porto",
        colleague,
        other_unit,
    )
    assert idea.submission == submission and idea.number == 1
    assert delivery.events.filter(kind="delivered", detail="I-1").exists()


def test_a_repeated_delivery_makes_no_second_idea(intake, colleague, staff_client, django_capture_on_commit_callbacks):
    submission = submit_idea(staff_client(colleague), intake, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    outcome = channel_for("ideen").deliver(delivery=delivery, package=package_build(submission=submission))
    assert outcome.detail == "I-1"
    assert Idea.objects.count() == 1


def test_the_author_follows_their_ideas_and_sees_no_one_elses(
    intake, mandant, colleague, team_member, staff_client, django_capture_on_commit_callbacks
):
    client = staff_client(colleague)
    submit_idea(client, intake, django_capture_on_commit_callbacks)
    services.idea_create(mandant=mandant, title="Fremde Idee", description="…", author=team_member)

    page = client.get(reverse("cockpit:my_ideas")).content.decode()
    assert "Bauanträge digital" in page and "eingereicht, noch nicht bewertet" in page
    assert "Fremde Idee" not in page
    assert reverse("runner:start", args=["musterkreis", "idee"]) in page

    idea = Idea.objects.get(author=colleague)
    services.idea_decide(idea=idea, decision="zurueckstellen", reason="Erst nach der E-Akte.", actor=team_member)
    page = client.get(reverse("cockpit:my_ideas")).content.decode()
    assert "zurückstellen" in page and "Erst nach der E-Akte." in page


def test_my_ideas_says_so_when_there_is_no_idea_assistant(colleague, staff_client):
    page = staff_client(colleague).get(reverse("cockpit:my_ideas")).content.decode()
    assert "noch kein Assistent für Ideen eingerichtet" in page


def test_the_backlog_is_for_the_team_and_readers_only(idea, team_member, reader, colleague, staff_client):
    assert staff_client(colleague).get(reverse("cockpit:ideas")).status_code == 403
    assert staff_client(colleague).get(reverse("cockpit:idea", args=[idea.pk])).status_code == 403
    page = staff_client(reader).get(reverse("cockpit:ideas")).content.decode()
    assert "Kfz-Abmeldung online" in page
    assert "Idee bewerten" not in staff_client(reader).get(reverse("cockpit:idea", args=[idea.pk])).content.decode()


def test_the_backlog_filters_open_and_decided_ideas(mandant, idea, team_member, staff_client):
    other = services.idea_create(mandant=mandant, title="Wohngeld digital", description="…")
    services.idea_decide(idea=other, decision="ablehnen", reason="Landeslösung kommt.", actor=team_member)
    client = staff_client(team_member)
    open_page = client.get(reverse("cockpit:ideas")).content.decode()
    assert "Kfz-Abmeldung online" in open_page and "Wohngeld digital" not in open_page
    decided = client.get(reverse("cockpit:ideas"), {"status": "entschieden"}).content.decode()
    assert "Kfz-Abmeldung online" not in decided and "Wohngeld digital" in decided
    everything = client.get(reverse("cockpit:ideas"), {"status": "<script>"}).content.decode()
    assert "Kfz-Abmeldung online" in everything  # an unknown filter shows the open ideas


def test_the_team_rates_an_idea(mandant, idea, team_member, staff_client):
    services.scoring_criteria_ensure(mandant=mandant)
    url = reverse("cockpit:idea", args=[idea.pk])
    response = staff_client(team_member).post(
        url,
        {"action": "bewerten", "bewertung-kriterium_zeitersparnis": "5", "bewertung-kriterium_aufwand": "5"},
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.score == Decimal("55.6")  # (1·25 + 0·20) / 45
    assert IdeaRating.objects.filter(idea=idea).count() == 2
    assert AuditEntry.objects.filter(action="cockpit.idea.rate").exists()


def test_a_rating_out_of_range_is_refused_in_german(idea, team_member, staff_client):
    response = staff_client(team_member).post(
        reverse("cockpit:idea", args=[idea.pk]), {"action": "bewerten", "bewertung-kriterium_aufwand": "7"}
    )
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Wert von 0 bis 5." in response.content.decode()
    assert not IdeaRating.objects.exists()


def test_readers_cannot_rate_or_decide(idea, reader, staff_client):
    client = staff_client(reader)
    url = reverse("cockpit:idea", args=[idea.pk])
    assert client.post(url, {"action": "bewerten", "bewertung-kriterium_aufwand": "1"}).status_code == 403
    assert client.post(url, {"action": "entscheiden", "entscheidung-decision": "umsetzen"}).status_code == 403
    idea.refresh_from_db()
    assert idea.decision == "" and not IdeaRating.objects.exists()


def test_a_decision_needs_its_reason(idea, team_member, staff_client):
    url = reverse("cockpit:idea", args=[idea.pk])
    client = staff_client(team_member)
    response = client.post(url, {"action": "entscheiden", "entscheidung-decision": "umsetzen"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bitte begründen Sie die Entscheidung." in page and "Es gibt ein Problem" in page
    response = client.post(
        url, {"action": "entscheiden", "entscheidung-decision": "irgendwas", "entscheidung-reason": "x"}
    )
    assert "Bitte wählen Sie eine Entscheidung." in response.content.decode()
    idea.refresh_from_db()
    assert idea.decision == ""

    response = client.post(
        url, {"action": "entscheiden", "entscheidung-decision": "umsetzen", "entscheidung-reason": "Hohe Nachfrage."}
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert (idea.decision, idea.decision_reason, idea.decided_by) == ("umsetzen", "Hohe Nachfrage.", team_member)
    with pytest.raises(Exception, match="Bitte begründen"):
        services.idea_decide(idea=idea, decision="ablehnen", reason="  ", actor=team_member)


def test_a_decided_idea_becomes_a_project(idea, unit, team_member, staff_client):
    services.idea_decide(idea=idea, decision="umsetzen", reason="Hohe Nachfrage.", actor=team_member)
    client = staff_client(team_member)
    url = reverse("cockpit:idea", args=[idea.pk])
    assert "Projekt anlegen" in client.get(url).content.decode()
    response = client.post(url, {"action": "projekt", "projekt-title": "Kfz online", "projekt-unit": str(unit.pk)})
    project = Project.objects.get()
    assert response["Location"] == reverse("cockpit:project", args=[project.pk])
    assert (project.idea, project.title, project.unit, project.phase) == (idea, "Kfz online", unit, "initiierung")

    again = client.post(url, {"action": "projekt", "projekt-title": "Noch eins", "projekt-unit": str(unit.pk)})
    assert again.status_code == 400 and Project.objects.count() == 1
    # Its decision no longer changes under the project.
    changed = client.post(
        url, {"action": "entscheiden", "entscheidung-decision": "ablehnen", "entscheidung-reason": "doch nicht"}
    )
    assert changed.status_code == 400
    assert "schon ein Projekt" in changed.content.decode()
    page = client.get(reverse("cockpit:my_ideas"))
    assert page.status_code == 200


def test_only_an_idea_decided_for_implementation_becomes_a_project(idea, unit, team_member, staff_client):
    services.idea_decide(idea=idea, decision="zurueckstellen", reason="Später.", actor=team_member)
    response = staff_client(team_member).post(
        reverse("cockpit:idea", args=[idea.pk]),
        {"action": "projekt", "projekt-title": "Kfz online", "projekt-unit": str(unit.pk)},
    )
    assert response.status_code == 400
    assert "Nur eine zur Umsetzung entschiedene Idee wird ein Projekt." in response.content.decode()
    assert not Project.objects.exists()


def test_the_author_sees_the_project_and_its_phase(idea, unit, colleague, team_member, staff_client):
    services.idea_decide(idea=idea, decision="umsetzen", reason="Gut.", actor=team_member)
    services.project_create(mandant=idea.mandant, unit=unit, title="Kfz online", idea=idea, actor=team_member)
    page = staff_client(colleague).get(reverse("cockpit:my_ideas")).content.decode()
    assert "Projekt P-1 in der Phase „Initiierung“" in page


def test_the_team_links_a_service_and_sees_the_derived_demand(mandant, unit, idea, team_member, staff_client):
    from kreiswerk.cockpit.models import Service

    service = Service.objects.create(mandant=mandant, unit=unit, name="Kfz-Abmeldung", yearly_volume=2500)
    client = staff_client(team_member)
    url = reverse("cockpit:idea", args=[idea.pk])
    assert client.post(url, {"action": "leistung", "leistung-service": str(service.pk)}).status_code == 302
    idea.refresh_from_db()
    assert idea.service == service and idea.score == Decimal("80.0")
    page = client.get(url).content.decode()
    assert "Aus der Fallzahl der Leistung: 4." in page and "(aus der Fallzahl)" in page


def test_bad_input_on_the_idea_page_is_no_server_error(mandant, idea, team_member, staff_client):
    client = staff_client(team_member)
    url = reverse("cockpit:idea", args=[idea.pk])
    assert client.post(url, {"action": "unbekannt"}).status_code == 302
    assert client.post(url, {"action": "leistung", "leistung-service": "abc"}).status_code == 400
    assert client.post(url, {"action": "projekt", "projekt-unit": "99999999999999999999"}).status_code == 400
    county = mandant_create(slug="nachbarkreis", name="Nachbarkreis", kind="landkreis", reference_prefix="NK")
    foreign = services.idea_create(mandant=county, title="Fremd", description="…")
    assert client.get(reverse("cockpit:idea", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("cockpit:idea", args=[99999999999999999999])).status_code == 404
    foreign_unit = unit_create(mandant=county, code="nk", name="NK", kind="amt")
    services.idea_decide(idea=idea, decision="umsetzen", reason="Gut.", actor=team_member)
    response = client.post(url, {"action": "projekt", "projekt-title": "X", "projekt-unit": str(foreign_unit.pk)})
    assert response.status_code == 400 and not Project.objects.exists()
