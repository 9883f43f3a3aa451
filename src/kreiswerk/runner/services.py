"""The citizen's application in progress: drafts, resume links, attachments, purge."""

import hashlib
import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kreiswerk.crypto.files import delete_stored
from kreiswerk.identity.attributes import FROM_DOCUMENT
from kreiswerk.jobs import enqueue_on_commit
from kreiswerk.operations.services import Limit, allowance_take, client_bucket
from kreiswerk.submissions.models import Attachment

from .models import Draft, StepCount, StepCountMonth

SESSION_DRAFTS = "kreiswerk_drafts"
SESSION_SUBMISSIONS = "kreiswerk_submissions"


def _expiry():
    return timezone.now() + timedelta(days=settings.KREISWERK_DRAFT_DAYS)


@contextmanager
def draft_transaction():
    """One commit for a step's writes, without waiting for the disk on PostgreSQL.

    A crash may lose the last moments of a draft; the submit's commit is
    synchronous and flushes the log, so everything a submission builds on is
    durable once it is acknowledged.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def draft_start(*, version, language: str, is_test: bool = False, login=None, staff_author=None) -> Draft:
    """A new draft; with a citizen's login, prefilled from it (and locked when the login was verified)."""
    prefilled, locked = {}, {}
    if login is not None:
        for element in version.parsed.inputs():
            value = login.prefill(element.prefill) if element.prefill else None
            if value is not None:
                prefilled[element.key] = value
                if login.verified and element.prefill in FROM_DOCUMENT:
                    locked[element.key] = value
    if not is_test:
        step_count(assistant_id=version.assistant_id, step=StepCount.STARTED)
    return Draft.objects.create(
        version=version,
        language=language,
        is_test=is_test,
        expires_at=_expiry(),
        answers=prefilled,
        citizen=login.citizen if login else None,
        identity_level=login.level if login else None,
        locked=locked,
        staff_author=staff_author,
    )


def draft_save(*, draft: Draft, answers: dict, completed_step: str | None = None) -> Draft:
    # Values from an ID-card login stay as they came, whichever page posted.
    draft.answers = {**answers, **draft.locked}
    if completed_step and completed_step not in draft.completed_steps:
        draft.completed_steps = [*draft.completed_steps, completed_step]
        if not draft.is_test:
            step_count(assistant_id=draft.version.assistant_id, step=completed_step)
    draft.expires_at = _expiry()
    draft.save(update_fields=["answers", "completed_steps", "expires_at", "updated_at"])
    return draft


def step_count(*, assistant_id: int, step: str) -> None:
    """Count one more application past ``step`` today (the cockpit shows where people give up).

    Counted per day and per month at once: a year's funnel reads the months, a period's
    edges the days.
    """
    today = timezone.localdate()
    with transaction.atomic():
        _increment(StepCount, assistant_id=assistant_id, step=step, day=today)
        _increment(StepCountMonth, assistant_id=assistant_id, step=step, month=today.replace(day=1))


def _increment(model, **key) -> None:
    if model.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, count=1)
    except IntegrityError:  # created by a concurrent request in between
        model.objects.filter(**key).update(count=F("count") + 1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def draft_login_matches(draft: Draft, login: dict | None) -> bool:
    """A draft begun after a login continues only under the same person's login, at its level or above.

    ``login`` is the session's record of the login (``identity.selectors.session_login``).
    """
    if draft.citizen_id is None:
        return True
    return (
        login is not None
        and login.get("id") == str(draft.citizen_id)
        and login.get("level", 0) >= (draft.identity_level or 0)
    )


def draft_resume_token_create(*, draft: Draft) -> str:
    """A new secret for the resume link; only its hash is stored, an older link stops working."""
    token = secrets.token_urlsafe(32)
    draft.resume_token_hash = _token_hash(token)
    draft.save(update_fields=["resume_token_hash", "updated_at"])
    return token


class ResumeLinkLimited(Exception):
    """Too many resume links this hour: for the draft, the recipient or the client address."""


def draft_resume_link_request(*, draft: Draft, email: str, client_address: str | None) -> None:
    """Remember the address (encrypted) and send the link from a job (the token never enters the queue).

    Anyone can start a draft and name any address, so the mails are limited per clock
    hour, per draft, per recipient and per client address: the form must not become a
    way to flood inboxes. A client whose address is unknown is limited by the others.
    """
    from .tasks import draft_resume_link_send

    limits = [
        Limit("resume-link-draft", str(draft.pk), settings.KREISWERK_RESUME_LINKS_PER_DRAFT, 3600),
        Limit("resume-link-recipient", email.lower(), settings.KREISWERK_RESUME_LINKS_PER_RECIPIENT, 3600),
    ]
    client = client_bucket(client_address)
    if client is not None:
        limits.append(Limit("resume-link-address", client, settings.KREISWERK_RESUME_LINKS_PER_ADDRESS, 3600))
    if not allowance_take(*limits):
        raise ResumeLinkLimited
    draft.resume_email = email
    draft.save(update_fields=["resume_email", "updated_at"])
    enqueue_on_commit(draft_resume_link_send, draft_id=str(draft.pk))


def draft_by_resume_token(token: str) -> Draft | None:
    if not token or len(token) > 100:
        return None
    return (
        Draft.objects.filter(
            resume_token_hash=_token_hash(token),
            submitted__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("version__assistant")
        .first()
    )


def drafts_purge(*, now=None) -> int:
    """Delete expired drafts and their encrypted files; returns how many drafts went."""
    now = now or timezone.now()
    count = 0
    for draft in Draft.objects.filter(expires_at__lte=now).iterator(chunk_size=200):
        with transaction.atomic():
            paths = list(Attachment.objects.filter(draft=draft).values_list("path", flat=True))
            draft.delete()
            transaction.on_commit(lambda paths=paths: [delete_stored(path) for path in paths])
        count += 1
    return count


def session_drafts(session) -> list[str]:
    return list(session.get(SESSION_DRAFTS, []))


def session_bind_draft(session, draft: Draft) -> None:
    ids = [i for i in session_drafts(session) if i != str(draft.pk)][-19:]
    session[SESSION_DRAFTS] = [*ids, str(draft.pk)]


def session_owns_submission(session, submission_id) -> bool:
    """Whether this browser session made the submission (receipt, payment)."""
    return str(submission_id) in session.get(SESSION_SUBMISSIONS, [])


def session_bind_submission(session, submission) -> None:
    ids = list(session.get(SESSION_SUBMISSIONS, []))[-19:]
    if str(submission.pk) not in ids:
        session[SESSION_SUBMISSIONS] = [*ids, str(submission.pk)]
