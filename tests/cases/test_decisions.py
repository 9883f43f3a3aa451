"""A caseworker drafts a Bescheid, a second person co-signs, the applicant retrieves it: Bekanntgabe recorded."""

import datetime
import io

import pikepdf
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases import decisions, services
from kreiswerk.cases.casetype import DefinitionError, casetype_build
from kreiswerk.cases.models import Deadline, Decision, Document
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.links import status_path
from kreiswerk.tenancy.models import Role
from tests.cases.conftest import casetype_definition
from tests.conftest import make_staff, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def cosigner(unit):
    return make_staff("mitzeichnung", unit=unit, role=Role.CASEWORKER)


def _pdf(version) -> bytes:
    return b"".join(open_decrypted(version.path, bytes(version.key)))


def test_the_template_fills_in_answers_and_case_and_renders_pdfa(open_case, caseworker, tmp_path):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    assert decision.subject == "Ihr Antrag: bewilligt"
    assert "über 2 Stück ist bewilligt." in decision.body
    assert "Wir wünschen Ihnen viel Erfolg." in decision.body

    version = decision.document.versions.get()
    pdf = _pdf(version)
    assert pdf.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(pdf)) as document, document.open_metadata() as meta:
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "A")
        assert "/StructTreeRoot" in document.Root  # tagged
    text = pdf_text(pdf, tmp_path)
    for expected in ("Ihr Antrag: bewilligt", case.reference, "Erika Mustermann", "Im Auftrag"):
        assert expected in text
    assert decision.document.kind == Document.Kind.DECISION and not decision.document.visible_to_applicant


def test_editing_adds_a_version_and_never_overwrites(open_case, caseworker, tmp_path):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    first = decision.document.versions.get()
    decisions.decision_edit(
        decision=decision,
        result="zurueckgenommen",
        subject="Einstellung",
        body="Das Verfahren ist eingestellt.",
        actor=caseworker,
    )
    versions = list(decision.document.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].sha256 == first.sha256 and versions[1].sha256 != first.sha256
    assert "Das Verfahren ist eingestellt." in pdf_text(_pdf(versions[1]), tmp_path)
    with pytest.raises(services.CaseActionRefused, match="Betreff"):
        decisions.decision_edit(decision=decision, result="bewilligt", subject=" ", body="x", actor=caseworker)


def test_mitzeichnung_needs_a_second_person_and_fixes_the_version(open_case, caseworker, cosigner):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    with pytest.raises(services.CaseActionRefused, match="Mitzeichnung"):
        decisions.decision_deliver(decision=decision, actor=caseworker)
    decision = decisions.decision_submit(decision=decision, actor=caseworker)
    with pytest.raises(services.CaseActionRefused, match="zweite Person"):
        decisions.decision_cosign(decision=decision, actor=caseworker)
    with pytest.raises(services.CaseActionRefused, match="nicht mehr zu ändern"):
        decisions.decision_edit(decision=decision, result="bewilligt", subject="x", body="y", actor=caseworker)

    decision = decisions.decision_return(decision=decision, reason="Bitte Rechtsgrundlage nennen.", actor=cosigner)
    assert decision.state == Decision.State.DRAFT
    assert case.notes.filter().count() == 1
    decisions.decision_edit(
        decision=decision, result="bewilligt", subject="Bewilligung", body="Nach § 1 bewilligt.", actor=caseworker
    )
    decisions.decision_submit(decision=decision, actor=caseworker)
    decision = decisions.decision_cosign(decision=decision, actor=cosigner)
    latest = decision.document.versions.order_by("-number").first()
    assert decision.state == Decision.State.APPROVED
    assert decision.cosigned_by == cosigner and decision.cosigned_sha256 == latest.sha256


def test_a_cosigner_from_another_unit_is_refused(open_case, caseworker, other_unit):
    outsider = make_staff("fremd", unit=other_unit, role=Role.CASEWORKER)
    case = open_case()
    decision = decisions.decision_submit(
        decision=decisions.decision_draft(case=case, result="bewilligt", actor=caseworker), actor=caseworker
    )
    with pytest.raises(services.CaseActionRefused, match="zuständigen Einheit"):
        decisions.decision_cosign(decision=decision, actor=outsider)


def test_delivery_notifies_and_the_first_retrieval_sets_the_bekanntgabe(
    open_case, caseworker, cosigner, client, django_capture_on_commit_callbacks
):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    decisions.decision_submit(decision=decision, actor=caseworker)
    decisions.decision_cosign(decision=decision, actor=cosigner)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decisions.decision_deliver(decision=decision, actor=caseworker)
    assert decision.state == Decision.State.DELIVERED
    assert case.deadlines.get(kind=Deadline.Kind.PROCESSING).met_at is not None
    notice = mail.outbox[-1]
    assert "Bescheid" in notice.subject and status_path(case.submission_id) in notice.body
    assert "Erika" not in notice.body

    page = client.get(status_path(case.submission_id)).content.decode()
    assert "Ihr Antrag: bewilligt" in page and "Bescheid als PDF herunterladen" in page
    url = reverse(
        "applicant:document",
        kwargs={"submission_id": case.submission_id, "token": _token(case), "document_id": decision.document_id},
    )
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == _pdf(decision.document.versions.order_by("-number").first())

    decision.refresh_from_db()
    today = timezone.localdate()
    assert decision.retrieved_at is not None
    assert decision.announced_on == today + datetime.timedelta(days=1)  # § 41 Abs. 2a VwVfG
    first = decision.retrieved_at
    client.get(url)
    decision.refresh_from_db()
    assert decision.retrieved_at == first  # only the first retrieval counts
    assert AuditEntry.objects.filter(action="document.applicant_read", target_id=str(case.pk)).count() == 2


def test_an_unretrieved_bescheid_stops_being_available_after_ten_days(open_case, caseworker, cosigner, client):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    decisions.decision_submit(decision=decision, actor=caseworker)
    decisions.decision_cosign(decision=decision, actor=cosigner)
    decisions.decision_deliver(decision=decision, actor=caseworker)
    Decision.objects.filter(pk=decision.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=11))
    url = reverse(
        "applicant:document",
        kwargs={"submission_id": case.submission_id, "token": _token(case), "document_id": decision.document_id},
    )
    assert client.get(url).status_code == 404
    assert "Die Frist zum Abruf ist abgelaufen." in client.get(status_path(case.submission_id)).content.decode()

    decision.refresh_from_db()
    decisions.decision_redeliver(decision=decision, actor=caseworker)
    assert client.get(url).status_code == 200


def test_draft_pages_stay_internal(open_case, caseworker, client):
    case = open_case()
    decision = decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    url = reverse(
        "applicant:document",
        kwargs={"submission_id": case.submission_id, "token": _token(case), "document_id": decision.document_id},
    )
    assert client.get(url).status_code == 404
    assert "Ihr Antrag: bewilligt" not in client.get(status_path(case.submission_id)).content.decode()


def test_only_one_bescheid_is_in_the_making(open_case, caseworker):
    case = open_case()
    decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)
    with pytest.raises(services.CaseActionRefused, match="bereits einen Bescheid in Arbeit"):
        decisions.decision_draft(case=case, result="bewilligt", actor=caseworker)


def test_a_broken_template_is_reported_when_the_vorgangsart_is_imported():
    definition = casetype_definition(decision={"subject": "Bescheid", "template": "{% if x %}offen"})
    with pytest.raises(DefinitionError, match="decision.template"):
        casetype_build(definition)


def test_the_whole_way_through_the_pages(open_case, caseworker, cosigner, staff_client):
    case = open_case()
    author, second = staff_client(caseworker), staff_client(cosigner)

    def act(client, action, **data):
        url = reverse("cases:action", kwargs={"case_id": case.pk, "action": action})
        return client.post(url, data, follow=True).content.decode()

    assert "Der Entwurf des Bescheids ist angelegt." in act(author, "bescheid-entwerfen", result="bewilligt")
    page = author.get(reverse("cases:decision", kwargs={"case_id": case.pk})).content.decode()
    assert "Zur Mitzeichnung vorlegen" in page and "Speichern und PDF neu erstellen" in page
    assert "Bitte füllen Sie Ergebnis" in act(author, "bescheid-speichern", result="bewilligt", subject="", body="")
    assert "Der Bescheid liegt zur Mitzeichnung vor." in act(author, "bescheid-vorlegen")
    inbox = second.get(reverse("cases:inbox")).content.decode()
    assert "Zur Mitzeichnung" in inbox and case.reference in inbox
    assert "Sie haben den Bescheid mitgezeichnet." in act(second, "bescheid-mitzeichnen")
    assert "steht für die antragstellende Person zum Abruf bereit" in act(author, "bescheid-bereitstellen")
    done = author.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert "Bescheid mitgezeichnet" in done and "noch nicht abgerufen" in done


def _token(case) -> str:
    return status_path(case.submission_id).rstrip("/").rsplit("/", 1)[1]
