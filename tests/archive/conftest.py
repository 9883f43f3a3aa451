"""Closed cases whose retention ran out, through the real intake and the real services.

The Vorgangsart, assistant and case fixtures come from tests/cases/conftest.py.
"""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from kreiswerk.archive import services as archive_services
from kreiswerk.archive.models import DisposalReview
from kreiswerk.cases import services
from kreiswerk.cases.models import Case
from kreiswerk.tenancy.models import OrganisationalUnit
from tests.cases import conftest as cases_fixtures
from tests.conftest import attach_file

# The Vorgangsart and its assistant, as the E-Akte tests use them.
assistant_version = cases_fixtures.assistant_version
case_type_version = cases_fixtures.case_type_version
make_submission = cases_fixtures.make_submission

APPLICANT = "Erika Mustermann"
APPLICANT_EMAIL = "erika.mustermann@example.org"
# A plain PDF 1.4, not PDF/A.
PLAIN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.KREISWERK_ARCHIVE_OUTBOX = tmp_path / "aussonderung"


def close_case(case: Case, *, result: str = "bewilligt") -> Case:
    """Through the statuses of the test Vorgangsart to the final one, then closed."""
    case = services.case_status_change(case=case, status="in_pruefung", actor=None)
    case = services.checklist_check(case=case, item="angaben", actor=None)
    case = services.case_status_change(case=case, status="entscheidung", actor=None)
    return services.case_close(case=case, result=result, actor=None)


def expire(case: Case, *, days: int = 1) -> Case:
    """Let the retention have run out ``days`` ago (0: today is the last day of keeping)."""
    Case.objects.filter(pk=case.pk).update(retention_until=timezone.localdate() - datetime.timedelta(days=days))
    case.refresh_from_db()
    return case


@pytest.fixture
def submitted_case(assistant_version, case_type_version):
    """A case opened from a submission with a PNG and a PDF attached: receipt plus two attachments."""

    def make(*, name: str = APPLICANT, email: str = APPLICANT_EMAIL) -> Case:
        submission = make_submission(assistant_version, name=name, email=email)
        attach_file(
            submission, field_key="foto", filename="foto-erika.png", content=png_bytes(), content_type="image/png"
        )
        attach_file(submission, field_key="nachweis", filename="nachweis-erika.pdf", content=PLAIN_PDF)
        return services.case_open_for_submission(submission=submission)

    return make


@pytest.fixture
def expired_case(submitted_case):
    """A closed case of the intake path whose retention ran out yesterday."""

    def make(*, result: str = "bewilligt", **kwargs) -> Case:
        return expire(close_case(submitted_case(**kwargs), result=result))

    return make


def light_case(version, unit_code: str, *, closed: bool = True, expired: bool = True) -> Case:
    """A case without a submission (no receipt to render): one small PDF document; for the matrix."""
    case = services.case_open(version=version, unit=OrganisationalUnit.objects.get(code=unit_code))
    services.party_add(case=case, role="antragsteller", name=APPLICANT, email=APPLICANT_EMAIL)
    cases_fixtures.internal_document(case, content=PLAIN_PDF)
    if closed:
        case = close_case(case)
    if expired:
        case = expire(case)
    return case


def listed(case: Case):
    """The review of ``case`` (the daily job lists it)."""
    archive_services.disposal_reviews_list()
    return DisposalReview.objects.get(case=case)


def decided(case: Case, decision: str, *, actor=None):
    review = listed(case)
    return archive_services.disposal_review_decide(
        review=review, decision=decision, reason="Bewertung des Kreisarchivs vom 1. März", actor=actor
    )
