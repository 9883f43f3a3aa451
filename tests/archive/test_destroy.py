"""Destroying a case removes it with everything holding its data and leaves a deletion record."""

import json
from collections import Counter

import pytest
from django.core import serializers
from django.urls import reverse

from kreiswerk.archive import services as archive_services
from kreiswerk.archive.models import DeletionRecord, DisposalReview, PermanentRow
from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Akte, Case, Document, DocumentVersion, Event, Party, SearchToken
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Attachment, Submission
from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff

from .conftest import APPLICANT, APPLICANT_EMAIL, decided, listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(unit):
    return make_staff("archiv", unit=unit, role=Role.ARCHIVE)


@pytest.fixture
def counted_deletes(monkeypatch):
    """Every path the archive deletes, counted (the real deletion still happens)."""
    calls = Counter()
    real = archive_services.delete_stored

    def delete(path):
        calls[path] += 1
        real(path)

    monkeypatch.setattr(archive_services, "delete_stored", delete)
    return calls


def stored_paths(case: Case) -> set[str]:
    submission = case.submission
    paths = set(DocumentVersion.objects.filter(document__case=case).values_list("path", flat=True))
    paths |= set(submission.attachments.values_list("path", flat=True)) | {submission.receipt_path}
    return paths


def test_it_removes_the_case_its_documents_files_and_submission(
    settings, expired_case, archivist, staff_client, counted_deletes, django_capture_on_commit_callbacks
):
    case = expired_case()
    submission = case.submission
    # A leftover draft of the submission (normally purged after 30 days) goes too.
    Draft.objects.create(
        version=submission.version, answers={"name": APPLICANT}, expires_at=case.received_at, submitted=submission
    )
    paths = stored_paths(case)
    assert len(paths) == 3  # the receipt and two attachments; the documents point at the same files
    assert DocumentVersion.objects.filter(document__case=case).count() == 3
    review = decided(case, "destroy", actor=archivist)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(archivist).post(
            reverse("archive:destroy", args=[review.pk]), {"bestaetigt": "1"}, follow=True
        )

    assert "Der Vorgang ist vernichtet" in response.content.decode()
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Akte.objects.filter(pk=case.akte_id).exists()
    assert not Document.objects.filter(case_id=case.pk).exists()
    assert not DocumentVersion.objects.exists()
    assert not Party.objects.exists() and not SearchToken.objects.exists() and not Event.objects.exists()
    assert not Submission.objects.filter(pk=submission.pk).exists()
    assert not Attachment.objects.exists() and not Draft.objects.exists()
    assert counted_deletes == dict.fromkeys(paths, 1)  # every file exactly once
    for path in paths:
        assert not (settings.KREISWERK_FILES_DIR / path).exists()

    review.refresh_from_db()
    assert review.state == DisposalReview.State.COMPLETED and review.case_id is None and review.akte_id is None
    record = DeletionRecord.objects.get(review=review)
    assert record.outcome == DeletionRecord.Outcome.DESTROYED
    assert (record.case_uuid, record.case_reference, record.akte_reference) == (case.pk, case.reference, case.reference)
    assert record.akte_deleted and record.filing_position == "82.10"
    assert (record.case_type_key, record.result, record.result_title) == ("testvorgang", "bewilligt", "bewilligt")
    assert record.retention_until == case.retention_until and record.closed_at == case.closed_at
    assert (record.decision, record.decided_by_username, record.executed_by_username) == ("destroy", "archiv", "archiv")
    assert record.counts["documents"] == 3 and record.counts["files"] == 3 and record.counts["submission"] == 1
    assert record.counts["parties"] == 1 and record.counts["drafts"] == 1 and record.counts["attachments"] == 2
    assert AuditEntry.objects.filter(action="archive.destroy", target_id=str(case.pk), actor_id=archivist.pk).exists()


def test_the_deletion_record_holds_the_document_hashes_and_no_personal_data(expired_case, archivist):
    case = expired_case()
    hashes = sorted(DocumentVersion.objects.filter(document__case=case).values_list("sha256", flat=True))
    review = decided(case, "destroy", actor=archivist)

    record = archive_services.disposal_review_destroy(review=review, actor=archivist)

    assert sorted(entry["sha256"] for entry in record.documents) == hashes
    assert {entry["kind"] for entry in record.documents} == {"eingangsbestaetigung", "anlage"}
    dumped = serializers.serialize("json", [record])
    for personal in (APPLICANT, "Erika", "Mustermann", APPLICANT_EMAIL, "foto-erika", "nachweis-erika"):
        assert personal not in dumped
        assert personal not in json.dumps(list(AuditEntry.objects.values_list("details", flat=True)))


def test_a_deletion_record_is_never_changed_or_deleted(expired_case, archivist):
    review = decided(expired_case(), "destroy", actor=archivist)
    record = archive_services.disposal_review_destroy(review=review, actor=archivist)
    record.reason = "anders"
    with pytest.raises(PermanentRow):
        record.save()
    with pytest.raises(PermanentRow):
        record.delete()


def test_without_the_confirmation_nothing_is_destroyed(expired_case, archivist, staff_client):
    case = expired_case()
    review = decided(case, "destroy", actor=archivist)
    response = staff_client(archivist).post(reverse("archive:destroy", args=[review.pk]), {}, follow=True)
    assert "Bitte bestätigen Sie dies durch Ankreuzen des Kästchens." in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()
    assert not DeletionRecord.objects.exists()


@pytest.mark.parametrize("decision", [None, "keep"])
def test_only_a_case_decided_destroy_is_destroyed(expired_case, archivist, staff_client, decision):
    case = expired_case()
    review = decided(case, decision, actor=archivist) if decision else listed(case)
    url = reverse("archive:destroy", args=[review.pk])
    response = staff_client(archivist).post(url, {"bestaetigt": "1"}, follow=True)
    assert response.status_code == 200
    assert "Vernichtet werden nur Vorgänge, bei denen „vernichten“ entschieden ist." in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_destroyed_case_cannot_be_destroyed_twice(expired_case, archivist):
    review = decided(expired_case(), "destroy", actor=archivist)
    archive_services.disposal_review_destroy(review=review, actor=archivist)
    with pytest.raises(archive_services.ArchiveActionRefused, match="bereits ausgesondert"):
        archive_services.disposal_review_destroy(review=review, actor=archivist)
    assert DeletionRecord.objects.count() == 1
