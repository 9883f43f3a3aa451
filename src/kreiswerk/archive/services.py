"""Writes of the Aussonderung: listing expired cases, the decision, destruction, hand-over, confirmation.

Every step writes an audit entry. A refused step raises ``ArchiveActionRefused`` with a
German message for the user. A case is deleted in one transaction, in the order the
foreign keys demand (document versions, documents, the case with what cascades from it,
then its submission with attachments and drafts, then the Akte if it is empty); the
encrypted files go only after the commit, each exactly once (document versions point at
the submission's files). Their data keys lived in the deleted rows, so a file left
behind by a crash after the commit can no longer be decrypted.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kreiswerk.audit.services import audit_record
from kreiswerk.cases.models import Akte, Case, Document, DocumentVersion
from kreiswerk.crypto.files import delete_stored
from kreiswerk.jobs import enqueue_on_commit
from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Attachment
from kreiswerk.submissions.receipt import unit_chain

from . import package, selectors
from .models import Decision, DeletionRecord, DisposalReview, HandOver

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 1000
OUTBOX_DIR_MODE = 0o700
OUTBOX_FILE_MODE = 0o600


class ArchiveActionRefused(Exception):
    """A step the state of the review or the case does not allow; the message is for the user."""


def _username(user) -> str:
    return user.get_username() if user is not None else ""


# --- listing ----------------------------------------------------------------------------------


def disposal_reviews_list(*, today: datetime.date | None = None) -> list[DisposalReview]:
    """List every closed case whose retention ran out and that is not listed yet; idempotent.

    Returns the reviews created now. The job runs daily; a second run lists nothing twice
    (one review per case, enforced by the database).
    """
    created = []
    expired = (
        selectors.cases_expired(today=today)
        .select_related("akte", "case_type", "version")
        .order_by("retention_until", "pk")
    )
    for case in expired.iterator(chunk_size=500):
        result = case.result_definition
        try:
            with transaction.atomic():
                review, is_new = DisposalReview.objects.get_or_create(
                    case=case,
                    defaults={
                        "akte": case.akte,
                        "mandant_id": case.mandant_id,
                        "unit_id": case.unit_id,
                        "case_reference": case.reference,
                        "akte_reference": case.akte.reference,
                        "case_type_title": case.case_type.title,
                        "result_title": result.title if result else case.result,
                        "closed_at": case.closed_at,
                        "retention_until": case.retention_until,
                        # Without a rule the archive law's default applies: offer it.
                        "proposed": case.disposal or Case.Disposal.OFFER,
                    },
                )
                if is_new:
                    audit_record(action="archive.review_listed", target=case, details={"review": review.pk})
        except IntegrityError:
            continue  # a concurrent run listed it
        if is_new:
            created.append(review)
    if created:
        logger.info("%s case(s) listed for the archive's decision", len(created))
    return created


# --- decision ---------------------------------------------------------------------------------


@transaction.atomic
def disposal_review_decide(*, review: DisposalReview, decision: str, reason: str, actor) -> DisposalReview:
    """Record the archive's decision: keep (hand over) or destroy; changeable until executed."""
    review = DisposalReview.objects.select_for_update().get(pk=review.pk)
    if decision not in Decision.values:
        raise ArchiveActionRefused(_("Bitte wählen Sie „übernehmen“ oder „vernichten“."))
    reason = reason.strip()
    if not reason:
        raise ArchiveActionRefused(_("Bitte begründen Sie die Entscheidung."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ArchiveActionRefused(
            _("Die Begründung darf höchstens %(max)s Zeichen lang sein.") % {"max": REASON_MAX_LENGTH}
        )
    if review.state not in {DisposalReview.State.LISTED, DisposalReview.State.DECIDED} or review.case_id is None:
        raise ArchiveActionRefused(
            _(
                "Über diesen Vorgang ist bereits abschließend entschieden; "
                "die Entscheidung kann nicht mehr geändert werden."
            )
        )
    if review.handover_id and review.handover.status in {HandOver.Status.PENDING, HandOver.Status.READY}:
        raise ArchiveActionRefused(
            _("Für diese Akte liegt ein Abgabepaket vor. Die Entscheidung kann nicht mehr geändert werden.")
        )
    review.decision = decision
    review.reason = reason
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.state = DisposalReview.State.DECIDED
    review.save(update_fields=["decision", "reason", "decided_by", "decided_at", "state"])
    audit_record(
        action="archive.decide",
        target=review.case,
        actor=actor,
        details={"review": review.pk, "decision": decision},
    )
    return review


# --- deleting a case --------------------------------------------------------------------------


def _files_delete(paths: list[str]) -> None:
    for path in paths:
        try:
            delete_stored(path)
        except (OSError, ValueError) as exc:
            logger.error("stored file could not be deleted: %s", type(exc).__name__)


def _case_erase(*, review: DisposalReview, actor, outcome: str, handover: HandOver | None = None) -> DeletionRecord:
    """Delete the review's case with everything that holds its data; returns the deletion record.

    Call inside a transaction with the review locked.
    """
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("akte__filing_position", "case_type", "version", "submission")
        .get(pk=review.case_id)
    )
    if case.is_open:
        raise ArchiveActionRefused(_("Der Vorgang ist wieder offen und wird nicht gelöscht."))
    versions = list(
        DocumentVersion.objects.filter(document__case=case)
        .select_related("document")
        .order_by("document__created_at", "document_id", "number")
    )
    paths = {version.path for version in versions}
    submission = case.submission
    attachments: list[Attachment] = []
    drafts: list[Draft] = []
    if submission is not None:
        drafts = list(Draft.objects.filter(submitted=submission))
        attachments = list(Attachment.objects.filter(submission=submission)) + list(
            Attachment.objects.filter(draft__in=drafts, submission=None)
        )
        paths |= {attachment.path for attachment in attachments}
        if submission.receipt_path:
            paths.add(submission.receipt_path)
    paths.discard("")
    counts = {
        "documents": Document.objects.filter(case=case).count(),
        "versions": len(versions),
        "files": len(paths),
        "parties": case.parties.count(),
        "notes": case.notes.count(),
        "events": case.events.count(),
        "deadlines": case.deadlines.count(),
        "reminders": case.reminders.count(),
        "submission": int(submission is not None),
        "attachments": len(attachments),
        "drafts": len(drafts),
    }
    documents = [
        {
            "kind": version.document.kind,
            "version": version.number,
            "content_type": version.content_type,
            "size": version.size,
            "sha256": version.sha256,
        }
        for version in versions
    ]
    result = case.result_definition
    akte = case.akte
    audit_record(
        action="archive.destroy" if outcome == DeletionRecord.Outcome.DESTROYED else "archive.delete_archived",
        target=case,
        actor=actor,
        details={
            "review": review.pk,
            "handover": str(handover.pk) if handover else "",
            "documents": counts["documents"],
            "files": counts["files"],
        },
    )

    # Everything the record keeps, taken before the rows go (a deleted instance loses its pk).
    record = DeletionRecord(
        review=review,
        mandant_id=case.mandant_id,
        unit_id=case.unit_id,
        outcome=outcome,
        case_uuid=case.pk,
        case_reference=case.reference,
        akte_reference=akte.reference,
        filing_position=akte.filing_position.number if akte.filing_position_id else "",
        case_type_key=case.case_type.key,
        case_type_title=case.case_type.title,
        case_type_version=case.version.number,
        result=case.result,
        result_title=result.title if result else "",
        received_at=case.received_at,
        closed_at=case.closed_at,
        retention_until=case.retention_until or review.retention_until,
        proposed=review.proposed,
        decision=review.decision,
        reason=review.reason,
        decided_by_user_id=review.decided_by_id,
        decided_by_username=_username(review.decided_by),
        decided_at=review.decided_at or timezone.now(),
        executed_by_user_id=actor.pk if actor is not None else None,
        executed_by_username=_username(actor),
        counts=counts,
        documents=documents,
        handover_id=handover.pk if handover else None,
        package_sha256=handover.sha256 if handover else "",
    )

    DocumentVersion.objects.filter(pk__in=[version.pk for version in versions]).delete()
    Document.objects.filter(case=case).delete()
    case.delete()  # parties, search tokens, events, notes, checks, reminders, deadlines cascade
    if submission is not None:
        Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
        Draft.objects.filter(pk__in=[draft.pk for draft in drafts]).delete()
        submission.delete()
    record.akte_deleted = not Case.objects.filter(akte_id=akte.pk).exists()
    if record.akte_deleted:
        akte.delete()
    record.save()
    review.case = None
    if record.akte_deleted:
        review.akte = None
    review.state = DisposalReview.State.COMPLETED
    review.completed_at = timezone.now()
    review.save(update_fields=["case", "akte", "state", "completed_at"])
    doomed = sorted(paths)
    transaction.on_commit(lambda: _files_delete(doomed))
    return record


def _refuse_protected() -> ArchiveActionRefused:
    return ArchiveActionRefused(
        _(
            "Der Vorgang ist noch mit anderen Daten verknüpft und konnte nicht gelöscht werden. "
            "Es wurde nichts gelöscht; bitte wenden Sie sich an den technischen Betrieb."
        )
    )


def disposal_review_destroy(*, review: DisposalReview, actor) -> DeletionRecord:
    """Destroy a case the archive decided not to keep; leaves a deletion record."""
    try:
        with transaction.atomic():
            review = (
                DisposalReview.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=review.pk)
            )
            if review.state == DisposalReview.State.COMPLETED or review.case_id is None:
                raise ArchiveActionRefused(_("Dieser Vorgang ist bereits ausgesondert."))
            if review.state != DisposalReview.State.DECIDED or review.decision != Decision.DESTROY:
                raise ArchiveActionRefused(_("Vernichtet werden nur Vorgänge, bei denen „vernichten“ entschieden ist."))
            return _case_erase(review=review, actor=actor, outcome=DeletionRecord.Outcome.DESTROYED)
    except (ProtectedError, RestrictedError) as exc:
        logger.error("case of review %s could not be deleted: %s", review.pk, type(exc).__name__)
        raise _refuse_protected() from None


def disposal_destroys_execute(*, actor=None) -> tuple[int, int]:
    """Destroy every case decided 'destroy'; returns (destroyed, refused)."""
    destroyed = refused = 0
    pending = DisposalReview.objects.filter(state=DisposalReview.State.DECIDED, decision=Decision.DESTROY)
    for review in pending.order_by("pk"):
        try:
            disposal_review_destroy(review=review, actor=actor)
            destroyed += 1
        except ArchiveActionRefused:
            logger.warning("review %s: destruction refused", review.pk)
            refused += 1
    return destroyed, refused


# --- hand-over --------------------------------------------------------------------------------


def outbox_dir() -> Path:
    return Path(settings.KREISWERK_ARCHIVE_OUTBOX)


def _outbox_delete(filename: str) -> None:
    if filename:
        with contextlib.suppress(FileNotFoundError):
            (outbox_dir() / filename).unlink()


@transaction.atomic
def handover_start(*, akte: Akte, actor) -> HandOver:
    """Start building the hand-over package of ``akte``; every case must be decided 'keep'.

    An earlier package of the Akte that is not confirmed is replaced (its file removed).
    """
    akte = Akte.objects.select_for_update(of=("self",)).select_related("mandant", "unit").get(pk=akte.pk)
    cases = list(Case.objects.filter(akte=akte).order_by("received_at", "pk"))
    if not cases:
        raise ArchiveActionRefused(_("Diese Akte enthält keine Vorgänge mehr."))
    reviews = list(DisposalReview.objects.select_for_update().filter(case__in=cases))
    if selectors.akte_handover_blockers(akte) or len(reviews) != len(cases):
        raise ArchiveActionRefused(
            _("Übergeben wird eine Akte erst, wenn für jeden ihrer Vorgänge „übernehmen“ entschieden ist.")
        )
    earlier = list(
        HandOver.objects.select_for_update().filter(
            akte=akte, status__in=[HandOver.Status.PENDING, HandOver.Status.READY, HandOver.Status.FAILED]
        )
    )
    for old in earlier:
        old.status = HandOver.Status.SUPERSEDED
        old.save(update_fields=["status"])
        transaction.on_commit(lambda name=old.filename: _outbox_delete(name))
    handover = HandOver.objects.create(
        akte=akte, akte_reference=akte.reference, mandant=akte.mandant, unit=akte.unit, created_by=actor
    )
    DisposalReview.objects.filter(pk__in=[review.pk for review in reviews]).update(
        handover=handover, state=DisposalReview.State.DECIDED
    )
    for case in cases:
        audit_record(action="archive.handover_start", target=case, actor=actor, details={"handover": str(handover.pk)})
    from .tasks import archive_handover_build  # the task module imports these services

    enqueue_on_commit(archive_handover_build, handover_id=str(handover.pk))
    return handover


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _outbox_ready() -> Path:
    directory = outbox_dir()
    directory.mkdir(mode=OUTBOX_DIR_MODE, parents=True, exist_ok=True)
    return directory


def handover_build(*, handover: HandOver) -> HandOver:
    """Write the package into the outbox; the reviews then await the archive's confirmation.

    Runs in the background, outside any transaction while the ZIP is written. A package
    that cannot be built (a file missing or damaged) is marked failed; anything else is
    raised so the job is retried.
    """
    handover = HandOver.objects.select_related("akte__mandant", "akte__filing_position", "unit").get(pk=handover.pk)
    if handover.status != HandOver.Status.PENDING:
        return handover
    if handover.akte is None:
        HandOver.objects.filter(pk=handover.pk, status=HandOver.Status.PENDING).update(
            status=HandOver.Status.FAILED, error="akte-missing"
        )
        return HandOver.objects.get(pk=handover.pk)
    directory = _outbox_ready()
    filename = package.package_filename(handover.pk)
    partial = directory / f".{filename}.part"
    decisions = {review.case_id: "A" for review in handover.reviews.filter(decision=Decision.KEEP).exclude(case=None)}
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OUTBOX_FILE_MODE)
        with os.fdopen(fd, "wb") as target:
            package.akte_package_write(
                akte=handover.akte,
                process_id=handover.pk,
                target=target,
                sender_unit_name=unit_chain(handover.unit),
                decisions=decisions,
            )
            target.flush()
            os.fsync(target.fileno())
        size, sha256 = _file_digest(partial)
    except package.PackageError as exc:
        logger.error("hand-over %s failed: %s", handover.pk, exc)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        HandOver.objects.filter(pk=handover.pk, status=HandOver.Status.PENDING).update(
            status=HandOver.Status.FAILED, error="file-unavailable"
        )
        return HandOver.objects.get(pk=handover.pk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    os.replace(partial, directory / filename)
    with transaction.atomic():
        handover = HandOver.objects.select_for_update().get(pk=handover.pk)
        if handover.status != HandOver.Status.PENDING:
            # Replaced while it was being built: this file is not wanted.
            transaction.on_commit(lambda: _outbox_delete(filename))
            return handover
        handover.status = HandOver.Status.READY
        handover.filename = filename
        handover.size = size
        handover.sha256 = sha256
        handover.built_at = timezone.now()
        handover.save(update_fields=["status", "filename", "size", "sha256", "built_at"])
        reviews = handover.reviews.exclude(case=None).select_related("case")
        for review in reviews:
            audit_record(
                action="archive.handover_built",
                target=review.case,
                actor=handover.created_by,
                details={"handover": str(handover.pk)},
            )
        reviews.update(state=DisposalReview.State.HANDED_OVER)
    logger.info("hand-over %s written (%s bytes)", handover.pk, size)
    return handover


def handover_confirm(*, handover: HandOver, actor) -> list[DeletionRecord]:
    """The archive confirmed receipt ("Übernahme bestätigt"): delete the cases, keep deletion records."""
    try:
        with transaction.atomic():
            handover = HandOver.objects.select_for_update().get(pk=handover.pk)
            if handover.status == HandOver.Status.CONFIRMED:
                raise ArchiveActionRefused(_("Die Übernahme dieser Abgabe ist bereits bestätigt."))
            if handover.status != HandOver.Status.READY:
                raise ArchiveActionRefused(
                    _("Bestätigt werden kann nur ein Abgabepaket, das zur Abholung bereitliegt.")
                )
            reviews = list(
                handover.reviews.select_for_update(of=("self",))
                .select_related("decided_by")
                .filter(state=DisposalReview.State.HANDED_OVER)
                .exclude(case=None)
                .order_by("pk")
            )
            records = [
                _case_erase(review=review, actor=actor, outcome=DeletionRecord.Outcome.ARCHIVED, handover=handover)
                for review in reviews
            ]
            handover.status = HandOver.Status.CONFIRMED
            handover.confirmed_by = actor
            handover.confirmed_at = timezone.now()
            handover.save(update_fields=["status", "confirmed_by", "confirmed_at"])
            # The archive holds the package now; no plaintext copy stays behind.
            transaction.on_commit(lambda name=handover.filename: _outbox_delete(name))
            return records
    except (ProtectedError, RestrictedError) as exc:
        logger.error("hand-over %s: a case could not be deleted: %s", handover.pk, type(exc).__name__)
        raise _refuse_protected() from None
