""" "Mein Antrag": the applicant's page of one application, reached through the link in the receipt.

The link is the only key (a MAC of the submission id, see ``submissions.links``):
a wrong or altered link is a plain 404. Every look at the case through it is
recorded in the audit log without an actor.
"""

import logging

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from kreiswerk.assistants.definition import localized
from kreiswerk.audit.services import audit_record
from kreiswerk.cases import inquiries
from kreiswerk.cases.decisions import decision_retrieved
from kreiswerk.cases.models import Inquiry
from kreiswerk.crypto.envelope import DecryptionError
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.payments.selectors import allow_pay_page, fee_context
from kreiswerk.submissions.export import ascii_filename
from kreiswerk.submissions.filecheck import FileRejected, accept_attribute, type_labels
from kreiswerk.submissions.links import status_token_valid
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.uploads import add_upload_errors, default_limit_bytes, format_size, set_upload_limit

from . import forms, selectors

logger = logging.getLogger(__name__)


def _submission(submission_id, token) -> Submission:
    if not status_token_valid(submission_id, token):
        raise Http404
    return get_object_or_404(Submission.objects.select_related("version", "mandant", "unit"), pk=submission_id)


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def status(request, submission_id, token):
    submission = _submission(submission_id, token)
    case = selectors.case_of(submission)
    context = {
        "submission": submission,
        "token": token,
        "title": localized(submission.version.parsed.title),
        "case": case,
        **fee_context(submission),
    }
    if case is not None:
        audit_record(action="case.applicant_read", target=case, request=request, details={"via": "status_link"})
        definition = case.definition
        inquiries = list(selectors.inquiries_of(case))
        context.update(
            {
                "status_text": selectors.status_text(case),
                "open_inquiries": [item for item in inquiries if item.state == Inquiry.State.OPEN],
                "answered_inquiries": [item for item in inquiries if item.state == Inquiry.State.ANSWERED],
                "received": list(selectors.documents_received(case)),
                "sent": selectors.decisions_sent(case),
                "case_title": localized(definition.title),
            }
        )
    return _private(allow_pay_page(render(request, "applicant/status.html", context)))


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def inquiry_page(request, submission_id, token, inquiry_id):
    # The upload limit must be set before anything reads the body, CSRF included.
    submission = _submission(submission_id, token)
    inquiry = get_object_or_404(Inquiry.objects.select_related("case"), pk=inquiry_id, case__submission=submission)
    if inquiry.state != Inquiry.State.OPEN or not inquiry.case.is_open:
        messages.info(request, _("Diese Rückfrage ist bereits beantwortet oder nicht mehr offen."))
        return redirect("applicant:status", submission_id=submission.pk, token=token)
    if request.method == "POST":
        set_upload_limit(request, default_limit_bytes(), max_files=inquiries.ANSWER_MAX_FILES)
    return _inquiry_answer(request, submission, token, inquiry)


@csrf_protect
def _inquiry_answer(request, submission, token, inquiry):
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST":
        upload_failed = add_upload_errors(form, request)
        if form.is_valid() and not upload_failed:
            try:
                inquiries.inquiry_answer(
                    inquiry=inquiry,
                    text=form.cleaned_data["answer"],
                    files=request.FILES.getlist("dateien") if inquiry.allows_upload else [],
                    request=request,
                )
            except (inquiries.AnswerRefused, FileRejected) as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("Vielen Dank. Ihre Antwort ist bei uns eingegangen."))
                return redirect("applicant:status", submission_id=submission.pk, token=token)
    errors = [
        {"message": error, "anchor": "id_answer" if name == "answer" else "id_dateien" if name is None else ""}
        for name, field_errors in form.errors.items()
        for error in field_errors
    ]
    return _private(
        render(
            request,
            "applicant/inquiry.html",
            {
                "submission": submission,
                "token": token,
                "inquiry": inquiry,
                "form": form,
                "errors": errors,
                "accept": accept_attribute(inquiries.ANSWER_FILE_TYPES),
                "types": type_labels(inquiries.ANSWER_FILE_TYPES),
                "max_size": format_size(default_limit_bytes()),
                "max_files": inquiries.ANSWER_MAX_FILES,
                "title": localized(submission.version.parsed.title),
            },
        )
    )


@require_GET
def document(request, submission_id, token, document_id):
    submission = _submission(submission_id, token)
    case = selectors.case_of(submission)
    found = selectors.document_for_applicant(case, document_id) if case else None
    if found is None:
        raise Http404
    document, version, decision = found
    try:
        chunks = open_decrypted(version.path, bytes(version.key))
    except (FileNotFoundError, ValueError, TypeError, DecryptionError) as exc:
        logger.error("document version %s unavailable: %s", version.pk, type(exc).__name__)
        raise Http404 from None
    if decision is not None:
        decision_retrieved(decision=decision, request=request)
    audit_record(
        action="document.applicant_read",
        target=case,
        request=request,
        details={"version": str(version.pk), "via": "status_link"},
    )
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(version.filename)}"'
    response["Content-Length"] = str(version.size)
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)
