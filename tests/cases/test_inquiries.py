"""A caseworker asks the applicant (Rückfrage); the answer and uploads land in the case; the deadline stands still."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import inquiries, services
from kreiswerk.cases.deadlines import Duration, Suspension, deadline_due
from kreiswerk.cases.models import Deadline, DeadlineSuspension, Document, Inquiry
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.links import status_path

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% Nachweis Gewerbeerlaubnis\n"


def _ask(case, caseworker, *, suspends=True, allows_upload=True):
    return inquiries.inquiry_ask(
        case=case,
        question="Bitte reichen Sie die Erlaubnis nach § 34c GewO nach.",
        answer_by=timezone.localdate() + datetime.timedelta(days=14),
        allows_upload=allows_upload,
        suspends=suspends,
        actor=caseworker,
    )


def test_a_rueckfrage_stops_the_processing_deadline_until_the_answer(
    open_case, caseworker, django_capture_on_commit_callbacks
):
    case = open_case(received=timezone.now() - datetime.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = _ask(case, caseworker)
    case.refresh_from_db()
    assert case.due_on is None  # suspended: no running deadline in the inbox
    suspension = DeadlineSuspension.objects.get(deadline__case=case)
    assert suspension.start == timezone.localdate() and suspension.end is None

    # The applicant got a notice with the link, and nothing they entered.
    notice = mail.outbox[-1]
    assert notice.to == ["erika@example.org"]
    assert "Rückfrage" in notice.subject
    assert status_path(case.submission_id) in notice.body
    assert "Erika" not in notice.body and "34c GewO" not in notice.body  # the question stays on the page

    inquiries.inquiry_answer(inquiry=inquiry, text="Die Erlaubnis liegt bei.", files=[])
    case.refresh_from_db()
    suspension.refresh_from_db()
    assert suspension.end == timezone.localdate()
    deadline = case.deadlines.get(kind=Deadline.Kind.PROCESSING)
    expected = deadline_due(
        start=deadline.start,
        duration=Duration.parse("P1M"),
        state=case.mandant.state,
        suspensions=[Suspension(start=suspension.start, end=suspension.end)],
    )
    assert case.due_on == deadline.due_on == expected
    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.ANSWERED and inquiry.answer == "Die Erlaubnis liegt bei."


def test_the_deadline_runs_again_only_when_the_last_suspending_rueckfrage_is_closed(open_case, caseworker):
    case = open_case()
    first = _ask(case, caseworker)
    second = _ask(case, caseworker)
    inquiries.inquiry_answer(inquiry=first, text="Antwort eins", files=[])
    assert DeadlineSuspension.objects.filter(deadline__case=case, end=None).exists()
    inquiries.inquiry_withdraw(inquiry=second, actor=caseworker)
    assert not DeadlineSuspension.objects.filter(deadline__case=case, end=None).exists()
    case.refresh_from_db()
    assert case.due_on is not None


def test_a_rueckfrage_without_suspension_leaves_the_deadline_running(open_case, caseworker):
    case = open_case()
    due = case.due_on
    _ask(case, caseworker, suspends=False)
    case.refresh_from_db()
    assert case.due_on == due
    assert not DeadlineSuspension.objects.filter(deadline__case=case).exists()


def test_the_applicant_answers_with_an_upload_through_the_link(open_case, caseworker, client, staff_client):
    case = open_case()
    inquiry = _ask(case, caseworker)
    page = client.get(status_path(case.submission_id)).content.decode()
    assert "Bitte reichen Sie die Erlaubnis nach § 34c GewO nach." in page
    answer_url = reverse(
        "applicant:inquiry",
        kwargs={"submission_id": case.submission_id, "token": _token(case), "inquiry_id": inquiry.pk},
    )
    assert "Rückfrage beantworten" in client.get(answer_url).content.decode()

    upload = SimpleUploadedFile("Erlaubnis.pdf", PDF, content_type="application/pdf")
    response = client.post(answer_url, {"answer": "Anbei die Erlaubnis.", "dateien": [upload]}, follow=True)
    assert "Vielen Dank. Ihre Antwort ist bei uns eingegangen." in response.content.decode()

    document = case.documents.get(kind=Document.Kind.ANSWER)
    assert document.inquiry_id == inquiry.pk and document.visible_to_applicant
    version = document.versions.get()
    assert b"".join(open_decrypted(version.path, bytes(version.key))) == PDF
    assert AuditEntry.objects.filter(action="case.inquiry_answer", target_id=str(case.pk)).exists()

    # A second post (a retry, a double click) files nothing twice.
    again = client.post(answer_url, {"answer": "Nochmal."}, follow=True).content.decode()
    assert "bereits beantwortet" in again
    assert case.documents.filter(kind=Document.Kind.ANSWER).count() == 1
    inquiry.refresh_from_db()
    assert inquiry.answer == "Anbei die Erlaubnis."

    staff_page = staff_client(caseworker).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "Anbei die Erlaubnis." in staff_page and "Rückfrage beantwortet" in staff_page


def test_bad_answers_get_german_messages_and_change_nothing(open_case, caseworker, client):
    case = open_case()
    inquiry = _ask(case, caseworker, allows_upload=True)
    url = reverse(
        "applicant:inquiry",
        kwargs={"submission_id": case.submission_id, "token": _token(case), "inquiry_id": inquiry.pk},
    )
    empty = client.post(url, {"answer": "  "})
    assert empty.status_code == 200
    assert "Bitte schreiben Sie eine Antwort oder laden Sie mindestens ein Dokument hoch." in empty.content.decode()

    fake = SimpleUploadedFile("Erlaubnis.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    rejected = client.post(url, {"answer": "Anbei.", "dateien": [fake]})
    assert rejected.status_code == 200
    assert "passt nicht zu den erlaubten Dateitypen" in rejected.content.decode()

    too_long = client.post(url, {"answer": "x" * 5001})
    assert "höchstens 5000 Zeichen" in too_long.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.OPEN
    assert not case.documents.filter(kind=Document.Kind.ANSWER).exists()


def test_a_wrong_link_shows_nothing(open_case, caseworker, client):
    case = open_case()
    inquiry = _ask(case, caseworker)
    token = _token(case)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for url in (
        reverse("applicant:status", kwargs={"submission_id": case.submission_id, "token": forged}),
        reverse(
            "applicant:inquiry",
            kwargs={"submission_id": case.submission_id, "token": forged, "inquiry_id": inquiry.pk},
        ),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"answer": "x"}).status_code in (403, 404, 405)


def test_the_caseworker_asks_on_the_case_page(open_case, caseworker, staff_client):
    case = open_case()
    client = staff_client(caseworker)
    url = reverse("cases:action", kwargs={"case_id": case.pk, "action": "rueckfrage"})
    answer_by = (timezone.localdate() + datetime.timedelta(days=14)).strftime("%d.%m.%Y")
    done = client.post(
        url,
        {"question": "Bitte Nachweis schicken.", "answer_by": answer_by, "allows_upload": "on", "suspends": "on"},
        follow=True,
    ).content.decode()
    assert "Die Rückfrage ist gestellt." in done
    assert "Rückfrage gestellt" in done  # timeline
    past = client.post(url, {"question": "Frage", "answer_by": "01.01.2020"}, follow=True).content.decode()
    assert "Die Antwortfrist muss nach dem heutigen Tag liegen." in past
    assert Inquiry.objects.filter(case=case).count() == 1


def test_a_closed_case_takes_no_answer(open_case, caseworker):
    case = open_case()
    inquiry = _ask(case, caseworker, suspends=False)
    inquiries.inquiry_withdraw(inquiry=inquiry, actor=caseworker)
    with pytest.raises(inquiries.AnswerRefused):
        inquiries.inquiry_answer(inquiry=inquiry, text="zu spät", files=[])
    with pytest.raises(services.CaseActionRefused):
        inquiries.inquiry_withdraw(inquiry=inquiry, actor=caseworker)


def _token(case) -> str:
    return status_path(case.submission_id).rstrip("/").rsplit("/", 1)[1]
