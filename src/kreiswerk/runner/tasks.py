from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kreiswerk.assistants.definition import localized
from kreiswerk.jobs import retrying_task

from .models import Draft
from .services import draft_resume_token_create


@retrying_task(max_attempts=5)
def draft_resume_link_send(*, draft_id: str) -> None:
    draft = Draft.objects.select_related("version__assistant__mandant").filter(pk=draft_id).first()
    if draft is None or draft.submitted_id or not draft.resume_email:
        return
    token = draft_resume_token_create(draft=draft)
    with translation.override(draft.language):
        context = {
            "title": localized(draft.version.parsed.title, draft.language),
            "mandant": draft.version.assistant.mandant.name,
            "link": settings.KREISWERK_BASE_URL + reverse("runner:resume", kwargs={"token": token}),
            "expires_at": draft.expires_at,
        }
        subject = render_to_string("runner/email/resume_subject.txt", context).strip()
        body = render_to_string("runner/email/resume.txt", context)
    send_mail(subject, body, None, [draft.resume_email])
