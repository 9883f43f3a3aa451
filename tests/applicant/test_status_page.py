""" "Mein Antrag": the applicant follows their application through the link from the receipt."""

import pytest
from django.core import mail
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import services
from kreiswerk.submissions.links import status_path, status_token, status_token_valid
from kreiswerk.submissions.tasks import submission_confirmation_send
from tests.cases.conftest import internal_document, make_submission

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_status_in_plain_german_and_the_documents(open_case, caseworker, client):
    case = open_case()
    page = client.get(status_path(case.submission_id)).content.decode()
    assert "Ihr Antrag ist eingegangen." in page  # the status's public text, not the internal title
    assert case.reference in page and case.submission.reference in page
    assert "Eingangsbestätigung" in page
    assert "Zurzeit haben wir keine Fragen an Sie." in page
    assert AuditEntry.objects.filter(action="case.applicant_read", target_id=str(case.pk), actor_id=None).exists()

    case = services.case_status_change(case=case, status="in_pruefung", actor=caseworker)
    assert "Wir prüfen Ihren Antrag." in client.get(status_path(case.submission_id)).content.decode()
    services.checklist_check(case=case, item="angaben", actor=caseworker)
    case = services.case_status_change(case=case, status="entscheidung", actor=caseworker)
    services.case_close(case=case, result="bewilligt", actor=caseworker)
    assert "Ihr Antrag ist bewilligt." in client.get(status_path(case.submission_id)).content.decode()


def test_the_applicant_can_fetch_their_own_receipt_but_not_internal_documents(open_case, caseworker, client):
    case = open_case()
    receipt = case.documents.get(kind="eingangsbestaetigung")
    token = status_token(case.submission_id)

    def url(document_id):
        return reverse(
            "applicant:document",
            kwargs={"submission_id": case.submission_id, "token": token, "document_id": document_id},
        )

    response = client.get(url(receipt.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"

    internal = internal_document(case, user=caseworker)
    assert client.get(url(internal.pk)).status_code == 404


def test_a_submission_without_a_case_yet_has_a_page_too(assistant_version, client):
    submission = make_submission(assistant_version)
    page = client.get(status_path(submission.pk)).content.decode()
    assert "wird an die zuständige Stelle weitergeleitet" in page


def test_links_of_one_application_do_not_open_another(open_case, client):
    first, second = open_case(), open_case(name="Max Muster", email="max@example.org")
    crossed = reverse(
        "applicant:status",
        kwargs={"submission_id": second.submission_id, "token": status_token(first.submission_id)},
    )
    assert client.get(crossed).status_code == 404
    assert not status_token_valid(second.submission_id, status_token(first.submission_id))
    assert not status_token_valid(first.submission_id, "")


def test_links_survive_a_key_rotation(open_case, client, settings):
    case = open_case()
    current, retired = settings.SECRET_KEY, "the-retired-secret-key-of-this-test-0123456789"
    settings.SECRET_KEY = retired
    path = status_path(case.submission_id)  # a link sent out before the rotation
    settings.SECRET_KEY = current
    assert client.get(path).status_code == 404
    settings.SECRET_KEY_FALLBACKS = [retired]
    assert client.get(path).status_code == 200


def test_the_confirmation_e_mail_carries_the_link(assistant_version):
    submission = make_submission(assistant_version)
    submission_confirmation_send.enqueue(submission_id=str(submission.pk))
    assert status_path(submission.pk) in mail.outbox[-1].body
