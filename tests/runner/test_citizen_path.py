"""A citizen finds a service, fills it in step by step, checks the answers and submits."""

import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kreiswerk.assistants.services import assistant_import, assistant_retire, version_publish
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Submission
from tests.conftest import simple_definition

pytestmark = pytest.mark.django_db


def licence_definition() -> dict:
    """Two steps, a conditional step, a conditional field, a repeat and a fee."""
    return {
        "format": "kreiswerk-assistant/1",
        "slug": "fischereischein",
        "title": {"de": "Fischereischein", "en": "Fishing licence"},
        "keywords": ["Angeln"],
        "confirmation_email_field": "email",
        "start": {
            "what_you_need": ["Prüfungszeugnis"],
            "duration": "5 Minuten",
            "fee": "ab 10 Euro",
        },
        "computed": [
            {
                "key": "gebuehr",
                "label": "Gebühr",
                "rule": {"+": [10, {"*": [5, {"var": "jahre"}]}]},
            }
        ],
        "fee": "gebuehr",
        "steps": [
            {
                "key": "person",
                "title": {"de": "Ihre Angaben", "en": "About you"},
                "elements": [
                    {
                        "key": "name",
                        "type": "text",
                        "label": {"de": "Name", "en": "Name"},
                        "required": True,
                    },
                    {"key": "email", "type": "email", "label": "E-Mail-Adresse", "required": True},
                    {
                        "key": "jahre",
                        "type": "integer",
                        "label": "Gültigkeit in Jahren",
                        "required": True,
                        "validation": {"min": 1, "max": 5},
                    },
                    {
                        "key": "jugend",
                        "type": "yesno",
                        "label": "Sind Sie unter 18?",
                        "required": True,
                    },
                    {
                        "key": "schule",
                        "type": "text",
                        "label": "Schule",
                        "visible_if": {"var": "jugend"},
                        "required": True,
                    },
                ],
            },
            {
                "key": "eltern",
                "title": "Erziehungsberechtigte",
                "visible_if": {"var": "jugend"},
                "elements": [
                    {
                        "key": "eltern",
                        "type": "repeat",
                        "label": "Erziehungsberechtigte",
                        "min_items": 1,
                        "max_items": 2,
                        "item_label": "Person",
                        "elements": [
                            {
                                "key": "eltern_name",
                                "type": "text",
                                "label": "Name",
                                "required": True,
                            }
                        ],
                    },
                ],
            },
            {
                "key": "abschluss",
                "title": "Erklärung",
                "elements": [
                    {
                        "key": "zustimmung",
                        "type": "declaration",
                        "label": "Meine Angaben sind richtig.",
                        "required": True,
                    },
                ],
            },
        ],
    }


def start(client: Client, version) -> str:
    assistant = version.assistant
    response = client.post(reverse("runner:start", args=[assistant.mandant.slug, assistant.slug]))
    assert response.status_code == 302
    return response["Location"]


def draft_of(url: str) -> Draft:
    return Draft.objects.get(pk=re.search(r"entwurf/([0-9a-f-]+)/", url).group(1))


def fill_and_submit(client, version, *, jugend="nein"):
    url = start(client, version)
    response = client.post(
        url,
        {
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "jahre": "2",
            "jugend": jugend,
            "schule": "",
        },
    )
    if jugend == "ja":
        return response
    response = client.post(response["Location"], {"zustimmung": "ja"})
    check_url = response["Location"]
    assert check_url.endswith("/pruefen/")
    draft = draft_of(check_url)
    return client.post(check_url, {"submit_key": str(draft.submit_key)})


def test_it_lists_open_public_services_and_finds_them_by_keyword(publish_assistant, client):
    publish_assistant(licence_definition())
    internal = simple_definition(slug="intern", title="Dienstreiseantrag", audience="internal")
    publish_assistant(internal)
    page = client.get(reverse("runner:index")).content.decode()
    assert "Fischereischein" in page
    assert "Dienstreiseantrag" not in page
    assert "Fischereischein" in client.get(reverse("runner:index"), {"q": "angeln"}).content.decode()
    assert "Fischereischein" not in client.get(reverse("runner:index"), {"q": "hund"}).content.decode()


def test_it_shows_the_start_page_and_starts_only_by_post(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = reverse("runner:start", args=["musterkreis", "fischereischein"])
    page = client.get(url).content.decode()
    assert "Prüfungszeugnis" in page and "5 Minuten" in page and "ab 10 Euro" in page
    assert Draft.objects.count() == 0
    assert start(client, version).endswith("/schritt/person/")
    assert Draft.objects.count() == 1


def test_it_completes_an_application_and_shows_the_reference(
    publish_assistant, client, django_capture_on_commit_callbacks
):
    version = publish_assistant(licence_definition())
    with django_capture_on_commit_callbacks(execute=True):
        response = fill_and_submit(client, version)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.version == version
    assert submission.answers["name"] == "Erika Mustermann"
    assert submission.computed["gebuehr"] == "20.00"
    assert re.fullmatch(r"MK-\d{4}-000001", submission.reference)
    receipt = client.get(response["Location"]).content.decode()
    assert submission.reference in receipt
    pdf = client.get(reverse("runner:receipt_pdf", args=[submission.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert mail.outbox and submission.reference in mail.outbox[0].body


def test_it_links_every_error_in_the_summary_and_keeps_what_was_typed(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    response = client.post(url, {"name": "Erika", "email": "keine-adresse", "jahre": "9", "jugend": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Fehler:" in page
    assert 'href="#feld-email"' in page and "name@beispiel.de" in page
    assert 'href="#feld-jahre"' in page and "höchstens 5" in page
    assert 'href="#feld-jugend-0"' in page
    assert 'value="keine-adresse"' in page and 'value="Erika"' in page


def test_it_skips_a_conditional_step_and_asks_for_it_when_the_condition_holds(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    after_no = client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "nein"})
    assert after_no["Location"].endswith("/schritt/abschluss/")
    response = client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "ja"})
    assert "Schule" in response.content.decode()  # required once visible
    response = client.post(
        url,
        {
            "name": "A",
            "email": "a@example.org",
            "jahre": "1",
            "jugend": "ja",
            "schule": "Gymnasium",
        },
    )
    assert response["Location"].endswith("/schritt/eltern/")


def test_it_adds_and_removes_repeat_items_without_javascript(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    eltern_url = client.post(
        url,
        {
            "name": "A",
            "email": "a@example.org",
            "jahre": "1",
            "jugend": "ja",
            "schule": "Gymnasium",
        },
    )["Location"]
    page = client.get(eltern_url).content.decode()
    assert 'name="eltern__0__eltern_name"' in page
    client.post(
        eltern_url,
        {"eltern__rows": "1", "eltern__0__eltern_name": "Mutter", "_action": "add:eltern"},
    )
    page = client.get(eltern_url).content.decode()
    assert 'name="eltern__1__eltern_name"' in page and 'value="Mutter"' in page
    response = client.post(
        eltern_url,
        {"eltern__rows": "2", "eltern__0__eltern_name": "Mutter", "eltern__1__eltern_name": ""},
    )
    assert 'href="#feld-eltern__1__eltern_name"' in response.content.decode()
    client.post(
        eltern_url,
        {
            "eltern__rows": "2",
            "eltern__0__eltern_name": "Mutter",
            "eltern__1__eltern_name": "",
            "_action": "remove:eltern:1",
        },
    )
    response = client.post(eltern_url, {"eltern__rows": "1", "eltern__0__eltern_name": "Mutter"})
    assert response["Location"].endswith("/schritt/abschluss/")
    assert draft_of(eltern_url).answers["eltern"] == [{"eltern_name": "Mutter"}]


def test_it_shows_the_check_page_with_change_links_and_the_fee(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    client.post(url, {"name": "Erika", "email": "e@example.org", "jahre": "3", "jugend": "nein"})
    check_url = client.post(url.replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    page = client.get(check_url).content.decode()
    assert "Erika" in page and "25,00 €" in page
    assert "/schritt/person/?zurueck=pruefen#feld-name" in page
    changed = client.post(
        url + "?zurueck=pruefen",
        {"name": "Erik", "email": "e@example.org", "jahre": "3", "jugend": "nein"},
    )
    assert changed["Location"] == check_url


def test_a_double_submit_gives_one_submission(publish_assistant, client):
    version = publish_assistant(licence_definition())
    fill_and_submit(client, version)
    draft = Draft.objects.get()
    again = client.post(reverse("runner:check", args=[draft.pk]), {"submit_key": str(draft.submit_key)})
    assert again.status_code == 302
    assert Submission.objects.count() == 1
    assert again["Location"] == reverse("runner:receipt", args=[Submission.objects.get().pk])


def test_a_submit_with_a_foreign_key_is_refused(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "nein"})
    check_url = client.post(url.replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    response = client.post(check_url, {"submit_key": str(uuid.uuid4())})
    assert response.status_code == 422
    assert "veraltet" in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_draft_belongs_to_the_browser_session_that_started_it(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    assert Client().get(url).status_code == 404


def test_a_new_version_does_not_break_a_draft_in_progress(publish_assistant, client, mandant, unit):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    changed = licence_definition()
    changed["steps"][0]["elements"].append({"key": "neu", "type": "text", "label": "Neu", "required": True})
    newer = assistant_import(data=changed, mandant=mandant, unit=unit, publish=True)
    client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "nein"})
    check_url = client.post(url.replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    client.post(check_url, {"submit_key": str(draft_of(check_url).submit_key)})
    assert Submission.objects.get().version == version
    version.refresh_from_db()
    assert version.state == "superseded" and newer.state == "published"


def test_a_retired_assistant_takes_no_more_applications(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "nein"})
    check_url = client.post(url.replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    assistant_retire(assistant=version.assistant)
    response = client.post(check_url, {"submit_key": str(draft_of(check_url).submit_key)})
    assert response.status_code == 422
    assert Submission.objects.count() == 0
    start_page = client.get(reverse("runner:start", args=["musterkreis", "fischereischein"]))
    assert start_page.status_code == 404 and "nicht verfügbar" in start_page.content.decode()


def test_the_server_revalidates_everything_at_submit(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    client.post(url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "nein"})
    check_url = client.post(url.replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    draft = draft_of(check_url)
    draft.answers = {**draft.answers, "jahre": 99}  # as if tampered with or written by an old bug
    draft.save()
    response = client.post(check_url, {"submit_key": str(draft.submit_key)})
    assert response.status_code == 422 and "höchstens 5" in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_saved_draft_is_resumed_through_the_emailed_link(
    publish_assistant, client, django_capture_on_commit_callbacks
):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    response = client.post(url, {"name": "Erika", "email": "", "jahre": "2", "jugend": "nein", "_action": "speichern"})
    assert response["Location"].endswith("/speichern/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"email": "erika@example.org"})
    link = re.search(r"http://\S+/fortsetzen/\S+/", mail.outbox[-1].body).group(0)
    assert "Erika" not in mail.outbox[-1].body
    other = Client()
    path = link.split("8000", 1)[1]
    assert "Antrag fortsetzen" in other.get(path).content.decode()  # GET changes nothing
    resumed = other.post(path)
    assert resumed["Location"].endswith("/schritt/person/")
    assert 'value="Erika"' in other.get(resumed["Location"]).content.decode()


def test_resume_links_are_limited_per_draft_and_per_address(
    publish_assistant, client, settings, limit_clock, django_capture_on_commit_callbacks
):
    settings.KREISWERK_RESUME_LINKS_PER_DRAFT = 2
    settings.KREISWERK_RESUME_LINKS_PER_ADDRESS = 3
    version = publish_assistant(licence_definition())

    def save_url(browser: Client) -> str:
        return reverse("runner:save", args=[draft_of(start(browser, version)).pk])

    first = save_url(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(first, {"email": "erika@example.org"}).status_code == 200
        assert client.post(first, {"email": "erika.m@example.org"}).status_code == 200
        refused = client.post(first, {"email": "opfer@example.org"})
        assert refused.status_code == 429
        assert "zu viele Links" in refused.content.decode() and 'href="#feld-email"' in refused.content.decode()
        assert "in 60 Minuten noch einmal" in refused.content.decode() and refused["Retry-After"] == "3600"
        other = Client()  # a new draft from the same address: the address has one link left
        second = save_url(other)
        assert other.post(second, {"email": "b@example.org"}).status_code == 200
        assert other.post(second, {"email": "opfer@example.org"}).status_code == 429
        elsewhere = Client(REMOTE_ADDR="198.51.100.7")
        assert elsewhere.post(save_url(elsewhere), {"email": "c@example.org"}).status_code == 200
    # Four links sent; each goes to the address its draft holds when the job runs.
    assert len(mail.outbox) == 4
    assert {message.to[0] for message in mail.outbox} == {"b@example.org", "c@example.org", "erika.m@example.org"}
    assert draft_of(first).resume_email == "erika.m@example.org"  # the refused address was not kept
    limit_clock.now += 3600
    assert client.post(first, {"email": "erika@example.org"}).status_code == 200


def test_one_recipient_gets_few_links_whoever_asks(publish_assistant, settings, limit_clock):
    settings.KREISWERK_RESUME_LINKS_PER_RECIPIENT = 2
    version = publish_assistant(licence_definition())
    answers = []
    for number in range(3):  # three hosts, three drafts, one victim
        browser = Client(REMOTE_ADDR=f"198.51.100.{number + 1}")
        url = reverse("runner:save", args=[draft_of(start(browser, version)).pk])
        answers.append(browser.post(url, {"email": "Opfer@Example.org" if number else "opfer@example.org"}))
    assert [answer.status_code for answer in answers] == [200, 200, 429]


def test_a_client_without_a_known_address_is_limited_by_draft_and_recipient(publish_assistant, settings, limit_clock):
    settings.KREISWERK_RESUME_LINKS_PER_ADDRESS = 1
    version = publish_assistant(licence_definition())
    for number in range(2):  # as behind a proxy on a unix socket: no address; nobody shares a bucket
        browser = Client(REMOTE_ADDR="")
        url = reverse("runner:save", args=[draft_of(start(browser, version)).pk])
        assert browser.post(url, {"email": f"person{number}@example.org"}).status_code == 200


def test_an_internal_assistant_needs_a_staff_login(publish_assistant, client, caseworker, staff_client):
    publish_assistant(simple_definition(slug="dienstreise", audience="internal"))
    url = reverse("runner:start", args=["musterkreis", "dienstreise"])
    assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    assert staff_client(caseworker).get(url).status_code == 200


def test_the_language_can_be_switched_to_english(publish_assistant, client):
    publish_assistant(licence_definition())
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("runner:start", args=["musterkreis", "fischereischein"])).content.decode()
    assert "Fishing licence" in page and 'lang="en"' in page


def test_a_form_builder_previews_a_draft_version_in_test_mode(mandant, unit, form_admin, staff_client):
    version = assistant_import(data=licence_definition(), mandant=mandant, unit=unit)
    client = staff_client(form_admin)
    page = client.get(reverse("runner:preview", args=[version.pk])).content.decode()
    assert "Testmodus" in page
    response = client.post(reverse("runner:preview", args=[version.pk]))
    client.post(
        response["Location"],
        {"name": "T", "email": "t@example.org", "jahre": "1", "jugend": "nein"},
    )
    check_url = client.post(response["Location"].replace("person", "abschluss"), {"zustimmung": "ja"})["Location"]
    client.post(check_url, {"submit_key": str(draft_of(check_url).submit_key)})
    assert Submission.objects.get().is_test
    version_publish(version=version)


def test_a_repeat_action_with_an_odd_index_is_ignored_not_a_server_error(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    eltern_url = client.post(
        url, {"name": "A", "email": "a@example.org", "jahre": "1", "jugend": "ja", "schule": "Gymnasium"}
    )["Location"]
    for action in ["remove:eltern:²", "remove:eltern:-1", "remove:eltern:99999999999999999999", "add:unbekannt"]:
        response = client.post(eltern_url, {"eltern__rows": "1", "eltern__0__eltern_name": "M", "_action": action})
        assert response.status_code == 302, action
