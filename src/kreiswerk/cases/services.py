"""Writes of the E-Akte: Vorgangsarten, opening cases, caseworker actions, deadlines.

Every change of a case writes a timeline event (what the caseworkers see) and an
audit entry (what the auditors see). A refused action raises ``CaseActionRefused``
with a German message for the caseworker.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kreiswerk.assistants.models import Assistant
from kreiswerk.audit.services import audit_record
from kreiswerk.crypto import blind_index
from kreiswerk.crypto.files import StoredFile, open_decrypted
from kreiswerk.tenancy.models import Mandant, OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import has_role

from . import casetype as casetype_module
from .deadlines import GENEHMIGUNGSFIKTION, Duration, Suspension, deadline_due, fiction_due, period_end
from .models import (
    DEFAULT_REFERENCE_PATTERN,
    Akte,
    Case,
    CaseType,
    CaseTypeVersion,
    ChecklistCheck,
    Deadline,
    DeadlineExtension,
    DeadlineSuspension,
    Document,
    DocumentVersion,
    Event,
    FileCounter,
    FilingPosition,
    Note,
    Party,
    ReferencePattern,
    Reminder,
    SearchToken,
)
from .references import reference_format

logger = logging.getLogger(__name__)


class CaseActionRefused(Exception):
    """An action the case's state or the user's role does not allow; the message is for the user."""


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def event_add(case: Case, kind: str, actor=None, /, **data) -> Event:
    return Event.objects.create(case=case, kind=kind, actor=actor, data=data)


# --- type layer -------------------------------------------------------------------------------


def filing_position_ensure(*, mandant: Mandant, number: str, title: str) -> FilingPosition:
    """The Aktenplan position ``number``; its parent is the position with the number's last part cut off."""
    position = FilingPosition.objects.filter(mandant=mandant, number=number).first()
    if position:
        return position
    parent_number = number.rpartition(".")[0]
    parent = FilingPosition.objects.filter(mandant=mandant, number=parent_number).first() if parent_number else None
    return FilingPosition.objects.create(mandant=mandant, number=number, title=title, parent=parent)


@transaction.atomic
def casetype_import(
    *, data: dict, mandant: Mandant, unit: OrganisationalUnit, user=None, publish: bool = False
) -> CaseTypeVersion:
    """Store ``data`` as a new draft version of its Vorgangsart (created on first import)."""
    parsed = casetype_module.casetype_build(data)
    problems = []
    if unit.mandant_id != mandant.pk:
        problems.append(_("Die Organisationseinheit gehört nicht zu diesem Mandanten."))
    position = FilingPosition.objects.filter(mandant=mandant, number=parsed.filing_position).first()
    if position is None:
        problems.append(
            _("Die Aktenplanposition „%(number)s“ gibt es bei diesem Mandanten nicht.")
            % {"number": parsed.filing_position}
        )
    if parsed.assistant and not Assistant.objects.filter(mandant=mandant, slug=parsed.assistant).exists():
        problems.append(_("Den Antragsassistenten „%(slug)s“ gibt es nicht.") % {"slug": parsed.assistant})
    if problems:
        raise casetype_module.DefinitionError(problems)
    case_type, created = CaseType.objects.select_for_update().get_or_create(
        mandant=mandant,
        key=parsed.key,
        defaults={"unit": unit, "title": parsed.title, "filing_position": position},
    )
    if not created and case_type.unit_id != unit.pk:
        raise casetype_module.DefinitionError(
            [_("Die Vorgangsart „%(key)s“ gibt es schon in einer anderen Einheit.") % {"key": parsed.key}]
        )
    number = (case_type.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CaseTypeVersion.objects.create(case_type=case_type, number=number, definition=data, created_by=user)
    if publish:
        version = casetype_publish(version=version)
    return version


@transaction.atomic
def casetype_publish(*, version: CaseTypeVersion) -> CaseTypeVersion:
    """Publish ``version``: new cases use it; open cases keep the version they began with."""
    version = CaseTypeVersion.objects.select_for_update().select_related("case_type").get(pk=version.pk)
    if version.state == CaseTypeVersion.State.PUBLISHED:
        return version
    if version.state != CaseTypeVersion.State.DRAFT:
        raise ValueError("Only a draft version can be published.")
    CaseTypeVersion.objects.filter(case_type=version.case_type, state=CaseTypeVersion.State.PUBLISHED).update(
        state=CaseTypeVersion.State.SUPERSEDED
    )
    version.state = CaseTypeVersion.State.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_at"])
    parsed = version.parsed
    case_type = version.case_type
    case_type.title = parsed.title
    case_type.filing_position = FilingPosition.objects.get(mandant=case_type.mandant, number=parsed.filing_position)
    case_type.assistant = (
        Assistant.objects.filter(mandant=case_type.mandant, slug=parsed.assistant).first() if parsed.assistant else None
    )
    case_type.save()
    return version


# --- opening a case ---------------------------------------------------------------------------


def _next_file_reference(*, mandant: Mandant, unit: OrganisationalUnit, filing: str, year: int) -> str:
    pattern = ReferencePattern.objects.filter(mandant=mandant).values_list("pattern", flat=True).first()
    counter, _created = FileCounter.objects.select_for_update().get_or_create(mandant=mandant, year=year)
    counter.value += 1
    counter.save(update_fields=["value"])
    return reference_format(
        pattern or DEFAULT_REFERENCE_PATTERN,
        prefix=mandant.reference_prefix,
        unit=unit.code,
        filing=filing,
        year=year,
        number=counter.value,
    )


@transaction.atomic
def case_open(
    *,
    version: CaseTypeVersion,
    unit: OrganisationalUnit | None = None,
    received_at: datetime.datetime | None = None,
    submission=None,
    actor=None,
) -> Case:
    """Open a new Akte with its first Vorgang in the Vorgangsart's unit; the deadlines start."""
    case_type = version.case_type
    definition = version.parsed
    unit = unit or case_type.unit
    received_at = received_at or timezone.now()
    filing = case_type.filing_position
    reference = _next_file_reference(
        mandant=case_type.mandant,
        unit=unit,
        filing=filing.number if filing else "",
        year=timezone.localtime(received_at).year,
    )
    akte = Akte.objects.create(
        mandant=case_type.mandant, unit=unit, filing_position=filing, reference=reference, title=definition.title
    )
    case = Case.objects.create(
        akte=akte,
        mandant=case_type.mandant,
        unit=unit,
        case_type=case_type,
        version=version,
        submission=submission,
        reference=reference,
        status=definition.initial_status.key,
        status_changed_at=received_at,
        received_at=received_at,
    )
    if definition.processing_deadline:
        Deadline.objects.create(
            case=case,
            kind=Deadline.Kind.PROCESSING,
            start=local_date(received_at),
            duration=definition.processing_deadline.iso(),
        )
    deadlines_refresh(case=case)
    event_add(case, Event.Kind.OPENED, actor, status=case.status, submission=str(submission.pk) if submission else "")
    audit_record(action="case.open", target=case, actor=actor)
    return case


def _answer_text(answers: dict, key: str) -> str:
    value = answers.get(key) if key else None
    return value.strip() if isinstance(value, str) else ""


def _receipt_stored(submission) -> StoredFile:
    from kreiswerk.submissions.receipt import receipt_ensure

    submission = receipt_ensure(submission=submission)
    chunks = open_decrypted(submission.receipt_path, bytes(submission.receipt_key))
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
    finally:
        chunks.close()
    return StoredFile(
        path=submission.receipt_path, key_header=bytes(submission.receipt_key), size=size, sha256=digest.hexdigest()
    )


def published_case_type_for(assistant_id: int) -> CaseTypeVersion | None:
    return (
        CaseTypeVersion.objects.filter(case_type__assistant_id=assistant_id, state=CaseTypeVersion.State.PUBLISHED)
        .select_related("case_type__mandant", "case_type__unit", "case_type__filing_position")
        .first()
    )


def case_arrival_record(*, submission, destination: str) -> Case | None:
    """Note in the case's timeline that a Fachverfahren confirmed it has the submission."""
    case = Case.objects.filter(submission=submission).first()
    if case is not None:
        event_add(case, Event.Kind.HANDED_OFF, None, destination=destination)
    return case


def case_open_for_submission(*, submission) -> Case | None:
    """Open the case of a submission whose assistant is linked to a Vorgangsart; idempotent.

    The receipt PDF and every attachment become documents. They point at the
    submission's encrypted files: the files are never changed, so no copy is needed.
    """
    existing = Case.objects.filter(submission=submission).first()
    if existing:
        return existing
    version = published_case_type_for(submission.assistant_id)
    if version is None:
        return None
    receipt = _receipt_stored(submission)  # rendered outside the transaction: it takes a moment
    try:
        with transaction.atomic():
            case = case_open(version=version, received_at=submission.submitted_at, submission=submission)
            _applicant_from_answers(case=case, definition=version.parsed, answers=submission.answers)
            document_add(
                case=case,
                kind=Document.Kind.RECEIPT,
                direction=Document.Direction.INCOMING,
                title=_("Eingangsbestätigung %(reference)s") % {"reference": submission.reference},
                filename=f"Eingangsbestaetigung-{submission.reference}.pdf",
                content_type="application/pdf",
                stored=receipt,
                visible_to_applicant=True,
            )
            for attachment in submission.attachments.order_by("uploaded_at", "id"):
                document_add(
                    case=case,
                    kind=Document.Kind.ATTACHMENT,
                    direction=Document.Direction.INCOMING,
                    title=attachment.filename,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    stored=StoredFile(
                        path=attachment.path,
                        key_header=bytes(attachment.key),
                        size=attachment.size,
                        sha256=attachment.sha256,
                    ),
                    visible_to_applicant=True,
                )
    except IntegrityError:
        # A concurrent run opened it first (the submission link is unique).
        return Case.objects.get(submission=submission)
    logger.info("case %s opened for submission %s", case.pk, submission.pk)
    return case


def _applicant_from_answers(*, case: Case, definition, answers: dict) -> Party | None:
    mapping = definition.applicant
    name = " ".join(part for part in (_answer_text(answers, key) for key in mapping.name) if part)
    if not name:
        return None
    address = answers.get(mapping.address) if mapping.address else None
    email = _answer_text(answers, mapping.email)
    return party_add(
        case=case,
        role=Party.Role.APPLICANT,
        name=name,
        email=email or None,
        phone=_answer_text(answers, mapping.phone) or None,
        address=address if isinstance(address, dict) else None,
        channel=Party.Channel.EMAIL if email else Party.Channel.POST,
    )


def party_add(
    *,
    case: Case,
    role: str,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    address: dict | None = None,
    channel: str = Party.Channel.EMAIL,
) -> Party:
    party = Party.objects.create(
        case=case, role=role, name=name, email=email, phone=phone, address=address, channel=channel
    )
    existing = set(SearchToken.objects.filter(case=case).values_list("kind", "digest"))
    SearchToken.objects.bulk_create(
        [SearchToken(case=case, kind=kind, digest=digest) for kind, digest in _party_tokens(party) - existing]
    )
    return party


def _party_tokens(party: Party) -> set[tuple[str, str]]:
    tokens = {
        (SearchToken.Kind.NAME, blind_index.digest(word, purpose="name")) for word in blind_index.words(party.name)
    }
    if party.email:
        tokens.add((SearchToken.Kind.EMAIL, blind_index.digest(party.email, purpose="email")))
    return tokens


def search_tokens_rebuild(*, batch_size: int = 500) -> int:
    """Recompute the blind index of every case (after KREISWERK_INDEX_KEY changed); returns the cases done."""
    done = 0
    last = None
    while True:
        batch = Case.objects.order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        ids = list(batch.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        with transaction.atomic():
            SearchToken.objects.filter(case_id__in=ids).delete()
            tokens = set()
            for party in Party.objects.filter(case_id__in=ids):
                tokens |= {(party.case_id, kind, digest) for kind, digest in _party_tokens(party)}
            SearchToken.objects.bulk_create(
                [SearchToken(case_id=case_id, kind=kind, digest=digest) for case_id, kind, digest in tokens]
            )
        done += len(ids)
        last = ids[-1]


# --- documents --------------------------------------------------------------------------------


@transaction.atomic
def document_add(
    *,
    case: Case,
    kind: str,
    direction: str,
    title: str,
    filename: str,
    content_type: str,
    stored: StoredFile,
    user=None,
    visible_to_applicant: bool = False,
    inquiry=None,
) -> Document:
    document = Document.objects.create(
        case=case,
        kind=kind,
        direction=direction,
        title=title,
        visible_to_applicant=visible_to_applicant,
        inquiry=inquiry,
    )
    document_version_add(document=document, filename=filename, content_type=content_type, stored=stored, user=user)
    event_add(case, Event.Kind.DOCUMENT, user, document=str(document.pk), kind=kind)
    audit_record(action="document.add", target=case, actor=user, details={"document": str(document.pk)})
    return document


def document_version_add(
    *, document: Document, filename: str, content_type: str, stored: StoredFile, user=None
) -> DocumentVersion:
    """A new version beside the old ones: numbers are unique, so a race fails instead of overwriting."""
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        filename=filename,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        path=stored.path,
        key=stored.key_header,
        created_by=user,
    )


# --- caseworker actions -----------------------------------------------------------------------


def case_for_update(case: Case) -> Case:
    locked = Case.objects.select_for_update().select_related("version").get(pk=case.pk)
    if not locked.is_open:
        raise CaseActionRefused(gettext_lazy("Der Vorgang ist abgeschlossen und kann nicht mehr geändert werden."))
    return locked


def caseworker_required(user, case: Case) -> None:
    if not has_role(user, Role.CASEWORKER, case.unit):
        raise CaseActionRefused(
            gettext_lazy("Diese Person ist in der zuständigen Einheit nicht für Sachbearbeitung eingetragen.")
        )


@transaction.atomic
def case_assign(*, case: Case, assignee, actor) -> Case:
    """Give the case to ``assignee`` (claiming when it is the actor; a hand-over otherwise)."""
    case = case_for_update(case)
    caseworker_required(assignee, case)
    if case.assignee_id == assignee.pk:
        return case
    previous = case.assignee_id
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    event_add(case, Event.Kind.ASSIGNED, actor, assignee=assignee.pk, previous=previous)
    audit_record(action="case.assign", target=case, actor=actor, details={"assignee": assignee.pk})
    return case


@transaction.atomic
def case_release(*, case: Case, actor) -> Case:
    """Put the case back into the team inbox."""
    case = case_for_update(case)
    if case.assignee_id is None:
        return case
    previous = case.assignee_id
    case.assignee = None
    case.save(update_fields=["assignee"])
    event_add(case, Event.Kind.RELEASED, actor, previous=previous)
    audit_record(action="case.release", target=case, actor=actor)
    return case


def open_checklist_items(case: Case) -> list[casetype_module.ChecklistItem]:
    status = case.status_definition
    if status is None:
        return []
    done = set(case.checks.filter(status=case.status).values_list("item", flat=True))
    return [item for item in status.checklist if item.key not in done]


@transaction.atomic
def checklist_check(*, case: Case, item: str, actor) -> Case:
    case = case_for_update(case)
    status = case.status_definition
    if status is None or item not in {entry.key for entry in status.checklist}:
        raise CaseActionRefused(gettext_lazy("Diesen Prüfschritt gibt es im aktuellen Status nicht."))
    _check, created = ChecklistCheck.objects.get_or_create(
        case=case, status=case.status, item=item, defaults={"done_by": actor}
    )
    if created:
        event_add(case, Event.Kind.CHECKLIST, actor, status=case.status, item=item)
        audit_record(action="case.checklist", target=case, actor=actor, details={"item": item})
    return case


@transaction.atomic
def case_status_change(*, case: Case, status: str, actor) -> Case:
    case = case_for_update(case)
    definition = case.definition
    if status not in definition.transitions.get(case.status, ()):
        raise CaseActionRefused(gettext_lazy("Dieser Statuswechsel ist für die Vorgangsart nicht vorgesehen."))
    if open_checklist_items(case):
        raise CaseActionRefused(gettext_lazy("Bitte erledigen Sie zuerst alle Prüfschritte des aktuellen Status."))
    previous = case.status
    case.status = status
    case.status_changed_at = timezone.now()
    case.save(update_fields=["status", "status_changed_at"])
    event_add(case, Event.Kind.STATUS, actor, status=status, previous=previous)
    audit_record(action="case.status", target=case, actor=actor, details={"status": status, "previous": previous})
    return case


def note_add(*, case: Case, author, text: str) -> Note:
    text = text.strip()
    if not text:
        raise CaseActionRefused(gettext_lazy("Bitte geben Sie einen Text für die Notiz ein."))
    with transaction.atomic():
        case = case_for_update(case)
        note = Note.objects.create(case=case, author=author, text=text)
        event_add(case, Event.Kind.NOTE, author, note=note.pk)
        audit_record(action="case.note", target=case, actor=author, details={"note": note.pk})
    return note


def reminder_set(*, case: Case, owner, due_on: datetime.date, reason: str) -> Reminder:
    if due_on < timezone.localdate():
        raise CaseActionRefused(gettext_lazy("Eine Wiedervorlage muss heute oder später liegen."))
    with transaction.atomic():
        reminder = Reminder.objects.create(case=case, owner=owner, due_on=due_on, reason=reason.strip())
        event_add(case, Event.Kind.REMINDER, owner, due_on=due_on.isoformat(), reminder=reminder.pk)
        audit_record(action="case.reminder", target=case, actor=owner, details={"reminder": reminder.pk})
    return reminder


def reminder_done(*, reminder: Reminder, user) -> Reminder:
    if reminder.done_at is None:
        reminder.done_at = timezone.now()
        reminder.save(update_fields=["done_at"])
        audit_record(action="case.reminder_done", target=reminder.case, actor=user, details={"reminder": reminder.pk})
    return reminder


# --- deadlines --------------------------------------------------------------------------------


def deadline_compute(deadline: Deadline, *, state: str) -> datetime.date | None:
    extensions = [Duration.parse(item.duration) for item in deadline.extensions.all()]
    if deadline.kind == Deadline.Kind.FICTION:
        return fiction_due(
            documents_complete=deadline.start,
            state=state,
            extension=extensions[0] if extensions else None,
            period=Duration.parse(deadline.duration),
        )
    return deadline_due(
        start=deadline.start,
        duration=Duration.parse(deadline.duration),
        state=state,
        suspensions=[Suspension(start=item.start, end=item.end) for item in deadline.suspensions.all()],
        extensions=extensions,
    )


def deadlines_refresh(*, case: Case) -> Case:
    """Recompute every deadline of the case and the earliest one the inbox sorts by."""
    state = case.mandant.state
    dues = []
    for deadline in case.deadlines.prefetch_related("suspensions", "extensions"):
        due = deadline_compute(deadline, state=state)
        if due != deadline.due_on:
            deadline.due_on = due
            deadline.save(update_fields=["due_on"])
        if due is not None and deadline.met_at is None:
            dues.append(due)
    due_on = min(dues) if dues else None
    if case.due_on != due_on:
        case.due_on = due_on
        case.due_sort = due_on or datetime.date.max
        case.save(update_fields=["due_on", "due_sort"])
    return case


@transaction.atomic
def documents_complete(*, case: Case, on: datetime.date, actor) -> Case:
    """Record that the documents are complete; with § 42a the fiction period starts the day after."""
    case = case_for_update(case)
    if case.documents_complete_on:
        raise CaseActionRefused(gettext_lazy("Die Vollständigkeit wurde bereits festgestellt."))
    if on > timezone.localdate() or on < local_date(case.received_at):
        raise CaseActionRefused(gettext_lazy("Das Datum muss zwischen Eingang und heute liegen."))
    case.documents_complete_on = on
    case.save(update_fields=["documents_complete_on"])
    if case.definition.approval_fiction:
        Deadline.objects.create(case=case, kind=Deadline.Kind.FICTION, start=on, duration=GENEHMIGUNGSFIKTION.iso())
    deadlines_refresh(case=case)
    event_add(case, Event.Kind.COMPLETE, actor, on=on.isoformat())
    audit_record(action="case.documents_complete", target=case, actor=actor)
    return case


@transaction.atomic
def deadlines_suspend(*, case: Case, start: datetime.date, reason: str, actor=None) -> Case:
    """Stop the running processing deadline (e.g. while the applicant answers a Rückfrage).

    The § 42a fiction is not suspended: it only starts once the documents are complete.
    """
    case = case_for_update(case)
    for deadline in case.deadlines.filter(met_at=None, kind=Deadline.Kind.PROCESSING):
        if not deadline.suspensions.filter(end=None).exists():
            DeadlineSuspension.objects.create(deadline=deadline, start=start, reason=reason, created_by=actor)
    deadlines_refresh(case=case)
    event_add(case, Event.Kind.DEADLINE, actor, action="suspended", start=start.isoformat())
    audit_record(action="case.deadlines_suspend", target=case, actor=actor)
    return case


@transaction.atomic
def deadlines_resume(*, case: Case, end: datetime.date, actor=None) -> Case:
    case = case_for_update(case)
    for suspension in DeadlineSuspension.objects.filter(deadline__case=case, end=None):
        suspension.end = max(end, suspension.start)
        suspension.save(update_fields=["end"])
    deadlines_refresh(case=case)
    event_add(case, Event.Kind.DEADLINE, actor, action="resumed", end=end.isoformat())
    audit_record(action="case.deadlines_resume", target=case, actor=actor)
    return case


@transaction.atomic
def deadline_extend(*, case: Case, kind: str, duration: Duration, reason: str, actor) -> Deadline:
    case = case_for_update(case)
    deadline = case.deadlines.filter(kind=kind).first()
    if deadline is None:
        raise CaseActionRefused(gettext_lazy("Diese Frist gibt es in diesem Vorgang nicht."))
    if not reason.strip():
        raise CaseActionRefused(gettext_lazy("Bitte begründen Sie die Verlängerung."))
    if kind == Deadline.Kind.FICTION and deadline.extensions.exists():
        raise CaseActionRefused(
            gettext_lazy("Die Frist der Genehmigungsfiktion kann nur einmal verlängert werden (§ 42a Abs. 2 VwVfG).")
        )
    DeadlineExtension.objects.create(
        deadline=deadline, duration=duration.iso(), reason=reason.strip(), created_by=actor
    )
    deadlines_refresh(case=case)
    event_add(case, Event.Kind.DEADLINE, actor, action="extended", kind=kind, duration=duration.iso())
    audit_record(action="case.deadline_extend", target=case, actor=actor, details={"kind": kind})
    deadline.refresh_from_db()
    return deadline


# --- closing ----------------------------------------------------------------------------------


def retention_until(*, closed_on: datetime.date, result: casetype_module.Result) -> datetime.date:
    """The last day of keeping: the period runs from closure or from the end of that calendar year."""
    start = closed_on if result.retention_start == "closure" else datetime.date(closed_on.year, 12, 31)
    return period_end(start=start, duration=result.retention)


@transaction.atomic
def case_close(*, case: Case, result: str, actor) -> Case:
    case = case_for_update(case)
    definition = case.definition
    outcome = definition.result(result)
    if outcome is None:
        raise CaseActionRefused(gettext_lazy("Bitte wählen Sie ein Ergebnis der Vorgangsart."))
    if not case.status_definition or not case.status_definition.final:
        raise CaseActionRefused(gettext_lazy("In diesem Status kann der Vorgang nicht abgeschlossen werden."))
    if open_checklist_items(case):
        raise CaseActionRefused(gettext_lazy("Bitte erledigen Sie zuerst alle Prüfschritte des aktuellen Status."))
    now = timezone.now()
    case.is_open = False
    case.result = outcome.key
    case.closed_at = now
    case.retention_until = retention_until(closed_on=local_date(now), result=outcome)
    case.disposal = outcome.disposal
    case.due_on = None
    case.due_sort = datetime.date.max
    case.save(update_fields=["is_open", "result", "closed_at", "retention_until", "disposal", "due_on", "due_sort"])
    case.deadlines.filter(met_at=None).update(met_at=now)
    if not case.akte.cases.filter(is_open=True).exists():
        Akte.objects.filter(pk=case.akte_id).update(closed_at=now)
    event_add(case, Event.Kind.CLOSED, actor, result=outcome.key)
    audit_record(action="case.close", target=case, actor=actor, details={"result": outcome.key})
    return case
