"""A logged-in citizen's form: prefilled from BundID, locked where the ID card vouches for it."""

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html

from kreiswerk.assistants.definition import DefinitionError, parse
from kreiswerk.identity.models import TrustLevel
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Submission
from tests.conftest import simple_definition

from .conftest import login

pytestmark = pytest.mark.django_db


def identity_definition(**identity) -> dict:
    definition = simple_definition(slug="meldung")
    definition["identity"] = identity or {"level": "substantiell"}
    definition["steps"] = [
        {
            "key": "person",
            "title": "Angaben zur Person",
            "elements": [
                {"key": "vorname", "type": "text", "label": "Vorname", "required": True, "prefill": "given_name"},
                {"key": "name", "type": "text", "label": "Familienname", "required": True, "prefill": "family_name"},
                {"key": "geboren", "type": "date", "label": "Geburtsdatum", "required": True, "prefill": "birth_date"},
                {"key": "email", "type": "email", "label": "E-Mail-Adresse", "required": True, "prefill": "email"},
                {"key": "anschrift", "type": "address", "label": "Anschrift", "required": True, "prefill": "address"},
            ],
        }
    ]
    return definition


def start(client, version):
    assistant = version.assistant
    return client.post(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]))


def fields_of(page: str) -> dict:
    tree = html.fromstring(page)
    return {
        element.get("name"): (element.get("value"), element.get("readonly") is not None)
        for element in tree.xpath("//form//input[@name]")
    }


POSTED = {
    "vorname": "Mallory",
    "name": "Fälscher",
    "geboren__day": "1",
    "geboren__month": "1",
    "geboren__year": "2000",
    "email": "neu@example.org",
    "anschrift__street": "Andere Straße",
    "anschrift__house_number": "9",
    "anschrift__postal_code": "10115",
    "anschrift__city": "Berlin",
}


def test_an_id_card_login_prefills_and_locks_what_the_card_vouches_for(publish_assistant, client):
    version = publish_assistant(identity_definition())
    login(client, level=TrustLevel.SUBSTANTIAL)
    step_url = start(client, version)["Location"]
    values = fields_of(client.get(step_url).content.decode())
    assert values["vorname"] == ("Erika", True)
    assert values["name"] == ("Mustermann", True)
    assert values["geboren__year"] == ("1964", True)
    assert values["anschrift__street"] == ("Heidestraße", True)
    assert values["anschrift__house_number"] == ("17", True)
    # The e-mail address belongs to the account, not to the card: prefilled but editable.
    assert values["email"] == ("erika.mustermann@example.org", False)

    # Whatever the browser sends for locked fields, the card's values stay.
    response = client.post(step_url, POSTED)
    assert response.status_code == 302
    draft = Draft.objects.get()
    assert draft.answers["vorname"] == "Erika"
    assert draft.answers["geboren"] == "1964-08-12"
    assert draft.answers["anschrift"]["city"] == "Köln"
    assert draft.answers["email"] == "neu@example.org"

    check = client.get(response["Location"])
    submitted = client.post(response["Location"], {"submit_key": str(draft.submit_key)})
    assert check.status_code == 200 and submitted.status_code == 302
    submission = Submission.objects.get()
    assert submission.answers["name"] == "Mustermann"
    assert submission.identity_level == TrustLevel.SUBSTANTIAL
    assert submission.citizen is not None


def test_emptied_locked_fields_are_not_an_error(publish_assistant, client):
    version = publish_assistant(identity_definition())
    login(client, level=TrustLevel.HIGH)
    step_url = start(client, version)["Location"]
    response = client.post(step_url, {"email": "erika@example.org", "geboren__day": "x"})
    assert response.status_code == 302
    assert Draft.objects.get().answers["vorname"] == "Erika"


def test_a_basic_login_prefills_but_the_citizen_may_correct(publish_assistant, client):
    version = publish_assistant(identity_definition(level="basisregistrierung"))
    login(client, level=TrustLevel.BASIC, who="max", asked="basisregistrierung")
    step_url = start(client, version)["Location"]
    values = fields_of(client.get(step_url).content.decode())
    assert values["vorname"] == ("Max", False)
    assert values["anschrift__house_number"] == ("1a", False)
    client.post(step_url, POSTED)
    draft = Draft.objects.get()
    assert draft.answers["vorname"] == "Mallory"
    assert draft.locked == {}


def test_without_login_nothing_is_prefilled(publish_assistant, client):
    version = publish_assistant(identity_definition())
    page = client.get(reverse("runner:start", args=["musterkreis", "meldung"])).content.decode()
    assert "Mit BundID anmelden" in page and "Antrag starten" in page
    step_url = start(client, version)["Location"]
    values = fields_of(client.get(step_url).content.decode())
    assert values["vorname"] == ("", False)


def test_an_assistant_that_requires_login_cannot_be_started_or_submitted_without(publish_assistant, client):
    publish_assistant(identity_definition(level="hoch", required=True))
    url = reverse("runner:start", args=["musterkreis", "meldung"])
    page = client.get(url).content.decode()
    assert "Antrag starten" not in page and "mindestens mit dem Vertrauensniveau „hoch“" in page
    refused = client.post(url)
    assert refused.status_code == 403
    assert "zuerst mit der BundID an" in refused.content.decode()
    assert not Draft.objects.exists()

    # A login at a lower level is not enough either.
    anyone = Client()
    login(anyone, level=TrustLevel.SUBSTANTIAL)
    assert anyone.post(url).status_code == 403
    assert "mindestens „hoch“ nötig" in anyone.get(url).content.decode()

    high = Client()
    login(high, level=TrustLevel.HIGH, asked="hoch")
    assert high.post(url).status_code == 302


def test_the_submit_itself_checks_the_level(publish_assistant):
    from kreiswerk.runner.services import draft_start
    from kreiswerk.submissions.services import SubmitRefused, submission_submit

    version = publish_assistant(identity_definition(level="hoch", required=True))
    draft = draft_start(version=version, language="de")
    draft.answers = {
        "vorname": "A",
        "name": "B",
        "geboren": "1990-01-01",
        "email": "a@example.org",
        "anschrift": {"street": "Weg", "house_number": "1", "postal_code": "73430", "city": "Aalen"},
    }
    draft.completed_steps = ["person"]
    draft.save()
    with pytest.raises(SubmitRefused) as refused:
        submission_submit(draft=draft, submit_key=str(draft.submit_key))
    assert "BundID" in refused.value.message


@pytest.mark.parametrize(
    "element, problem",
    [
        ({"key": "x", "type": "text", "label": "X", "prefill": "address"}, "passt nicht zum Feldtyp"),
        ({"key": "x", "type": "text", "label": "X", "prefill": "birth_date"}, "passt nicht zum Feldtyp"),
        ({"key": "x", "type": "address", "label": "X", "prefill": "given_name"}, "passt nicht zum Feldtyp"),
        (
            {
                "key": "x",
                "type": "repeat",
                "label": "X",
                "elements": [{"key": "y", "type": "text", "label": "Y", "prefill": "given_name"}],
            },
            "Wiederholgruppen",
        ),
    ],
)
def test_a_definition_with_an_impossible_prefill_is_refused(element, problem):
    definition = simple_definition()
    definition["steps"][0]["elements"].append(element)
    with pytest.raises(DefinitionError) as error:
        parse(definition)
    assert any(problem in item for item in error.value.problems)


def test_an_unknown_level_is_refused_in_the_definition():
    with pytest.raises(DefinitionError):
        parse(simple_definition(identity={"level": "mittel"}))


def test_a_draft_begun_after_login_continues_only_under_that_login(publish_assistant, client):
    version = publish_assistant(identity_definition())
    login(client, level=TrustLevel.SUBSTANTIAL)
    step_url = start(client, version)["Location"]
    draft = Draft.objects.get()

    # Logging out at a shared computer: this browser forgets the draft.
    client.post("/anmeldung/abmelden/")
    assert client.get(step_url).status_code == 404

    # A resume link opened without the login asks for it, and shows nothing of the draft.
    from kreiswerk.runner.services import draft_resume_token_create

    token = draft_resume_token_create(draft=draft)
    stranger = Client()
    page = stranger.get(f"/fortsetzen/{token}/")
    assert page.status_code == 403
    assert "derselben Person" in page.content.decode() and "Mustermann" not in page.content.decode()
    assert stranger.post(f"/fortsetzen/{token}/").status_code == 403

    # Another person's login does not open it either; the same person's does.
    login(stranger, who="max", level=TrustLevel.HIGH)
    assert stranger.get(f"/fortsetzen/{token}/").status_code == 403
    owner = Client()
    login(owner, level=TrustLevel.SUBSTANTIAL)
    resumed = owner.post(f"/fortsetzen/{token}/")
    assert resumed.status_code == 302
    assert owner.get(resumed["Location"]).status_code == 200


def test_another_person_logging_in_at_the_same_browser_does_not_get_the_draft(publish_assistant, client):
    version = publish_assistant(identity_definition())
    login(client, level=TrustLevel.SUBSTANTIAL)
    step_url = start(client, version)["Location"]
    login(client, who="max", level=TrustLevel.HIGH)
    assert client.get(step_url).status_code == 404


def test_the_session_warning_cannot_change_locked_values(publish_assistant, client):
    version = publish_assistant(identity_definition())
    login(client, level=TrustLevel.SUBSTANTIAL)
    step_url = start(client, version)["Location"]
    draft = Draft.objects.get()
    response = client.post(f"/entwurf/{draft.pk}/aktiv/", {**POSTED, "_step": "person"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.answers["vorname"] == "Erika" and draft.answers["anschrift"]["city"] == "Köln"
    assert draft.answers["email"] == "neu@example.org"
    assert 'value="Erika"' in client.get(step_url).content.decode()
