"""The case page: what a caseworker sees and does, by plain HTML forms."""

import pytest
from django.urls import reverse

from kreiswerk.cases.models import Document

pytestmark = pytest.mark.django_db


def _action(client, case, action, **data):
    return client.post(reverse("cases:action", kwargs={"case_id": case.pk, "action": action}), data, follow=True)


def test_a_caseworker_works_a_case_through_the_page(open_case, caseworker, staff_client):
    case = open_case()
    client = staff_client(caseworker)
    page = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    for text in (case.reference, "Erika Mustermann", "Eingangsbestätigung", "Bearbeitungsfrist", "Verlauf"):
        assert text in page

    assert "Sie bearbeiten diesen Vorgang jetzt." in _action(client, case, "uebernehmen").content.decode()
    assert "Der Status ist geändert." in _action(client, case, "status", status="in_pruefung").content.decode()
    refused = _action(client, case, "status", status="entscheidung").content.decode()
    assert "Bitte erledigen Sie zuerst alle Prüfschritte" in refused
    _action(client, case, "pruefschritt", item="angaben")
    _action(client, case, "status", status="entscheidung")
    _action(client, case, "notiz", text="Alles geprüft.")
    done = _action(client, case, "abschliessen", result="bewilligt").content.decode()
    assert "Der Vorgang ist abgeschlossen." in done
    assert "Alles geprüft." in done
    assert "Vorgang abgeschlossen: bewilligt" in done  # the timeline in plain German

    case.refresh_from_db()
    assert not case.is_open and case.result == "bewilligt"


def test_bad_action_input_gets_a_german_message_not_an_error(open_case, caseworker, staff_client):
    case = open_case()
    client = staff_client(caseworker)
    for action, data in (
        ("status", {}),
        ("zuweisen", {"assignee": "999999"}),
        ("wiedervorlage", {"due_on": "morgen"}),
        ("wiedervorlage-erledigt", {"reminder": "x"}),
        ("frist-verlaengern", {"kind": "bearbeitung", "duration": "P99Y", "reason": "x"}),
        ("abschliessen", {"result": "gibtsnicht"}),
    ):
        response = _action(client, case, action, **data)
        assert response.status_code == 200, action
        assert "kern-alert--danger" in response.content.decode(), action
    assert client.post(reverse("cases:action", kwargs={"case_id": case.pk, "action": "loeschen"})).status_code == 404
    assert client.get(reverse("cases:action", kwargs={"case_id": case.pk, "action": "notiz"})).status_code == 405


def test_pdf_preview_is_inline_and_sandboxed_downloads_are_attachments(open_case, caseworker, staff_client):
    case = open_case()
    client = staff_client(caseworker)
    version = case.documents.get(kind=Document.Kind.RECEIPT).versions.get()
    url = reverse("cases:document", kwargs={"case_id": case.pk, "version_id": version.pk})
    preview = client.get(url, {"ansicht": "1"})
    assert preview["Content-Type"] == "application/pdf"
    assert preview["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview["Content-Security-Policy"]
    assert b"".join(preview.streaming_content).startswith(b"%PDF")
    download = client.get(url)
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
