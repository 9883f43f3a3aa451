"""A submission of a linked assistant becomes a case in the responsible unit's file."""

import hashlib

import pytest
from django.utils import timezone

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Case, Deadline, Document, Event, Party, SearchToken
from kreiswerk.cases.services import case_open_for_submission
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.tasks import followup_enqueue
from tests.conftest import attach_file

from .conftest import make_submission

pytestmark = pytest.mark.django_db


def _content(version) -> bytes:
    chunks = open_decrypted(version.path, bytes(version.key))
    try:
        return b"".join(chunks)
    finally:
        chunks.close()


def test_it_opens_a_case_with_receipt_attachments_applicant_and_deadline(assistant_version, case_type_version, unit):
    submission = make_submission(assistant_version)
    attach_file(submission, field_key="anzahl", filename="Ausweis.pdf", content=b"%PDF-1.7 test")

    case = case_open_for_submission(submission=submission)

    assert case.unit == unit
    assert case.status == "eingegangen" and case.is_open
    assert case.reference.startswith("MK-82.10-") and case.akte.reference == case.reference
    kinds = sorted(case.documents.values_list("kind", flat=True))
    assert kinds == [Document.Kind.ATTACHMENT, Document.Kind.RECEIPT]
    for document in case.documents.all():
        version = document.versions.get()
        content = _content(version)
        assert hashlib.sha256(content).hexdigest() == version.sha256
        assert len(content) == version.size
    receipt = case.documents.get(kind=Document.Kind.RECEIPT).versions.get()
    assert _content(receipt).startswith(b"%PDF")
    applicant = case.parties.get()
    assert applicant.role == Party.Role.APPLICANT
    assert (applicant.name, applicant.email) == ("Erika Mustermann", "erika@example.org")
    assert SearchToken.objects.filter(case=case).count() == 3  # erika, mustermann, the e-mail address
    deadline = case.deadlines.get()
    assert deadline.kind == Deadline.Kind.PROCESSING and deadline.due_on == case.due_on
    assert case.due_on > timezone.localdate()
    assert case.events.filter(kind=Event.Kind.OPENED).exists()
    assert AuditEntry.objects.filter(action="case.open", target_id=str(case.pk)).exists()


def test_opening_twice_gives_the_same_case(assistant_version, case_type_version):
    submission = make_submission(assistant_version)
    first = case_open_for_submission(submission=submission)
    second = case_open_for_submission(submission=submission)
    assert first.pk == second.pk
    assert Case.objects.count() == 1


def test_the_follow_up_jobs_open_the_case(assistant_version, case_type_version, django_capture_on_commit_callbacks):
    submission = make_submission(assistant_version)
    with django_capture_on_commit_callbacks(execute=True):
        followup_enqueue(submission)
    assert Case.objects.get(submission=submission).documents.count() == 1


def test_test_submissions_and_unlinked_assistants_open_no_case(
    assistant_version, publish_assistant, case_type_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        followup_enqueue(make_submission(assistant_version, is_test=True))
    from tests.conftest import simple_definition

    other = publish_assistant(simple_definition(slug="anderer-antrag"))
    assert case_open_for_submission(submission=make_submission(other)) is None
    assert not Case.objects.exists()


def test_aktenzeichen_run_on_per_year_and_follow_the_mandants_pattern(open_case, mandant):
    from kreiswerk.cases.models import ReferencePattern

    first = open_case()
    second = open_case()
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1
    ReferencePattern.objects.create(mandant=mandant, pattern="{einheit}/{aktenplan}/{nummer:04d}/{jahr}")
    third = open_case()
    assert third.reference == f"gewerbe/82.10/0003/{timezone.localdate().year}"
