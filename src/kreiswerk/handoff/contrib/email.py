"""E-mail to a functional mailbox of the office, with the receipt PDF attached.

For offices whose Fachverfahren reads a mailbox. The Message-ID is derived from the
delivery, so a mail system that saw a repeat after a lost answer can recognise it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from kreiswerk.assistants.definition import localized
from kreiswerk.submissions.receipt import TIME_ZONE
from kreiswerk.submissions.tasks import MAIL_TIMEOUT_SECONDS

from ..base import Channel, Outcome, Unreachable
from ..models import Delivery, Destination
from ..package import Package
from ..registry import register


@register
class EmailChannel(Channel):
    kind = Destination.Kind.EMAIL

    def clean(self, destination: Destination) -> dict[str, str]:
        try:
            validate_email(destination.email)
        except ValidationError:
            return {"email": _("Bitte geben Sie die Adresse des Funktionspostfachs an.")}
        return {}

    def deliver(self, *, delivery: Delivery, package: Package) -> Outcome:
        submission = package.submission
        with override("de"):
            local = timezone.localtime(submission.submitted_at, TIME_ZONE)
            title = localized(submission.version.parsed.title, "de")
            context = {
                "title": title,
                "reference": submission.reference,
                "submitted": date_format(local, "d.m.Y H:i"),
                "unit_name": submission.unit.name,
                "mandant_name": submission.mandant.name,
                "is_test": submission.is_test,
                "files": [item for item in package.files if item.purpose == "attachment"],
            }
            subject = _("Neuer Antrag: %(title)s (Aktenzeichen %(reference)s)") % {
                "title": title,
                "reference": submission.reference,
            }
            if submission.is_test:
                subject = _("[Test] %(subject)s") % {"subject": subject}
            body = render_to_string("handoff/email/delivery.txt", context)
        host = settings.KREISWERK_BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "kreiswerk"
        message = EmailMessage(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.destination.email],
            headers={"Auto-Submitted": "auto-generated", "Message-ID": f"<{delivery.pk}@{host}>"},
        )
        for item in package.files:
            message.attach(item.filename, item.content, item.content_type)
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or MAIL_TIMEOUT_SECONDS
        message.connection = get_connection(timeout=timeout)
        try:
            message.send()
        except OSError as exc:  # smtplib's errors are OSErrors: the server is away or refused for now
            raise Unreachable(_("E-Mail-Server nicht erreichbar (%(error)s)") % {"error": type(exc).__name__}) from exc
        return Outcome(confirmed=False)
