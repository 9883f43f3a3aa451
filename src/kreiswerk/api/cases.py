"""Cases for a Fachverfahren: list, read, download documents, set the status, file a document.

Every read goes through ``cases_visible_to`` with the units of the client's grant, and is
recorded in the audit log like a caseworker's read.
"""

import uuid
from typing import Literal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from kreiswerk.audit.services import audit_record
from kreiswerk.cases import services as case_services
from kreiswerk.cases.models import Case, CaseType, Document, DocumentVersion
from kreiswerk.cases.selectors import InboxFilter, case_detail_queryset, cursor_decode, inbox_page
from kreiswerk.crypto.files import delete_stored
from kreiswerk.submissions.services import upload_store
from kreiswerk.submissions.uploads import default_limit_bytes
from kreiswerk.tenancy.models import OrganisationalUnit

from . import idempotency
from .auth import acting
from .downloads import stored_file_response
from .models import Scope
from .problems import Refused, strict_query
from .schemas import CaseDetail, CasePage, CaseSummary, DocumentOut, IsoDate, Problem, StatusIn

router = Router(tags=["Vorgänge"])

SORTS = {"received": "eingang_alt", "-received": "eingang", "due": "frist"}
# What a Fachverfahren may file: documents, images, office files and structured data.
DOCUMENT_FILE_TYPES = ["pdf", "jpeg", "png", "tiff", "docx", "odt", "xlsx", "ods", "xml", "csv", "txt"]
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}
UNKNOWN_UNIT = _("Diese Organisationseinheit gibt es nicht.")
UNKNOWN_CASE_TYPE = _("Diese Vorgangsart gibt es nicht.")
BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


def _not_found():
    return Refused(404, "not_found", _("Diesen Vorgang gibt es nicht oder er ist für diesen Zugang nicht sichtbar."))


def _visible_case(user, case_id: uuid.UUID) -> Case:
    case = case_detail_queryset(user).select_related("case_type").filter(pk=case_id).first()
    if case is None:
        raise _not_found()
    return case


def _coded(item) -> dict | None:
    return {"key": item.key, "title": item.title} if item is not None else None


def _summary(case: Case) -> dict:
    definition = case.definition
    status = definition.status(case.status)
    return {
        "id": case.pk,
        "reference": case.reference,
        "case_type": {"key": case.case_type.key, "title": case.case_type.title, "version": case.version.number},
        "unit": {"code": case.unit.code, "name": case.unit.name},
        "status": _coded(status) or {"key": case.status, "title": case.status},
        "is_open": case.is_open,
        "result": _coded(definition.result(case.result)) if case.result else None,
        "received_at": case.received_at,
        "closed_at": case.closed_at,
        "due_on": case.due_on,
        "assignee": case.assignee.get_username() if case.assignee_id else None,
        "submission": case.submission_id,
    }


def _content_path(case: Case, document: Document, number: int) -> str:
    path = reverse("api-v1:case_document_content", kwargs={"case_id": case.pk, "document_id": document.pk})
    return f"{path}?version={number}"


def _document(case: Case, document: Document) -> dict:
    return {
        "id": document.pk,
        "kind": document.kind,
        "direction": document.direction,
        "title": document.title,
        "created_at": document.created_at,
        "versions": [
            {
                "id": version.pk,
                "number": version.number,
                "filename": version.filename,
                "content_type": version.content_type,
                "size": version.size,
                "sha256": version.sha256,
                "created_at": version.created_at,
                "content": _content_path(case, document, version.number),
            }
            for version in sorted(document.versions.all(), key=lambda version: version.number)
        ],
    }


def _detail(case: Case) -> dict:
    definition = case.definition
    return {
        **_summary(case),
        "documents_complete_on": case.documents_complete_on,
        "parties": [
            {
                "role": party.role,
                "name": party.name,
                "email": party.email,
                "phone": party.phone,
                "address": party.address,
                "channel": party.channel,
            }
            for party in case.parties.order_by("role", "created_at", "id")
        ],
        "deadlines": list(case.deadlines.order_by("kind").values("kind", "start", "duration", "due_on", "met_at")),
        "documents": [
            _document(case, document)
            for document in case.documents.prefetch_related("versions").order_by("created_at", "id")
        ],
        "transitions": [_coded(status) for status in definition.next_statuses(case.status)],
    }


def _of_mandant(model, client, problem_code: str, message, **lookup):
    """The filter's object in the client's Mandant; None without a filter, a 422 for an unknown one."""
    if not all(lookup.values()):
        return None
    found = model.objects.filter(mandant=client.mandant, **lookup).first()
    if found is None:
        raise Refused(422, problem_code, message)
    return found


@router.get("/cases", response={200: CasePage, **ERRORS}, url_name="case_list", summary="Vorgänge auflisten")
@strict_query
def case_list(
    request,
    status: str = "",
    case_type: str = "",
    unit: str = "",
    closed: bool = False,
    received_from: IsoDate | None = None,
    sort: Literal["received", "-received", "due"] = "received",
    cursor: str = "",
    limit: int = Query(25, ge=1, le=100),
):
    """Open (or, with `closed=true`, closed) cases of the client's units, a page at a time.

    `received` (oldest first) suits a Fachverfahren that takes up new cases: keep the last
    `next_cursor` and ask again later.
    """
    user = acting(request, Scope.CASES_READ)
    if cursor and cursor_decode(cursor) is None:
        raise Refused(422, "invalid_cursor", _("Der Cursor ist ungültig. Bitte beginnen Sie ohne Cursor."))
    selection = InboxFilter(
        unit=_of_mandant(OrganisationalUnit, request.auth, "unknown_unit", UNKNOWN_UNIT, code=unit),
        case_type=_of_mandant(CaseType, request.auth, "unknown_case_type", UNKNOWN_CASE_TYPE, key=case_type),
        status=status,
        closed=closed,
        received_from=received_from,
        sort=SORTS[sort],
    )
    page = inbox_page(user, selection, cursor=cursor, page_size=limit)
    audit_record(action="case.list", request=request, actor=user, details={"cases": [str(c.pk) for c in page.cases]})
    return {"items": [_summary(case) for case in page.cases], "next_cursor": page.next_cursor}


@router.get("/cases/{case_id}", response={200: CaseDetail, **ERRORS}, url_name="case_detail", summary="Vorgang lesen")
@strict_query
def case_detail(request, case_id: uuid.UUID):
    """The case with its parties, deadlines and documents (each with its versions)."""
    user = acting(request, Scope.CASES_READ)
    case = _visible_case(user, case_id)
    audit_record(action="case.read", target=case, request=request, actor=user)
    return _detail(case)


@router.get(
    "/cases/{case_id}/documents/{document_id}/content",
    response={200: None, **ERRORS},
    url_name="case_document_content",
    summary="Dokument herunterladen",
    openapi_extra={"responses": {200: {"description": "The stored file, unchanged.", **BINARY}}},
)
@strict_query
def case_document_content(request, case_id: uuid.UUID, document_id: uuid.UUID, version: int | None = None):
    """The file of one version of a document (the newest without `version`); its SHA-256 is in the case."""
    user = acting(request, Scope.CASES_READ)
    case = _visible_case(user, case_id)
    versions = DocumentVersion.objects.filter(document__case=case, document_id=document_id)
    chosen = versions.filter(number=version).first() if version is not None else versions.order_by("-number").first()
    missing = _("Dieses Dokument gibt es in diesem Vorgang nicht.")
    if chosen is None:
        raise Refused(404, "not_found", missing)
    response = stored_file_response(chosen, filename=chosen.filename, missing=missing)
    audit_record(action="document.read", target=case, request=request, actor=user, details={"version": str(chosen.pk)})
    return response


@router.post(
    "/cases/{case_id}/status",
    response={200: CaseSummary, 409: Problem, **ERRORS},
    url_name="case_status",
    summary="Status setzen",
)
@strict_query
def case_status(request, case_id: uuid.UUID, payload: StatusIn):
    """Move the case to a status its Vorgangsart allows next; asking for the current status changes nothing."""
    user = acting(request, Scope.CASES_WRITE)
    case = _visible_case(user, case_id)
    if case.status != payload.status:
        if case.definition.status(payload.status) is None:
            raise Refused(422, "unknown_status", _("Diesen Status gibt es in der Vorgangsart nicht."))
        case_services.case_status_change(case=case, status=payload.status, actor=user)
        case = _visible_case(user, case_id)
    return _summary(case)


@router.post(
    "/cases/{case_id}/documents",
    response={201: DocumentOut, 409: Problem, 413: Problem, 503: Problem, **ERRORS},
    url_name="case_document_add",
    summary="Dokument ablegen",
)
@strict_query
def case_document_add(
    request,
    case_id: uuid.UUID,
    title: str = Form(..., min_length=1, max_length=200),
    file: UploadedFile = File(...),
):
    """File a document from the Fachverfahren in the case (as an internal document).

    The file is checked by its content and scanned like a citizen's upload. Send an
    `Idempotency-Key` header to retry safely: a retry with the same key files nothing new
    and gets the first answer.
    """
    user = acting(request, Scope.CASES_WRITE)
    case = _visible_case(user, case_id)
    operation = f"case_document_add:{case.pk}"
    key = idempotency.key_from(request)
    replay = idempotency.replay(request.auth, key, operation)
    if replay is not None:
        return Status(*replay)
    if file.size > default_limit_bytes():
        raise Refused(413, "too_large", _("Die Datei ist zu groß."))
    name, mime, stored = upload_store(uploaded=file, allowed_types=DOCUMENT_FILE_TYPES, namespace="cases")
    try:
        with transaction.atomic():
            locked = case_services.case_for_update(case)
            document = case_services.document_add(
                case=locked,
                kind=Document.Kind.INTERNAL,
                direction=Document.Direction.INTERNAL,
                title=title.strip() or name,
                filename=name,
                content_type=mime,
                stored=stored,
                user=user,
            )
            body = DocumentOut.model_validate(_document(case, document)).model_dump(mode="json")
            idempotency.remember(request.auth, key, operation, 201, body)
    except (case_services.CaseActionRefused, IntegrityError):
        # Nothing was filed: the file must not stay behind. A lost race on the key replays the winner.
        delete_stored(stored.path)
        replay = idempotency.replay(request.auth, key, operation)
        if replay is not None:
            return Status(*replay)
        raise
    return Status(201, body)
