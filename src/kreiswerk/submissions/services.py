"""Intake: attachments are checked and encrypted on arrival; a submit is atomic and idempotent."""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.assistants import evaluation
from kreiswerk.assistants.definition import Definition
from kreiswerk.crypto.files import StoredFile, delete_stored, store_encrypted
from kreiswerk.identity.models import requirement

from . import filecheck, scanning
from .models import Attachment, ReferenceCounter, Submission
from .tasks import followup_enqueue
from .uploads import sanitize_filename

logger = logging.getLogger(__name__)


class SubmitRefused(Exception):
    """The application cannot be accepted as it stands; ``message`` is for the citizen."""

    def __init__(self, message: str, errors: list | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def upload_store(*, uploaded, allowed_types: list[str], namespace: str) -> tuple[str, str, StoredFile]:
    """Check an uploaded temporary file by content, scan it, then keep it encrypted.

    Returns the sanitised file name, the detected MIME type and the stored file.
    Raises ``filecheck.FileRejected`` (German message) for a wrong type, a
    virus, or a scanner that cannot be reached (fail closed).
    """
    name = sanitize_filename(uploaded.name)
    path = uploaded.temporary_file_path()
    checked = filecheck.check_file(path, original_name=name, allowed=allowed_types)
    scanning.scan_file(path)
    with open(path, "rb") as source:
        stored = store_encrypted(iter(lambda: source.read(64 * 1024), b""), namespace=namespace)
    return name, checked.mime, stored


def attachment_store(*, draft, field_key: str, uploaded, allowed_types: list[str]) -> Attachment:
    """A citizen's upload as an attachment of the draft (see ``upload_store``)."""
    name, mime, stored = upload_store(uploaded=uploaded, allowed_types=allowed_types, namespace="attachments")
    try:
        return Attachment.objects.create(
            draft=draft,
            field_key=field_key,
            filename=name,
            content_type=mime,
            size=stored.size,
            sha256=stored.sha256,
            path=stored.path,
            key=stored.key_header,
        )
    except Exception:
        delete_stored(stored.path)
        raise


def attachment_discard(*, attachment: Attachment) -> None:
    path = attachment.path
    attachment.delete()
    transaction.on_commit(lambda: delete_stored(path))


def _next_reference(mandant) -> str:
    year = timezone.localdate().year
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(mandant=mandant, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"{mandant.reference_prefix}-{year}-{counter.value:06d}"


def _referenced_attachment_ids(definition: Definition, answers: dict) -> set[str]:
    ids: set[str] = set()
    for element in definition.inputs():
        value = answers.get(element.key)
        if element.type == "file" and isinstance(value, list):
            ids.update(value)
        elif element.type == "repeat" and isinstance(value, list):
            children = [leaf for child in element.elements for leaf in child.inputs() if leaf.type == "file"]
            for item in value:
                for child in children:
                    ids.update(item.get(child.key) or [])
    return ids


def submission_submit(*, draft, submit_key: str, collect_fee: bool = True) -> Submission:
    """Turn a complete draft into a submission, exactly once per ``submit_key``.

    With a fee to pay online (``collect_fee``, a provider switched on, an amount above
    zero), the submission waits for the payment; the follow-up jobs start once it is booked.

    A double click, a browser retry or a concurrent request with the same key
    returns the first submission. Everything is written in one transaction:
    a crash before the commit leaves the draft as it was, ready for a retry.
    """
    from kreiswerk.payments.services import fee_to_collect  # payments build on submissions

    try:
        key = uuid.UUID(str(submit_key))
    except ValueError as exc:
        raise SubmitRefused(_stale_message()) from exc
    if draft.submitted_id is not None and key == draft.submit_key:
        return Submission.objects.get(pk=draft.submitted_id)  # a repeated submit of this draft
    if key != draft.submit_key:
        raise SubmitRefused(_stale_message())
    version = draft.version
    if not version.accepts_submissions and not draft.is_test:
        raise SubmitRefused(_not_available_message())
    if not draft.is_test and not version.assistant.in_window():
        raise SubmitRefused(_not_available_message())
    definition = version.parsed
    level, login_required = requirement(definition)
    if login_required and (draft.identity_level or 0) < level:
        raise SubmitRefused(_login_message())
    # Values from an ID-card login stay as they came, whatever was posted on the way.
    answers = evaluation.prune(definition, {**draft.answers, **(draft.locked or {})})
    errors = evaluation.all_errors(definition, answers)
    if errors:
        raise SubmitRefused(_incomplete_message(), errors)
    try:
        with transaction.atomic():
            # The draft row lock serialises concurrent submits of the same application.
            locked = type(draft).objects.select_for_update().get(pk=draft.pk)
            existing = Submission.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
            if locked.submit_key != key:
                raise SubmitRefused(_stale_message())
            assistant = version.assistant
            submission = Submission.objects.create(
                reference=_next_reference(assistant.mandant),
                mandant_id=assistant.mandant_id,
                unit_id=assistant.unit_id,
                assistant=assistant,
                version=version,
                payload={
                    "answers": answers,
                    "computed": evaluation.computed_values(definition, answers),
                },
                language=locked.language,
                is_test=locked.is_test,
                idempotency_key=key,
                citizen_id=locked.citizen_id,
                identity_level=locked.identity_level,
                staff_author_id=locked.staff_author_id,
            )
            referenced = _referenced_attachment_ids(definition, answers)
            handed_over = Attachment.objects.filter(draft=locked, id__in=referenced).update(
                submission=submission, draft=None
            )
            if handed_over != len(referenced):
                # An answer names a file this draft does not hold: refuse rather than store a dangling id.
                raise SubmitRefused(_incomplete_message())
            for attachment in Attachment.objects.filter(draft=locked):
                attachment_discard(attachment=attachment)
            locked.submitted = submission
            locked.answers = {}
            # Clearing the hash ends the resume link (not a password).
            locked.resume_token_hash = ""  # nosec B105
            locked.save(update_fields=["submitted", "answers", "resume_token_hash", "updated_at"])
            if collect_fee and fee_to_collect(submission):
                submission.awaiting_payment_since = timezone.now()
                submission.save(update_fields=["awaiting_payment_since"])
            else:
                followup_enqueue(submission)
    except IntegrityError:
        # Another process committed the same key between our check and our insert.
        existing = Submission.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    logger.info("submission %s accepted", submission.reference)
    return submission


def _stale_message() -> str:
    return _("Dieses Formular wurde bereits abgeschickt oder ist veraltet. Bitte laden Sie die Seite neu.")


def _login_message() -> str:
    return _(
        "Für diesen Antrag ist eine Anmeldung mit der BundID nötig. Bitte melden Sie sich an und beginnen Sie erneut."
    )


def _not_available_message() -> str:
    return _("Dieser Antrag kann derzeit nicht gestellt werden. Bitte wenden Sie sich an die zuständige Stelle.")


def _incomplete_message() -> str:
    return _("Ihr Antrag ist noch nicht vollständig. Bitte prüfen Sie die markierten Angaben.")
