"""Published assistants, the JSON Schema of their submission data, and submitting machine to machine."""

import json
import uuid

from django.conf import settings
from django.db import IntegrityError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, FormatChecker
from ninja import Form, Router, Status

from kreiswerk.assistants import evaluation
from kreiswerk.assistants.definition import localized
from kreiswerk.assistants.models import AssistantVersion
from kreiswerk.assistants.submission_schema import submission_schema
from kreiswerk.audit.services import audit_record
from kreiswerk.runner.services import draft_save, draft_start
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.services import SubmitRefused, attachment_discard, attachment_store, submission_submit
from kreiswerk.submissions.uploads import MB
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import has_role

from . import idempotency
from .auth import acting
from .cases import ERRORS
from .models import Scope
from .problems import LANGUAGES, Refused, both, strict_query
from .representation import schema_path, submission_summary
from .schemas import AssistantOut, Problem, SubmissionSummary

router = Router(tags=["Antragsassistenten"])

SCHEMA_MISMATCH = _("Dieser Wert passt nicht zum Schema der Antragsdaten.")
UNKNOWN_FIELD = _("Dieses Feld gibt es im Antragsassistenten nicht.")


@router.get(
    "/assistants", response={200: list[AssistantOut], **ERRORS}, url_name="assistant_list", summary="Antragsassistenten"
)
@strict_query
def assistant_list(request):
    """The published assistants of the client's Mandant, each with the schema of its submission data."""
    versions = (
        AssistantVersion.objects.filter(assistant__mandant=request.auth.mandant, state=AssistantVersion.State.PUBLISHED)
        .select_related("assistant__unit")
        .order_by("assistant__slug")
    )
    return [
        {
            "slug": version.assistant.slug,
            "title": str(localized(version.parsed.title, "de")),
            "version": version.number,
            "leika": version.parsed.leika,
            "unit": {"code": version.assistant.unit.code, "name": version.assistant.unit.name},
            "data_schema": schema_path(version),
        }
        for version in versions
    ]


@router.get(
    "/assistants/{slug}/versions/{number}/schema.json",
    response={200: dict, **ERRORS},
    url_name="assistant_schema",
    summary="JSON Schema der Antragsdaten",
)
@strict_query
def assistant_schema(request, slug: str, number: int):
    """JSON Schema (2020-12) of `{"answers", "computed"}` of submissions made with this version."""
    version = (
        AssistantVersion.objects.filter(
            assistant__mandant=request.auth.mandant,
            assistant__slug=slug,
            number=number,
            state__in=[
                AssistantVersion.State.PUBLISHED,
                AssistantVersion.State.SUPERSEDED,
                AssistantVersion.State.RETIRED,
            ],
        )
        .select_related("assistant")
        .first()
    )
    if version is None:
        raise Refused(404, "not_found", _("Diese Version des Antragsassistenten gibt es nicht."))
    return submission_schema(version.parsed, schema_id=request.build_absolute_uri(schema_path(version)))


# --- submitting machine to machine ------------------------------------------------------------


def _published(request, slug: str) -> AssistantVersion:
    version = (
        AssistantVersion.objects.filter(
            assistant__mandant=request.auth.mandant, assistant__slug=slug, state=AssistantVersion.State.PUBLISHED
        )
        .select_related("assistant__unit", "assistant__mandant")
        .first()
    )
    if version is None:
        raise Refused(404, "not_found", _("Diesen Antragsassistenten gibt es nicht oder er ist nicht veröffentlicht."))
    return version


def _submission_key(request) -> uuid.UUID:
    try:
        return uuid.UUID(request.headers.get(idempotency.HEADER, ""))
    except ValueError:
        raise Refused(
            422, "invalid_idempotency_key", _("Bitte senden Sie im Kopf „Idempotency-Key“ eine UUID.")
        ) from None


def _field_errors_both(definition, answers: dict) -> list[dict]:
    """The server's own validation (rules between fields included), in German and English."""
    by_language = {}
    for language in LANGUAGES:
        with translation.override(language):
            by_language[language] = evaluation.all_errors(definition, evaluation.prune(definition, answers))
    return [
        {"field": error.key, "type": "invalid", "messages": {"de": error.message, "en": english.message}}
        for error, english in zip(by_language["de"], by_language["en"], strict=True)
    ]


def _schema_errors(definition, answers: dict) -> list[dict]:
    """Values of the wrong form or fields the assistant lacks; missing ones are left to the server's check."""
    schema = submission_schema(definition)
    known = schema["properties"]["answers"]["properties"]
    errors = [
        {"field": key, "type": "unknown_field", "messages": both(UNKNOWN_FIELD)}
        for key in sorted(set(answers) - set(known))
    ]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors({"answers": answers}):
        if error.validator in {"required", "additionalProperties"}:
            continue
        field = ".".join(str(part) for part in list(error.absolute_path)[1:])
        errors.append({"field": field, "type": "schema", "messages": {"de": str(SCHEMA_MISMATCH), "en": error.message}})
    return errors


@router.post(
    "/assistants/{slug}/submissions",
    response={200: SubmissionSummary, 201: SubmissionSummary, 409: Problem, 413: Problem, 503: Problem, **ERRORS},
    url_name="assistant_submit",
    summary="Antrag einreichen",
)
@strict_query
def assistant_submit(
    request,
    slug: str,
    data: str = Form(..., description='JSON: {"answers": {...}, "language": "de"}, answers as in the data schema'),
):
    """Submit an application machine to machine, checked exactly like a citizen's.

    `data` carries the answers as the assistant's data schema describes them, without file
    fields; each file field's files come as parts named like the field. The
    `Idempotency-Key` header (a UUID) is required: a retry with the same key returns the
    first submission (200) and never makes a second one. The submission then takes the
    citizen's path: receipt PDF, confirmation e-mail where the assistant has one, and the
    case in the responsible unit.
    """
    key = _submission_key(request)
    user = acting(request, Scope.SUBMISSIONS_CREATE)
    existing = Submission.objects.filter(idempotency_key=key).select_related("assistant", "unit", "version").first()
    if existing is not None:
        if existing.assistant.slug != slug or existing.mandant_id != request.auth.mandant_id:
            raise Refused(422, "idempotency_key_reused", idempotency.REUSED)
        return Status(200, submission_summary(existing))
    version = _published(request, slug)
    if not has_role(user, Role.CASEWORKER, version.assistant.unit):
        raise Refused(404, "not_found", _("Diesen Antragsassistenten gibt es nicht oder er ist nicht veröffentlicht."))
    definition = version.parsed
    try:
        payload = json.loads(data)
    except ValueError:
        raise Refused(422, "invalid", _("„data“ ist kein gültiges JSON.")) from None
    answers = payload.get("answers") if isinstance(payload, dict) else None
    language = payload.get("language", "de") if isinstance(payload, dict) else "de"
    if not isinstance(answers, dict) or language not in definition.languages:
        raise Refused(422, "invalid", _("„data“ braucht „answers“ (ein Objekt) und eine Sprache des Assistenten."))
    file_fields = {element.key: element for element in definition.inputs() if element.type == "file"}
    if set(answers) & set(file_fields) or set(request.FILES) - set(file_fields):
        raise Refused(
            422, "invalid", _("Dateien kommen als eigene Teile, benannt nach ihrem Feld, nicht in „answers“.")
        )
    draft = draft_start(version=version, language=language)
    try:
        submission = _submit(request, draft, definition, answers, file_fields, key)
    except BaseException:
        for attachment in draft.attachments.all():
            attachment_discard(attachment=attachment)
        draft.delete()
        raise
    audit_record(action="submission.create", target=submission, request=request, actor=user)
    return Status(201, submission_summary(submission))


def _submit(request, draft, definition, answers: dict, file_fields: dict, key: uuid.UUID) -> Submission:
    answers = dict(answers)
    for field_key, element in file_fields.items():
        uploads = request.FILES.getlist(field_key)
        if len(uploads) > element.file.get("max_files", 1):
            raise Refused(413, "too_many_files", _("Zu viele Dateien für ein Feld."))
        limit = element.file.get("max_size_mb", settings.KREISWERK_MAX_UPLOAD_MB) * MB
        if any(uploaded.size > limit for uploaded in uploads):
            raise Refused(413, "too_large", _("Die Datei ist zu groß."))
        stored = [
            attachment_store(draft=draft, field_key=field_key, uploaded=uploaded, allowed_types=element.file["types"])
            for uploaded in uploads
        ]
        if stored:
            answers[field_key] = [str(attachment.pk) for attachment in stored]
    errors = _schema_errors(definition, answers) or _field_errors_both(definition, answers)
    if errors:
        raise Refused(422, "invalid", _("Die Anfrage enthält fehlende oder ungültige Angaben."), errors=errors)
    draft_save(draft=draft, answers=answers)
    draft.submit_key = key
    try:
        draft.save(update_fields=["submit_key"])
    except IntegrityError:
        # The same key is being submitted right now by a concurrent retry: it wins.
        raise Refused(
            409, "in_progress", _("Dieser Antrag wird gerade schon eingereicht. Bitte fragen Sie gleich noch einmal.")
        ) from None
    try:
        # A submitting system settles fees itself; its applications go on at once.
        return submission_submit(draft=draft, submit_key=str(key), collect_fee=False)
    except SubmitRefused as refusal:
        raise Refused(422, "refused", refusal.message) from None
