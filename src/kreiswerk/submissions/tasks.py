"""Follow-up jobs of a submission: the stored receipt (then the case) and the confirmation e-mail.

The intake calls ``followup_enqueue(submission)`` inside its transaction; both
jobs start once it has committed. Jobs take the submission id only: the job
table is not encrypted, so no personal data goes into job arguments. Both jobs
are idempotent, so a retry or a second enqueue does no harm.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kreiswerk.assistants.definition import localized
from kreiswerk.jobs import enqueue_on_commit, retrying_task

from .links import status_url
from .models import Submission
from .receipt import TIME_ZONE, receipt_ensure

logger = logging.getLogger(__name__)

__all__ = [
    "followup_enqueue",
    "submission_confirmation_send",
    "submission_followup_start",
    "submission_receipt_create",
]

# Seconds an SMTP conversation may take while the submission row is locked.
MAIL_TIMEOUT_SECONDS = 30


def followup_enqueue(submission: Submission) -> None:
    """Create the receipt and send the confirmation, once the submission is committed.

    One job on the hot submit path; it fans out to the two jobs that retry on their own.
    """
    enqueue_on_commit(submission_followup_start, submission_id=str(submission.pk))


@retrying_task()
def submission_followup_start(*, submission_id: str) -> None:
    """Enqueue both follow-up jobs, each with its own retries."""
    submission_receipt_create.enqueue(submission_id=submission_id)
    submission_confirmation_send.enqueue(submission_id=submission_id)


@retrying_task()
def submission_receipt_create(*, submission_id: str) -> None:
    """Render the receipt PDF and store it encrypted (nothing happens if it exists); then open the case.

    The case takes the stored receipt as its first document, so it follows the receipt
    instead of racing it to render the same PDF.
    """
    from kreiswerk.cases.tasks import submission_case_open  # cases build on submissions, not the reverse

    submission = Submission.objects.select_related("mandant", "unit", "version").get(pk=submission_id)
    receipt_ensure(submission=submission)
    submission_case_open.enqueue(submission_id=submission_id)


@retrying_task(max_attempts=8)
def submission_confirmation_send(*, submission_id: str) -> None:
    """Send the confirmation e-mail once, if the assistant asks for one and an address was given.

    The row is locked while sending and ``confirmation_sent_at`` is set in the
    same transaction: a concurrent run waits and then finds it set; a failed
    send rolls back and is retried. (If the commit fails after the server took
    the message, the retry sends it again: at least once, never silently lost.)
    """
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update().select_related("mandant", "unit", "version").get(pk=submission_id)
        )
        if submission.confirmation_sent_at is not None:
            return
        address = confirmation_address(submission)
        if not address:
            return
        message = confirmation_message(submission, address)
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or MAIL_TIMEOUT_SECONDS
        message.connection = get_connection(timeout=timeout)
        message.send()
        submission.confirmation_sent_at = timezone.now()
        submission.save(update_fields=["confirmation_sent_at"])
    logger.info("confirmation sent for submission %s", submission_id)


def confirmation_address(submission: Submission) -> str:
    """The address from the assistant's ``confirmation_email_field``, or ""."""
    field = submission.version.parsed.confirmation_email_field
    if not field:
        return ""
    value = submission.answers.get(field)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    # One plain address: never a list, never a header line.
    if not value or "@" not in value or any(char in value for char in ",;\r\n<>"):
        return ""
    return value


def confirmation_message(submission: Submission, address: str) -> EmailMultiAlternatives:
    """The e-mail: no answers, only what identifies the case and how to reach the office.

    E-mail travels unencrypted, so it names the service, the reference, the
    time of receipt and the responsible unit, and nothing the citizen entered.
    """
    language = submission.language or settings.LANGUAGE_CODE
    with translation.override(language):
        local = timezone.localtime(submission.submitted_at, TIME_ZONE)
        title = localized(submission.version.parsed.title, language)
        context = {
            "title": title,
            "reference": submission.reference,
            "submitted_date": date_format(local, "d.m.Y"),
            "submitted_time": date_format(local, "H:i"),
            "mandant_name": submission.mandant.name,
            "unit_name": submission.unit.name,
            "base_url": settings.KREISWERK_BASE_URL,
            "status_link": status_url(submission.pk),
            "is_test": submission.is_test,
        }
        subject = _("Eingangsbestätigung: %(title)s (Aktenzeichen %(reference)s)") % {
            "title": title,
            "reference": submission.reference,
        }
        if submission.is_test:
            subject = _("[Test] %(subject)s") % {"subject": subject}
        text = render_to_string("submissions/email/confirmation.txt", context)
        html = render_to_string("submissions/email/confirmation.html", {**context, "language": language})
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message
