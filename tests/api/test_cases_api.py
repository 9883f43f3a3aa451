"""A Fachverfahren lists, reads and updates the cases of its units through /api/v1."""

import base64
import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from kreiswerk.api.models import ApiIdempotencyKey
from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import services
from kreiswerk.cases.models import Case, Document, Event
from tests.api.conftest import http
from tests.cases.conftest import days_ago, internal_document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["messages"]["de"] and body["messages"]["en"]
    return body


def test_it_pages_through_all_open_cases_by_cursor_each_once(api, open_case):
    opened = [open_case(name=f"Person {i}", received=days_ago(40 - i)) for i in range(30)]
    seen, cursor, pages = [], "", 0
    while True:
        body = api.get("/api/v1/cases", {"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == [str(case.pk) for case in opened]  # oldest first, none twice, none lost
    assert pages == 5
    first = api.get("/api/v1/cases", {"limit": 1}).json()["items"][0]
    assert first["reference"] == opened[0].reference
    assert first["status"] == {"key": "eingegangen", "title": "Eingegangen"}
    assert first["case_type"]["key"] == "testvorgang" and first["unit"]["code"] == "gewerbe"


def test_it_filters_and_refuses_unknown_filters_and_cursors(api, open_case):
    case = open_case()
    assert [item["id"] for item in api.get("/api/v1/cases", {"status": "eingegangen"}).json()["items"]] == [
        str(case.pk)
    ]
    assert api.get("/api/v1/cases", {"status": "in_pruefung"}).json()["items"] == []
    assert api.get("/api/v1/cases", {"closed": "true"}).json()["items"] == []
    _problem(api.get("/api/v1/cases", {"unit": "gibtsnicht"}), 422, "unknown_unit")
    _problem(api.get("/api/v1/cases", {"case_type": "gibtsnicht"}), 422, "unknown_case_type")
    _problem(api.get("/api/v1/cases", {"cursor": "kaputt"}), 422, "invalid_cursor")
    body = _problem(api.get("/api/v1/cases", {"limit": 1000}), 422, "invalid")
    assert body["errors"][0]["field"] == "limit"
    assert body["errors"][0]["messages"]["de"] == "Der Wert ist zu groß."


def test_reading_a_case_shows_parties_deadlines_documents_and_is_audited(api, fachverfahren, open_case):
    case = open_case(name="Erika Mustermann", email="erika@example.org")
    note = internal_document(case, content=PDF)

    body = api.get(f"/api/v1/cases/{case.pk}").json()

    assert body["reference"] == case.reference
    assert body["parties"][0]["name"] == "Erika Mustermann" and body["parties"][0]["email"] == "erika@example.org"
    assert {deadline["kind"] for deadline in body["deadlines"]} >= {"bearbeitung"}
    assert [status["key"] for status in body["transitions"]] == ["in_pruefung"]
    document = next(item for item in body["documents"] if item["id"] == str(note.pk))
    assert document["versions"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    read = AuditEntry.objects.get(action="case.read", target_id=str(case.pk))
    assert read.actor_id == fachverfahren[0].user_id and read.actor_username == "api.gewerbe-fv"

    download = api.get(document["versions"][0]["content"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(PDF).digest()).decode()}:"
    assert AuditEntry.objects.filter(action="document.read", target_id=str(case.pk)).count() == 1


def test_it_downloads_a_chosen_version_and_refuses_unknown_ones(api, open_case):
    case = open_case()
    document = internal_document(case, content=b"%PDF-1.7 eins")
    from kreiswerk.crypto.files import store_encrypted

    services.document_version_add(
        document=document,
        filename="vermerk.pdf",
        content_type="application/pdf",
        stored=store_encrypted([b"%PDF-1.7 zwei"], namespace="cases"),
    )
    url = f"/api/v1/cases/{case.pk}/documents/{document.pk}/content"
    assert b"".join(api.get(url).streaming_content) == b"%PDF-1.7 zwei"
    assert b"".join(api.get(url, {"version": 1}).streaming_content) == b"%PDF-1.7 eins"
    _problem(api.get(url, {"version": 3}), 404, "not_found")
    _problem(api.get(f"/api/v1/cases/{case.pk}/documents/{case.pk}/content"), 404, "not_found")


def test_the_fachverfahren_sets_the_status_along_the_allowed_transitions(api, fachverfahren, open_case):
    case = open_case()
    url = f"/api/v1/cases/{case.pk}/status"

    response = api.post(url, {"status": "in_pruefung"}, content_type="application/json")

    assert response.status_code == 200 and response.json()["status"]["key"] == "in_pruefung"
    event = Event.objects.filter(case=case, kind=Event.Kind.STATUS).get()
    assert event.actor_id == fachverfahren[0].user_id
    # Asking again for the status it has changes nothing (a retry is harmless).
    assert api.post(url, {"status": "in_pruefung"}, content_type="application/json").status_code == 200
    assert Event.objects.filter(case=case, kind=Event.Kind.STATUS).count() == 1
    # The checklist of "in_pruefung" is open: the Vorgangsart's rules hold for machines too.
    refused = _problem(api.post(url, {"status": "entscheidung"}, content_type="application/json"), 409, "refused")
    assert refused["messages"]["de"] != refused["messages"]["en"]
    _problem(api.post(url, {"status": "gibtsnicht"}, content_type="application/json"), 422, "unknown_status")
    body = _problem(api.post(url, {}, content_type="application/json"), 422, "invalid")
    assert body["errors"][0] == {
        "field": "status",
        "type": "missing",
        "messages": {"de": "Diese Angabe fehlt.", "en": "This value is missing."},
    }
    _problem(api.post(url, "{kaputt", content_type="application/json"), 400, "bad_request")


def test_the_fachverfahren_files_a_document_once_even_when_it_retries(api, fachverfahren, open_case):
    case = open_case()
    url = f"/api/v1/cases/{case.pk}/documents"

    def post(key="abc-1", content=PDF, name="gewerbeschein.pdf"):
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        return api.post(url, {"title": "Gewerbeschein", "file": upload}, headers={"Idempotency-Key": key})

    first = post()
    assert first.status_code == 201, first.content
    filed = AuditEntry.objects.filter(action="document.add", target_id=str(case.pk)).count()
    retry = post()
    assert retry.status_code == 201 and retry.json() == first.json()
    documents = Document.objects.filter(case=case, kind=Document.Kind.INTERNAL)
    assert documents.count() == 1
    version = documents.get().versions.get()
    assert version.sha256 == hashlib.sha256(PDF).hexdigest() and version.created_by_id == fachverfahren[0].user_id
    assert AuditEntry.objects.filter(action="document.add", target_id=str(case.pk)).count() == filed

    other = open_case(name="Max Muster")
    reused = http(fachverfahren[1]).post(
        f"/api/v1/cases/{other.pk}/documents",
        {"title": "x", "file": SimpleUploadedFile("a.pdf", PDF)},
        headers={"Idempotency-Key": "abc-1"},
    )
    _problem(reused, 422, "idempotency_key_reused")
    _problem(post(key="böse key"), 422, "invalid_idempotency_key")


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_filed(api, open_case):
    case = open_case()
    upload = SimpleUploadedFile("vermerk.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    _problem(api.post(f"/api/v1/cases/{case.pk}/documents", {"title": "x", "file": upload}), 422, "file_rejected")
    assert not Document.objects.filter(case=case, kind=Document.Kind.INTERNAL).exists()
    _problem(api.post(f"/api/v1/cases/{case.pk}/documents", {"title": "x"}), 422, "invalid")


def test_a_closed_case_takes_no_documents_and_no_status(api, open_case, caseworker):
    case = open_case()
    Case.objects.filter(pk=case.pk).update(status="entscheidung")
    case.refresh_from_db()
    services.case_close(case=case, result="bewilligt", actor=caseworker)
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    _problem(api.post(f"/api/v1/cases/{case.pk}/documents", {"title": "x", "file": upload}), 409, "refused")
    assert not Document.objects.filter(case=case, kind=Document.Kind.INTERNAL).exists()
    status = api.post(f"/api/v1/cases/{case.pk}/status", {"status": "in_pruefung"}, content_type="application/json")
    _problem(status, 409, "refused")


def test_unknown_addresses_and_methods_answer_as_problems(api, open_case):
    _problem(api.get("/api/v1/gibtsnicht"), 404, "not_found")
    assert _problem(api.get("/api/v1/cases/not-a-uuid"), 422, "invalid")["errors"][0]["field"] == "case_id"
    _problem(api.delete("/api/v1/cases"), 405, "method_not_allowed")
    body = _problem(api.get("/api/v1/cases/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert body["title"] == "Nicht gefunden"
    english = http(api.defaults.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer "), language="en")
    assert english.get("/api/v1/gibtsnicht").json()["title"] == "Not found"


def test_the_openapi_description_lists_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/status",
        "/api/v1/cases/{case_id}/documents",
        "/api/v1/cases/{case_id}/documents/{document_id}/content",
        "/api/v1/submissions",
        "/api/v1/submissions/{submission_id}",
        "/api/v1/submissions/{submission_id}/attachments/{attachment_id}/content",
    }
    assert spec["paths"]["/api/v1/cases"]["get"]["responses"]["401"]


def test_housekeeping_forgets_idempotency_keys_after_a_week(api, fachverfahren, open_case):
    case = open_case()
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    api.post(f"/api/v1/cases/{case.pk}/documents", {"title": "x", "file": upload}, headers={"Idempotency-Key": "k1"})
    call_command("housekeeping")
    assert ApiIdempotencyKey.objects.count() == 1
    ApiIdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    call_command("housekeeping")
    assert ApiIdempotencyKey.objects.count() == 0
