"""Permission matrix: every role × every case endpoint × where the case lies relative to the role's unit."""

import io

import openpyxl
import pytest
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import decisions, services
from kreiswerk.cases.models import Case, Decision
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from tests.cases.conftest import internal_document
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

ROLES = [Role.CASEWORKER, Role.ADMIN, Role.FORM_ADMIN, None]
# Where the role is held → where the case lies; a role reaches down its subtree, never up or sideways.
PLACES = [
    ("gewerbe", "gewerbe", True),  # own unit
    ("ordnungsamt", "gewerbe", True),  # held in the parent unit: reaches down
    ("gewerbe", "ordnungsamt", False),  # the case lies in the parent unit
    ("gewerbe", "jugendamt", False),  # another unit
]
ENDPOINTS = ["inbox", "detail", "document", "action", "search", "export", "decision", "cosign"]


def _case_in(version, code: str) -> Case:
    case = services.case_open(version=version, unit=OrganisationalUnit.objects.get(code=code))
    services.party_add(case=case, role="antragsteller", name="Erika Mustermann", email="erika@example.org")
    internal_document(case)
    return case


def _request(client, endpoint: str, case: Case):
    if endpoint == "inbox":
        return client.get(reverse("cases:inbox"))
    if endpoint == "export":
        return client.get(reverse("cases:export"))
    if endpoint == "search":
        return client.get(reverse("cases:inbox"), {"suche": "Mustermann"})
    if endpoint == "detail":
        return client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    if endpoint == "document":
        version = case.documents.get().versions.get()
        return client.get(reverse("cases:document", kwargs={"case_id": case.pk, "version_id": version.pk}))
    if endpoint == "decision":
        return client.get(reverse("cases:decision", kwargs={"case_id": case.pk}))
    if endpoint == "cosign":
        return client.post(reverse("cases:action", kwargs={"case_id": case.pk, "action": "bescheid-mitzeichnen"}))
    return client.post(reverse("cases:action", kwargs={"case_id": case.pk, "action": "notiz"}), {"text": "Vermerk"})


def _decision_for_cosigning(case: Case) -> Decision:
    author = make_staff(f"entwurf-{case.unit.code}", unit=case.unit, role=Role.CASEWORKER)
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=author)
    return decisions.decision_submit(decision=decision, actor=author)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("held", "lies", "reaches"), PLACES)
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "ohne-rolle")
def test_permission_matrix(case_type_version, other_unit, staff_client, role, held, lies, reaches, endpoint):
    case = _case_in(case_type_version, lies)
    decision = _decision_for_cosigning(case) if endpoint in {"decision", "cosign"} else None
    user = make_staff("person", unit=OrganisationalUnit.objects.get(code=held), role=role)
    client = staff_client(user)
    allowed = reaches and role in {Role.CASEWORKER, Role.ADMIN}
    caseworker_somewhere = role in {Role.CASEWORKER, Role.ADMIN}

    response = _request(client, endpoint, case)

    if endpoint == "export":
        if not caseworker_somewhere:
            assert response.status_code == 403
            return
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        references = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert (case.reference in references) is allowed
        return
    if endpoint in {"inbox", "search"}:
        if not caseworker_somewhere:
            assert response.status_code == 403
            return
        assert response.status_code == 200
        assert (case.reference in response.content.decode()) is allowed
        return
    if not caseworker_somewhere:
        assert response.status_code == 403
    elif not allowed:
        assert response.status_code == 404  # not found: its existence is not revealed
    elif endpoint == "action":
        assert response.status_code == 302 and case.notes.count() == 1
    elif endpoint == "cosign":
        decision.refresh_from_db()
        assert response.status_code == 302 and decision.cosigned_by == user
    else:
        assert response.status_code == 200
    if endpoint == "action" and not allowed:
        assert case.notes.count() == 0
    if endpoint == "cosign" and not allowed:
        decision.refresh_from_db()
        assert decision.state == Decision.State.COSIGN and decision.cosigned_by is None
    read = AuditEntry.objects.filter(target_id=str(case.pk), actor_id=user.pk).exists()
    assert read is allowed
