"""Permission matrix: every role × every Aussonderung endpoint × where the case lies relative to the role's unit.

The Aussonderung belongs to Aktenverwaltung/Archiv and Administration; the package of an
Akte to whoever sees all its cases (Sachbearbeitung and Administration). A role reaches
down its unit's subtree, never up or sideways; outside it a case is not found (404).
"""

import pytest
from django.urls import reverse

from kreiswerk.archive import services as archive_services
from kreiswerk.archive.models import DeletionRecord, DisposalReview, HandOver
from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Case
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from tests.conftest import make_staff

from .conftest import decided, light_case

pytestmark = pytest.mark.django_db

ROLES = [Role.ARCHIVE, Role.ADMIN, Role.CASEWORKER, Role.FORM_ADMIN, None]
PLACES = [
    ("gewerbe", "gewerbe", True),  # own unit
    ("ordnungsamt", "gewerbe", True),  # held in the parent unit: reaches down
    ("gewerbe", "ordnungsamt", False),  # the case lies in the parent unit
    ("gewerbe", "jugendamt", False),  # another unit
]
ENDPOINTS = ["list", "detail", "decide", "destroy", "hand_over", "confirm", "records", "record", "package"]
ARCHIVE_ROLES = {Role.ARCHIVE, Role.ADMIN}
CASE_ROLES = {Role.CASEWORKER, Role.ADMIN}


def _prepare(version, endpoint: str, unit_code: str, capture):
    """The case, its review and (for the record endpoints) a deletion record, in the state the endpoint needs."""
    case = light_case(version, unit_code)
    if endpoint == "destroy":
        review = decided(case, "destroy")
    elif endpoint in {"hand_over", "confirm"}:
        review = decided(case, "keep")
        if endpoint == "confirm":
            with capture(execute=True):
                archive_services.handover_start(akte=case.akte, actor=None)
    else:
        archive_services.disposal_reviews_list()
        review = DisposalReview.objects.get(case=case)
    record = None
    if endpoint in {"records", "record"}:
        gone = decided(light_case(version, unit_code), "destroy")
        record = archive_services.disposal_review_destroy(review=gone, actor=None)
    return case, review, record


def _request(client, endpoint: str, case, review, record):
    if endpoint == "list":
        return client.get(reverse("archive:reviews"))
    if endpoint == "detail":
        return client.get(reverse("archive:review", args=[review.pk]))
    if endpoint == "decide":
        return client.post(reverse("archive:decide", args=[review.pk]), {"decision": "keep", "reason": "Bewertung"})
    if endpoint == "destroy":
        return client.post(reverse("archive:destroy", args=[review.pk]), {"bestaetigt": "1"})
    if endpoint == "hand_over":
        return client.post(reverse("archive:hand_over", args=[review.pk]))
    if endpoint == "confirm":
        return client.post(reverse("archive:confirm", args=[review.pk]), {"bestaetigt": "1"})
    if endpoint == "records":
        return client.get(reverse("archive:records"))
    if endpoint == "record":
        return client.get(reverse("archive:record", args=[record.pk]))
    return client.get(reverse("archive:akte_package", args=[case.akte_id]))


def _changed(endpoint: str, case, review) -> bool:
    review.refresh_from_db()
    if endpoint == "decide":
        return review.state == DisposalReview.State.DECIDED
    if endpoint == "destroy":
        return DeletionRecord.objects.filter(review=review).exists()
    if endpoint == "hand_over":
        return HandOver.objects.filter(akte_id=case.akte_id).exists()
    if endpoint == "confirm":
        return not Case.objects.filter(pk=case.pk).exists()
    return False


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("held", "lies", "reaches"), PLACES)
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "ohne-rolle")
def test_permission_matrix(
    case_type_version, other_unit, staff_client, django_capture_on_commit_callbacks, role, held, lies, reaches, endpoint
):
    case, review, record = _prepare(case_type_version, endpoint, lies, django_capture_on_commit_callbacks)
    user = make_staff("person", unit=OrganisationalUnit.objects.get(code=held), role=role)
    client = staff_client(user)
    roles = CASE_ROLES if endpoint == "package" else ARCHIVE_ROLES
    may_enter = role in roles
    allowed = reaches and may_enter

    response = _request(client, endpoint, case, review, record)

    if not may_enter:
        assert response.status_code == 403
    elif endpoint in {"list", "records"}:
        assert response.status_code == 200
        shown = (record or review).case_reference in response.content.decode()
        assert shown is allowed
    elif not allowed:
        assert response.status_code == 404  # not found: its existence is not revealed
    elif endpoint == "package":
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    elif endpoint in {"detail", "record"}:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
    assert _changed(endpoint, case, review) is (allowed and endpoint in {"decide", "destroy", "hand_over", "confirm"})
    wrote = AuditEntry.objects.filter(actor_id=user.pk).exclude(
        action__in={"archive.review_list", "archive.record_list"}
    )
    listed = AuditEntry.objects.filter(actor_id=user.pk, action__in={"archive.review_list", "archive.record_list"})
    if endpoint in {"list", "records"}:
        assert listed.exists() is may_enter
        ids = listed.get().details.get("reviews", listed.get().details.get("records")) if may_enter else []
        assert ((record or review).pk in ids) is allowed
    else:
        assert wrote.exists() is allowed
