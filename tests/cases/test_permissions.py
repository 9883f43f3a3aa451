"""Permission matrix: every role × every case endpoint × where the case lies relative to the role's unit.

The API column follows: an API client's scope plays the role, the unit of its grant the place.
"""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import decisions, services
from kreiswerk.cases.models import Case, Decision
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from tests.api.conftest import api_client_with, http
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


# --- the API column: a client's scope plays the role, its grant's unit the place ----------------

SCOPES = ["cases:read", "cases:write", "submissions:read", None]
API_CALLS = {"list": "cases:read", "detail": "cases:read", "document": "cases:read", "status": "cases:write"}
API_CALLS["add-document"] = "cases:write"


def _api_request(api, call: str, case: Case):
    base = f"/api/v1/cases/{case.pk}"
    if call == "list":
        return api.get("/api/v1/cases")
    if call == "detail":
        return api.get(base)
    if call == "document":
        return api.get(f"{base}/documents/{case.documents.get().pk}/content")
    if call == "status":
        return api.post(f"{base}/status", {"status": "in_pruefung"}, content_type="application/json")
    upload = SimpleUploadedFile("vermerk.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")
    return api.post(f"{base}/documents", {"title": "Vermerk aus dem Fachverfahren", "file": upload})


@pytest.mark.parametrize("call", list(API_CALLS))
@pytest.mark.parametrize(("held", "lies", "reaches"), PLACES)
@pytest.mark.parametrize("scope", SCOPES, ids=lambda scope: scope or "ohne-recht")
def test_api_permission_matrix(case_type_version, other_unit, mandant, scope, held, lies, reaches, call):
    case = _case_in(case_type_version, lies)
    client, token = api_client_with(mandant, "fachverfahren", [(held, scope)] if scope else [])
    holds_scope = scope == API_CALLS[call]
    allowed = reaches and holds_scope

    response = _api_request(http(token), call, case)

    case.refresh_from_db()
    if not holds_scope:
        assert response.status_code == 403
    elif call == "list":
        assert response.status_code == 200
        assert (str(case.pk) in {item["id"] for item in response.json()["items"]}) is allowed
    elif not allowed:
        assert response.status_code == 404  # not found: its existence is not revealed
    else:
        assert response.status_code in {200, 201}
    assert (case.status == "in_pruefung") is (allowed and call == "status")
    assert (case.documents.count() == 2) is (allowed and call == "add-document")
    touched = AuditEntry.objects.filter(target_id=str(case.pk), actor_id=client.user_id).exists()
    lists = AuditEntry.objects.filter(action="case.list", actor_id=client.user_id).values_list("details", flat=True)
    listed = any(str(case.pk) in details.get("cases", []) for details in lists)
    assert (touched or listed) is allowed
