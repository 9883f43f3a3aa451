"""What the applicant sees of their application: only through the link of their own submission."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from kreiswerk.cases.decisions import decision_retrievable, provision_ends_on
from kreiswerk.cases.models import Case, Decision, Document, DocumentVersion, Inquiry
from kreiswerk.submissions.models import Submission

# Documents the applicant sent us: they may always fetch their own copy.
OWN_KINDS = (Document.Kind.RECEIPT, Document.Kind.ATTACHMENT, Document.Kind.ANSWER)


@dataclass(frozen=True)
class SentDecision:
    decision: Decision
    retrievable: bool
    provision_ends_on: object


def case_of(submission: Submission) -> Case | None:
    return Case.objects.filter(submission=submission).select_related("version", "mandant", "unit", "akte").first()


def status_text(case: Case) -> str:
    """What the applicant is told about the state of their case: the result once there is one."""
    result, status = case.result_definition, case.status_definition
    if result:
        return result.public or result.title
    if status:
        return status.public or status.title
    return ""


def _latest_versions():
    return Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"), to_attr="newest_first")


def documents_received(case: Case) -> QuerySet[Document]:
    return case.documents.filter(kind__in=OWN_KINDS).prefetch_related(_latest_versions()).order_by("created_at")


def decisions_sent(case: Case) -> list[SentDecision]:
    sent = case.decisions.filter(state=Decision.State.DELIVERED).select_related("document").order_by("delivered_at")
    return [SentDecision(item, decision_retrievable(item), provision_ends_on(item)) for item in sent]


def inquiries_of(case: Case) -> QuerySet[Inquiry]:
    return case.inquiries.exclude(state=Inquiry.State.WITHDRAWN).order_by("asked_at")


def document_for_applicant(case: Case, document_id) -> tuple[Document, DocumentVersion, Decision | None] | None:
    """The applicant's own documents and delivered Bescheide; always the latest version only."""
    document = case.documents.filter(pk=document_id).first()
    if document is None:
        return None
    decision = None
    if document.kind == Document.Kind.DECISION:
        decision = Decision.objects.filter(document=document).first()
        if decision is None or not decision_retrievable(decision):
            return None
    elif document.kind not in OWN_KINDS:
        return None
    version = document.versions.order_by("-number").first()
    return (document, version, decision) if version else None
