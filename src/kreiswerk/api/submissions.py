"""Submissions for a Fachverfahren: list the received applications, read one, fetch its attachments."""

import datetime
import uuid

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from kreiswerk.audit.services import audit_record
from kreiswerk.cases.selectors import cursor_decode, cursor_encode
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.selectors import day_start, submissions_visible_to

from .auth import acting
from .cases import BINARY, ERRORS
from .downloads import stored_file_response
from .models import Scope
from .problems import Refused, strict_query
from .representation import schema_path, submission_summary
from .schemas import IsoDate, SubmissionDetail, SubmissionPage

router = Router(tags=["Anträge"])


def _not_found():
    return Refused(404, "not_found", _("Diesen Antrag gibt es nicht oder er ist für diesen Zugang nicht sichtbar."))


@router.get(
    "/submissions", response={200: SubmissionPage, **ERRORS}, url_name="submission_list", summary="Anträge auflisten"
)
@strict_query
def submission_list(
    request,
    assistant: str = "",
    submitted_from: IsoDate | None = None,
    include_tests: bool = False,
    cursor: str = "",
    limit: int = Query(25, ge=1, le=100),
):
    """Received applications of the client's units, oldest first, a page at a time."""
    user = acting(request, Scope.SUBMISSIONS_READ)
    qs = submissions_visible_to(user).select_related("assistant", "unit", "version", "case").defer("payload")
    if assistant:
        qs = qs.filter(assistant__slug=assistant)
    if submitted_from is not None:
        qs = qs.filter(submitted_at__gte=day_start(submitted_from))
    if not include_tests:
        qs = qs.filter(is_test=False)
    if cursor:
        position = cursor_decode(cursor)
        if position is None or not isinstance(position[0], datetime.datetime):
            raise Refused(422, "invalid_cursor", _("Der Cursor ist ungültig. Bitte beginnen Sie ohne Cursor."))
        moment, pk = position
        qs = qs.filter(Q(submitted_at__gt=moment) | Q(submitted_at=moment, pk__gt=pk), submitted_at__gte=moment)
    rows = list(qs.order_by("submitted_at", "pk")[: limit + 1])
    next_cursor = cursor_encode(rows[limit - 1].submitted_at, rows[limit - 1].pk) if len(rows) > limit else None
    rows = rows[:limit]
    audit_record(
        action="submission.list", request=request, actor=user, details={"submissions": [str(s.pk) for s in rows]}
    )
    return {"items": [submission_summary(submission) for submission in rows], "next_cursor": next_cursor}


def _visible_submission(user, submission_id: uuid.UUID) -> Submission:
    submission = (
        submissions_visible_to(user)
        .select_related("assistant", "unit", "version", "case")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise _not_found()
    return submission


@router.get(
    "/submissions/{submission_id}",
    response={200: SubmissionDetail, **ERRORS},
    url_name="submission_detail",
    summary="Antrag lesen",
)
@strict_query
def submission_detail(request, submission_id: uuid.UUID):
    """The answers as the citizen confirmed them (keys of the assistant's fields), computed values, attachments."""
    user = acting(request, Scope.SUBMISSIONS_READ)
    submission = _visible_submission(user, submission_id)
    audit_record(action="submission.read", target=submission, request=request, actor=user)
    return {
        **submission_summary(submission),
        "data_schema": schema_path(submission.version),
        "answers": submission.answers,
        "computed": submission.computed,
        "attachments": [
            {
                "id": attachment.pk,
                "field": attachment.field_key,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "content": reverse(
                    "api-v1:submission_attachment_content",
                    kwargs={"submission_id": submission.pk, "attachment_id": attachment.pk},
                ),
            }
            for attachment in submission.attachments.order_by("uploaded_at", "id")
        ],
    }


@router.get(
    "/submissions/{submission_id}/attachments/{attachment_id}/content",
    response={200: None, **ERRORS},
    url_name="submission_attachment_content",
    summary="Anlage herunterladen",
    openapi_extra={"responses": {200: {"description": "The uploaded file, unchanged.", **BINARY}}},
)
@strict_query
def submission_attachment_content(request, submission_id: uuid.UUID, attachment_id: uuid.UUID):
    user = acting(request, Scope.SUBMISSIONS_READ)
    submission = _visible_submission(user, submission_id)
    attachment = submission.attachments.filter(pk=attachment_id).first()
    missing = _("Diese Anlage gibt es in diesem Antrag nicht.")
    if attachment is None:
        raise Refused(404, "not_found", missing)
    response = stored_file_response(attachment, filename=attachment.filename, missing=missing)
    audit_record(
        action="attachment.read",
        target=submission,
        request=request,
        actor=user,
        details={"attachment": str(attachment.pk)},
    )
    return response
