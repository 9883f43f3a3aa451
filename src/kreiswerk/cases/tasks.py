"""Jobs of the E-Akte: opening the case of a submission, and notices to the applicant.

Jobs take ids only: the job table is not encrypted.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kreiswerk.assistants.definition import localized
from kreiswerk.jobs import retrying_task
from kreiswerk.submissions.links import status_url
from kreiswerk.submissions.models import Submission

from .models import Case, Party
from .services import case_open_for_submission

logger = logging.getLogger(__name__)

NOTICE_REASONS = ("inquiry", "decision")


@retrying_task()
def submission_case_open(*, submission_id: str) -> None:
    """Open the case (with receipt and attachments) if the assistant is linked to a Vorgangsart; idempotent.

    Then the hand-off to Fachverfahren starts: after the case, so a confirmed arrival
    finds the case to note it in.
    """
    from kreiswerk.handoff.tasks import handoff_enqueue  # the hand-off builds on cases, not the reverse

    submission = Submission.objects.select_related("mandant", "unit", "version", "assistant").get(pk=submission_id)
    if not submission.is_test:
        case_open_for_submission(submission=submission)
    handoff_enqueue(submission)


@retrying_task(max_attempts=8)
def applicant_notify(*, case_id: str, reason: str) -> None:
    """Tell the applicant by e-mail that something waits on "Mein Antrag": a Rückfrage or a Bescheid.

    The e-mail names the reference and carries the link, nothing the applicant entered.
    At least once: a retry after the mail server took the message sends it again.
    """
    if reason not in NOTICE_REASONS:
        raise ValueError(reason)
    case = Case.objects.select_related("submission__version", "mandant", "unit").get(pk=case_id)
    party = case.parties.filter(role=Party.Role.APPLICANT, channel=Party.Channel.EMAIL).order_by("created_at").first()
    if case.submission is None or party is None or not party.email:
        logger.info("no e-mail notice for case %s: no online application or no address", case_id)
        return
    submission = case.submission
    language = submission.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "reason": reason,
            "title": localized(submission.version.parsed.title, language),
            "reference": submission.reference,
            "link": status_url(submission.pk),
            "mandant_name": case.mandant.name,
            "unit_name": case.unit.name,
            "language": language,
        }
        if reason == "inquiry":
            subject = _("Rückfrage zu Ihrem Antrag (Aktenzeichen %(reference)s)")
        else:
            subject = _("Ihr Bescheid steht zum Abruf bereit (Aktenzeichen %(reference)s)")
        subject = subject % {"reference": submission.reference}
        text = render_to_string("cases/email/notice.txt", context)
        html = render_to_string("cases/email/notice.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[party.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.send()
