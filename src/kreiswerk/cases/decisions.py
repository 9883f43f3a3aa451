"""Bescheide: drafted from the Vorgangsart's template, rendered to PDF/A, co-signed, made available.

The life of a Bescheid: ``entwurf`` (edited, each save a new PDF version) →
``mitzeichnung`` (where the Vorgangsart requires a second person) →
``freigegeben`` → ``bereitgestellt``. It is delivered by provision for
retrieval (§ 41 Abs. 2a VwVfG): the applicant gets an e-mail notice with the
link to "Mein Antrag"; the Bescheid counts as announced (Bekanntgabe) on the
day after its first retrieval. Not retrieved within ten days of the notice,
the provision ends and the caseworker provides it again or sends it by post.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.template import Context
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kreiswerk.assistants import fields
from kreiswerk.assistants.definition import localized
from kreiswerk.audit.services import audit_record
from kreiswerk.crypto.files import delete_stored, store_encrypted
from kreiswerk.jobs import enqueue_on_commit
from kreiswerk.submissions.receipt import pdfa_render, unit_chain
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.permissions import has_role

from .casetype import DECISION_TEMPLATES
from .models import Case, Deadline, Decision, Document, Event, Note
from .services import (
    CaseActionRefused,
    case_for_update,
    caseworker_required,
    deadlines_refresh,
    document_add,
    document_version_add,
    event_add,
)
from .tasks import applicant_notify

LANGUAGE = "de"
# § 41 Abs. 2a VwVfG: unretrieved after ten days, the provision ends.
PROVISION_DAYS = 10
SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = 20000


def _applicant(case: Case):
    return case.parties.filter(role="antragsteller").order_by("created_at").first()


def template_context(case: Case, *, result_key: str) -> dict:
    """What a Bescheid template may use: answers as the applicant reads them, the case, the applicant."""
    answers = {}
    submission = case.submission
    if submission is not None:
        definition = submission.version.parsed
        files = {str(item.pk): item.filename for item in submission.attachments.all()}
        for element in definition.inputs():
            shown = fields.display(element, submission.answers.get(element.key), language=LANGUAGE, files=files)
            answers[element.key] = shown
    applicant = _applicant(case)
    address = applicant.address if applicant and isinstance(applicant.address, dict) else {}
    result = case.definition.result(result_key)
    return {
        "antrag": answers,
        "vorgang": {
            "aktenzeichen": case.reference,
            "eingang": date_format(timezone.localtime(case.received_at), "d.m.Y"),
            "vorgangsart": localized(case.definition.title, LANGUAGE),
        },
        "antragsteller": {
            "name": applicant.name if applicant else "",
            "strasse": " ".join(filter(None, [address.get("street", ""), address.get("house_number", "")])),
            "ort": " ".join(filter(None, [address.get("postal_code", ""), address.get("city", "")])),
        },
        "ergebnis": {"key": result.key, "titel": result.title} if result else {"key": result_key, "titel": ""},
        "datum": date_format(timezone.localdate(), "d.m.Y"),
        "behoerde": case.mandant.name,
        "stelle": case.unit.name,
    }


def _render_text(text: str, context: dict) -> str:
    return DECISION_TEMPLATES.from_string(text).render(Context(context, autoescape=False)).strip()


def decision_pdf(decision: Decision) -> bytes:
    case = decision.case
    context = template_context(case, result_key=decision.result)
    author = decision.drafted_by
    with translation.override(LANGUAGE):
        return pdfa_render(
            template="cases/decision_pdf.html",
            context={
                **context,
                "case": case,
                "mandant": case.mandant,
                "unit_name": unit_chain(case.unit),
                "subject": decision.subject,
                "paragraphs": [part.strip() for part in decision.body.split("\n\n") if part.strip()],
                "author": author.get_full_name() or author.username,
                "created_iso": timezone.localtime().isoformat(timespec="seconds"),
            },
        )


def _store_pdf(decision: Decision, *, actor) -> None:
    """Render the Bescheid and keep it as the next version of its document."""
    pdf = decision_pdf(decision)
    stored = store_encrypted(iter([pdf]), namespace="cases")
    filename = f"Bescheid-{decision.case.reference}.pdf".replace("/", "-")
    try:
        if decision.document is None:
            decision.document = document_add(
                case=decision.case,
                kind=Document.Kind.DECISION,
                direction=Document.Direction.OUTGOING,
                title=decision.subject,
                filename=filename,
                content_type="application/pdf",
                stored=stored,
                user=actor,
            )
            decision.save(update_fields=["document"])
        else:
            document_version_add(
                document=decision.document, filename=filename, content_type="application/pdf", stored=stored, user=actor
            )
    except Exception:
        delete_stored(stored.path)
        raise


def _check_texts(subject: str, body: str) -> tuple[str, str]:
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > SUBJECT_MAX_CHARS:
        raise CaseActionRefused(gettext_lazy("Bitte geben Sie einen Betreff mit 1 bis 200 Zeichen an."))
    if not body or len(body) > BODY_MAX_CHARS:
        raise CaseActionRefused(gettext_lazy("Bitte geben Sie den Text des Bescheids an (höchstens 20.000 Zeichen)."))
    return subject, body


def decision_draft(*, case: Case, result: str, actor) -> Decision:
    """Start a Bescheid from the Vorgangsart's template, with the answers and the case filled in."""
    settings = case.definition.decision
    if settings is None:
        raise CaseActionRefused(gettext_lazy("Für diese Vorgangsart ist kein Bescheid vorgesehen."))
    if case.definition.result(result) is None:
        raise CaseActionRefused(gettext_lazy("Bitte wählen Sie ein Ergebnis der Vorgangsart."))
    caseworker_required(actor, case)
    context = template_context(case, result_key=result)
    with translation.override(LANGUAGE):
        subject = _render_text(settings.subject, context)
        body = _render_text(settings.template, context)
    try:
        with transaction.atomic():
            case = case_for_update(case)
            decision = Decision.objects.create(case=case, result=result, subject=subject, body=body, drafted_by=actor)
            _store_pdf(decision, actor=actor)
            event_add(case, Event.Kind.DECISION, actor, action="drafted", decision=str(decision.pk))
            audit_record(action="decision.draft", target=case, actor=actor, details={"decision": str(decision.pk)})
    except IntegrityError:
        raise CaseActionRefused(
            gettext_lazy("Es gibt bereits einen Bescheid in Arbeit. Bitte bearbeiten Sie diesen.")
        ) from None
    return decision


def _decision_for_update(decision: Decision, *states: str) -> Decision:
    case_for_update(decision.case)
    locked = Decision.objects.select_for_update(of=("self",)).select_related("case", "document").get(pk=decision.pk)
    if locked.state not in states:
        raise CaseActionRefused(gettext_lazy("Der Bescheid ist in diesem Stand nicht mehr zu ändern."))
    return locked


@transaction.atomic
def decision_edit(*, decision: Decision, result: str, subject: str, body: str, actor) -> Decision:
    decision = _decision_for_update(decision, Decision.State.DRAFT)
    caseworker_required(actor, decision.case)
    if decision.case.definition.result(result) is None:
        raise CaseActionRefused(gettext_lazy("Bitte wählen Sie ein Ergebnis der Vorgangsart."))
    decision.subject, decision.body = _check_texts(subject, body)
    decision.result = result
    decision.save(update_fields=["subject", "body", "result"])
    _store_pdf(decision, actor=actor)
    event_add(decision.case, Event.Kind.DECISION, actor, action="edited", decision=str(decision.pk))
    audit_record(action="decision.edit", target=decision.case, actor=actor, details={"decision": str(decision.pk)})
    return decision


@transaction.atomic
def decision_submit(*, decision: Decision, actor) -> Decision:
    """Put the Bescheid before a second person (Mitzeichnung)."""
    decision = _decision_for_update(decision, Decision.State.DRAFT)
    caseworker_required(actor, decision.case)
    decision.state = Decision.State.COSIGN
    decision.save(update_fields=["state"])
    event_add(decision.case, Event.Kind.DECISION, actor, action="submitted", decision=str(decision.pk))
    audit_record(action="decision.submit", target=decision.case, actor=actor, details={"decision": str(decision.pk)})
    return decision


def _require_cosigner(decision: Decision, actor) -> None:
    if actor.pk == decision.drafted_by_id:
        raise CaseActionRefused(gettext_lazy("Die Mitzeichnung muss eine zweite Person übernehmen."))
    if not has_role(actor, Role.CASEWORKER, decision.case.unit):
        raise CaseActionRefused(
            gettext_lazy("Mitzeichnen kann nur, wer in der zuständigen Einheit Sachbearbeitung hat.")
        )


@transaction.atomic
def decision_cosign(*, decision: Decision, actor) -> Decision:
    """Approve exactly the version the co-signer has seen: the latest rendering."""
    decision = _decision_for_update(decision, Decision.State.COSIGN)
    _require_cosigner(decision, actor)
    latest = decision.document.versions.order_by("-number").first()
    decision.state = Decision.State.APPROVED
    decision.cosigned_by = actor
    decision.cosigned_at = timezone.now()
    decision.cosigned_sha256 = latest.sha256
    decision.save(update_fields=["state", "cosigned_by", "cosigned_at", "cosigned_sha256"])
    event_add(decision.case, Event.Kind.DECISION, actor, action="cosigned", decision=str(decision.pk))
    audit_record(
        action="decision.cosign",
        target=decision.case,
        actor=actor,
        details={"decision": str(decision.pk), "sha256": latest.sha256},
    )
    return decision


@transaction.atomic
def decision_return(*, decision: Decision, reason: str, actor) -> Decision:
    """Send the Bescheid back to its author, with the reason as an internal note."""
    reason = reason.strip()
    if not reason:
        raise CaseActionRefused(gettext_lazy("Bitte schreiben Sie, was am Bescheid zu ändern ist."))
    decision = _decision_for_update(decision, Decision.State.COSIGN)
    _require_cosigner(decision, actor)
    decision.state = Decision.State.DRAFT
    decision.save(update_fields=["state"])
    Note.objects.create(
        case=decision.case, author=actor, text=_("Mitzeichnung abgelehnt: %(reason)s") % {"reason": reason}
    )
    event_add(decision.case, Event.Kind.DECISION, actor, action="returned", decision=str(decision.pk))
    audit_record(action="decision.return", target=decision.case, actor=actor, details={"decision": str(decision.pk)})
    return decision


def provision_ends_on(decision: Decision) -> datetime.date | None:
    """The last day the Bescheid can be retrieved, while it has not been retrieved."""
    if decision.delivered_at is None or decision.retrieved_at is not None:
        return None
    return timezone.localtime(decision.delivered_at).date() + datetime.timedelta(days=PROVISION_DAYS)


def decision_retrievable(decision: Decision) -> bool:
    if decision.state != Decision.State.DELIVERED:
        return False
    ends = provision_ends_on(decision)
    return ends is None or timezone.localdate() <= ends


def decision_deliver(*, decision: Decision, actor) -> Decision:
    """Make the Bescheid available on "Mein Antrag" and send the notice; the processing deadline is met."""
    with transaction.atomic():
        decision = _decision_for_update(decision, *Decision.State.values)
        settings = decision.case.definition.decision
        cosign_required = settings is not None and settings.requires_cosign
        if decision.state == Decision.State.DELIVERED:
            raise CaseActionRefused(gettext_lazy("Der Bescheid ist bereits bereitgestellt."))
        if decision.state == Decision.State.COSIGN or (cosign_required and decision.state != Decision.State.APPROVED):
            raise CaseActionRefused(gettext_lazy("Der Bescheid braucht vor der Bereitstellung die Mitzeichnung."))
        caseworker_required(actor, decision.case)
        if decision.case.submission_id is None:
            raise CaseActionRefused(
                gettext_lazy(
                    "Zu diesem Vorgang gibt es keinen Online-Antrag. Bitte versenden Sie den Bescheid per Post."
                )
            )
        now = timezone.now()
        decision.state = Decision.State.DELIVERED
        decision.delivered_by = actor
        decision.delivered_at = now
        decision.save(update_fields=["state", "delivered_by", "delivered_at"])
        Document.objects.filter(pk=decision.document_id).update(visible_to_applicant=True)
        decision.case.deadlines.filter(kind=Deadline.Kind.PROCESSING, met_at=None).update(met_at=now)
        deadlines_refresh(case=decision.case)
        event_add(decision.case, Event.Kind.DECISION, actor, action="delivered", decision=str(decision.pk))
        audit_record(
            action="decision.deliver", target=decision.case, actor=actor, details={"decision": str(decision.pk)}
        )
        enqueue_on_commit(applicant_notify, case_id=str(decision.case_id), reason="decision")
    return decision


def decision_redeliver(*, decision: Decision, actor) -> Decision:
    """Provide an unretrieved Bescheid again after its ten days ran out: a new notice, a new period."""
    with transaction.atomic():
        decision = _decision_for_update(decision, Decision.State.DELIVERED)
        caseworker_required(actor, decision.case)
        if decision.retrieved_at is not None:
            raise CaseActionRefused(gettext_lazy("Der Bescheid wurde bereits abgerufen."))
        decision.delivered_at = timezone.now()
        decision.delivered_by = actor
        decision.save(update_fields=["delivered_at", "delivered_by"])
        event_add(decision.case, Event.Kind.DECISION, actor, action="redelivered", decision=str(decision.pk))
        audit_record(
            action="decision.redeliver", target=decision.case, actor=actor, details={"decision": str(decision.pk)}
        )
        enqueue_on_commit(applicant_notify, case_id=str(decision.case_id), reason="decision")
    return decision


@transaction.atomic
def decision_retrieved(*, decision: Decision, request=None) -> Decision:
    """The applicant opened the Bescheid: the first time fixes the Bekanntgabe (the next day)."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.retrieved_at is None:
        now = timezone.now()
        decision.retrieved_at = now
        decision.announced_on = timezone.localtime(now).date() + datetime.timedelta(days=1)
        decision.save(update_fields=["retrieved_at", "announced_on"])
        event_add(decision.case, Event.Kind.DECISION, None, action="retrieved", decision=str(decision.pk))
    return decision
