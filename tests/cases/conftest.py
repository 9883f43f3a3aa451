"""A Vorgangsart linked to a small assistant, and submissions that open cases."""

import datetime
import uuid

import pytest
from django.utils import timezone

from kreiswerk.cases import services
from kreiswerk.cases.models import Document
from kreiswerk.crypto.files import store_encrypted
from kreiswerk.submissions.models import Submission
from tests.conftest import simple_definition


def casetype_definition(**overrides) -> dict:
    definition = {
        "format": "kreiswerk-casetype/1",
        "key": "testvorgang",
        "title": "Testvorgang",
        "assistant": "testantrag",
        "filing_position": "82.10",
        "processing_deadline": "P1M",
        "approval_fiction": True,
        "applicant": {"name": ["name"], "email": "email"},
        "statuses": [
            {"key": "eingegangen", "title": "Eingegangen", "public": "Ihr Antrag ist eingegangen."},
            {
                "key": "in_pruefung",
                "title": "In Prüfung",
                "public": "Wir prüfen Ihren Antrag.",
                "checklist": [{"key": "angaben", "title": "Angaben geprüft"}],
            },
            {"key": "entscheidung", "title": "Entscheidung", "public": "Entschieden.", "final": True},
        ],
        "transitions": {"eingegangen": ["in_pruefung"], "in_pruefung": ["entscheidung", "eingegangen"]},
        "results": [
            {
                "key": "bewilligt",
                "title": "bewilligt",
                "public": "Ihr Antrag ist bewilligt.",
                "retention": "P10Y",
                "retention_start": "end_of_year",
                "disposal": "offer",
            },
            {
                "key": "zurueckgenommen",
                "title": "zurückgenommen",
                "public": "Zurückgenommen.",
                "retention": "P2Y",
                "retention_start": "closure",
                "disposal": "destroy",
            },
        ],
        "decision": {
            "requires_cosign": True,
            "subject": "Ihr Antrag: {{ ergebnis.titel }}",
            "template": (
                "Sehr geehrte Damen und Herren,\n\n"
                "Ihr Antrag vom {{ vorgang.eingang }} über {{ antrag.anzahl }} Stück ist {{ ergebnis.titel }}.\n\n"
                "{% if ergebnis.key == 'bewilligt' %}Wir wünschen Ihnen viel Erfolg.{% endif %}"
            ),
        },
    }
    definition.update(overrides)
    return definition


@pytest.fixture
def assistant_version(publish_assistant):
    return publish_assistant(simple_definition())


@pytest.fixture
def case_type_version(mandant, unit, assistant_version):
    services.filing_position_ensure(mandant=mandant, number="82", title="Gewerbe")
    services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    return services.casetype_import(data=casetype_definition(), mandant=mandant, unit=unit, publish=True)


def make_submission(version, *, name="Erika Mustermann", email="erika@example.org", when=None, is_test=False):
    assistant = version.assistant
    return Submission.objects.create(
        reference=f"MK-{uuid.uuid4().hex[:8]}",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": {"name": name, "email": email, "anzahl": 2}, "computed": {}},
        idempotency_key=uuid.uuid4(),
        is_test=is_test,
    )


@pytest.fixture
def open_case(assistant_version, case_type_version):
    """Open a case through the real intake path (submission → case), optionally received earlier."""

    def make(*, name="Erika Mustermann", email="erika@example.org", received: datetime.datetime | None = None):
        submission = make_submission(assistant_version, name=name, email=email)
        if received is not None:
            Submission.objects.filter(pk=submission.pk).update(submitted_at=received)
            submission.refresh_from_db()
        return services.case_open_for_submission(submission=submission)

    return make


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def internal_document(case, *, content: bytes = b"%PDF-1.7 Vermerk", user=None):
    """An internal PDF note filed in ``case`` (a document nobody outside the office may fetch)."""
    return services.document_add(
        case=case,
        kind=Document.Kind.INTERNAL,
        direction=Document.Direction.INTERNAL,
        title="Vermerk",
        filename="vermerk.pdf",
        content_type="application/pdf",
        stored=store_encrypted([content], namespace="cases"),
        user=user,
    )
