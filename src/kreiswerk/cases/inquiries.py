"""Rückfragen: the caseworker asks, the applicant answers through the status link.

While a Rückfrage that suspends is open, the processing deadline stands still
(a ``DeadlineSuspension`` from the day of asking to the day of the answer);
the § 42a fiction is left alone, it only starts once the documents are
complete. Uploaded answers are checked by content, scanned and stored
encrypted before the transaction that files them, so a slow scan never holds
a lock and a rejected file leaves nothing behind.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kreiswerk.audit.services import audit_record
from kreiswerk.crypto.files import delete_stored
from kreiswerk.jobs import enqueue_on_commit
from kreiswerk.submissions.services import upload_store

from .models import Case, Document, Event, Inquiry
from .services import (
    CaseActionRefused,
    case_for_update,
    caseworker_required,
    deadlines_resume,
    deadlines_suspend,
    document_add,
    event_add,
)
from .tasks import applicant_notify

# What an applicant may send with an answer: documents and photos of documents.
ANSWER_FILE_TYPES = ["pdf", "jpeg", "png", "tiff", "docx", "odt"]
ANSWER_MAX_FILES = 5
QUESTION_MAX_CHARS = 5000
ANSWER_MAX_CHARS = 5000
SUSPENSION_REASON = "Rückfrage an die antragstellende Person"


class AnswerRefused(Exception):
    """The answer cannot be taken; the message is for the applicant."""


def inquiry_ask(
    *, case: Case, question: str, answer_by: datetime.date, allows_upload: bool, suspends: bool, actor
) -> Inquiry:
    question = question.strip()
    if not question or len(question) > QUESTION_MAX_CHARS:
        raise CaseActionRefused(gettext_lazy("Bitte formulieren Sie die Rückfrage (1 bis 5000 Zeichen)."))
    today = timezone.localdate()
    if answer_by <= today:
        raise CaseActionRefused(gettext_lazy("Die Antwortfrist muss nach dem heutigen Tag liegen."))
    caseworker_required(actor, case)
    with transaction.atomic():
        case = case_for_update(case)
        inquiry = Inquiry.objects.create(
            case=case,
            question=question,
            answer_by=answer_by,
            allows_upload=allows_upload,
            suspends=suspends,
            asked_by=actor,
        )
        event_add(case, Event.Kind.INQUIRY, actor, action="asked", inquiry=str(inquiry.pk))
        audit_record(action="case.inquiry_ask", target=case, actor=actor, details={"inquiry": str(inquiry.pk)})
        if suspends:
            deadlines_suspend(case=case, start=today, reason=SUSPENSION_REASON, actor=actor)
        enqueue_on_commit(applicant_notify, case_id=str(case.pk), reason="inquiry")
    return inquiry


def _resume_unless_still_waiting(case: Case, *, actor=None) -> None:
    """End the suspension once no suspending Rückfrage is open any more."""
    if not case.inquiries.filter(state=Inquiry.State.OPEN, suspends=True).exists():
        deadlines_resume(case=case, end=timezone.localdate(), actor=actor)


def inquiry_withdraw(*, inquiry: Inquiry, actor) -> Inquiry:
    with transaction.atomic():
        case = case_for_update(inquiry.case)
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if inquiry.state != Inquiry.State.OPEN:
            raise CaseActionRefused(gettext_lazy("Diese Rückfrage ist nicht mehr offen."))
        inquiry.state = Inquiry.State.WITHDRAWN
        inquiry.save(update_fields=["state"])
        event_add(case, Event.Kind.INQUIRY, actor, action="withdrawn", inquiry=str(inquiry.pk))
        audit_record(action="case.inquiry_withdraw", target=case, actor=actor, details={"inquiry": str(inquiry.pk)})
        if inquiry.suspends:
            _resume_unless_still_waiting(case, actor=actor)
    return inquiry


def inquiry_answer(*, inquiry: Inquiry, text: str, files: list, request=None) -> Inquiry:
    """File the applicant's answer and uploads in the case; a second answer is refused, never doubled.

    Raises ``AnswerRefused`` (or ``filecheck.FileRejected``) with a German message.
    """
    text = text.strip()
    if len(text) > ANSWER_MAX_CHARS:
        raise AnswerRefused(_("Ihre Antwort darf höchstens 5000 Zeichen lang sein."))
    if not text and not files:
        raise AnswerRefused(_("Bitte schreiben Sie eine Antwort oder laden Sie mindestens ein Dokument hoch."))
    if files and not inquiry.allows_upload:
        raise AnswerRefused(_("Zu dieser Rückfrage können keine Dokumente hochgeladen werden."))
    if len(files) > ANSWER_MAX_FILES:
        raise AnswerRefused(_("Bitte laden Sie höchstens 5 Dokumente auf einmal hoch."))
    if inquiry.state != Inquiry.State.OPEN:
        raise AnswerRefused(_("Diese Rückfrage ist bereits beantwortet oder nicht mehr offen."))
    stored_files = []
    try:
        for uploaded in files:
            stored_files.append(upload_store(uploaded=uploaded, allowed_types=ANSWER_FILE_TYPES, namespace="cases"))
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=inquiry.case_id)
            inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
            # Checked again under the lock: a double submit must not file the answer twice.
            if inquiry.state != Inquiry.State.OPEN or not case.is_open:
                raise AnswerRefused(_("Diese Rückfrage ist bereits beantwortet oder nicht mehr offen."))
            for name, content_type, stored in stored_files:
                document_add(
                    case=case,
                    kind=Document.Kind.ANSWER,
                    direction=Document.Direction.INCOMING,
                    title=_("Nachreichung: %(name)s") % {"name": name},
                    filename=name,
                    content_type=content_type,
                    stored=stored,
                    visible_to_applicant=True,
                    inquiry=inquiry,
                )
            inquiry.answer = text or None
            inquiry.answered_at = timezone.now()
            inquiry.state = Inquiry.State.ANSWERED
            inquiry.save(update_fields=["answer", "answered_at", "state"])
            event_add(case, Event.Kind.INQUIRY, None, action="answered", inquiry=str(inquiry.pk), files=len(files))
            audit_record(
                action="case.inquiry_answer",
                target=case,
                request=request,
                details={"inquiry": str(inquiry.pk), "via": "status_link"},
            )
            if inquiry.suspends:
                _resume_unless_still_waiting(case)
    except Exception:
        for _name, _type, stored in stored_files:
            delete_stored(stored.path)
        raise
    return inquiry
