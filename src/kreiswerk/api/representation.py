"""How a submission and an assistant version's schema appear in the API (shared by its routers)."""

from django.conf import settings
from django.urls import reverse

from kreiswerk.assistants.models import AssistantVersion
from kreiswerk.submissions.models import Submission


def schema_path(version: AssistantVersion) -> str:
    return reverse("api-v1:assistant_schema", kwargs={"slug": version.assistant.slug, "number": version.number})


def schema_uri(version: AssistantVersion) -> str:
    """The schema's address as hand-off metadata name it: absolute, on the configured base URL."""
    return settings.KREISWERK_BASE_URL + schema_path(version)


def submission_summary(submission: Submission) -> dict:
    case = getattr(submission, "case", None)
    return {
        "id": submission.pk,
        "reference": submission.reference,
        "assistant": submission.assistant.slug,
        "assistant_version": submission.version.number,
        "unit": {"code": submission.unit.code, "name": submission.unit.name},
        "submitted_at": submission.submitted_at,
        "language": submission.language,
        "case": case.pk if case is not None else None,
    }
