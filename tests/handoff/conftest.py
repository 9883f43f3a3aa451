"""A reference receiver over real HTTP, and an assistant with a file field whose submissions go to it."""

import uuid

import pytest
from devtools.handoff_receiver import Receiver, key_generate
from joserfc.jwk import RSAKey

from kreiswerk.cases import services as case_services
from kreiswerk.handoff import services
from kreiswerk.submissions.models import Submission
from tests.cases.conftest import casetype_definition
from tests.conftest import attach_file, simple_definition

SECRET = "geheim-" + "x" * 40


@pytest.fixture(scope="session")
def receiver_key() -> RSAKey:
    return key_generate(kid="fachverfahren-1")


@pytest.fixture
def public_jwk(receiver_key) -> str:
    import json

    return json.dumps(receiver_key.as_dict(private=False))


@pytest.fixture
def receiver(receiver_key):
    receiver = Receiver(keys=[receiver_key], webhook_secret=SECRET).start()
    yield receiver
    receiver.stop()


def handoff_definition() -> dict:
    definition = simple_definition(leika="99050012104000")
    definition["steps"][0]["elements"].append(
        {"key": "nachweis", "type": "file", "label": "Nachweis", "file": {"types": ["pdf"], "max_files": 2}}
    )
    return definition


@pytest.fixture
def version(publish_assistant, mandant, unit):
    version = publish_assistant(handoff_definition())
    case_services.filing_position_ensure(mandant=mandant, number="82", title="Gewerbe")
    case_services.filing_position_ensure(mandant=mandant, number="82.10", title="Gewerbeanzeigen")
    case_services.casetype_import(
        data=casetype_definition(assistant=version.assistant.slug), mandant=mandant, unit=unit, publish=True
    )
    return version


def submit(version, *, files: dict[str, bytes] | None = None, is_test: bool = False) -> Submission:
    assistant = version.assistant
    submission = Submission.objects.create(
        reference=f"MK-{uuid.uuid4().hex[:8]}",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": {"name": "Erika Mustermann", "email": "erika@example.org", "anzahl": 2}, "computed": {}},
        idempotency_key=uuid.uuid4(),
        is_test=is_test,
    )
    ids = [
        str(attach_file(submission, field_key="nachweis", filename=filename, content=content).pk)
        for filename, content in (files or {}).items()
    ]
    if ids:
        submission.payload = {**submission.payload, "answers": {**submission.answers, "nachweis": ids}}
        submission.save()
    return submission


@pytest.fixture
def fitconnect(version, receiver, public_jwk):
    return services.destination_create(
        assistant=version.assistant,
        name="Gewerbe-Fachverfahren",
        kind="fitconnect",
        url=receiver.url + "/fitconnect",
        public_key=public_jwk,
        destination_id=uuid.uuid4(),
    )


@pytest.fixture
def webhook(version, receiver):
    return services.destination_create(
        assistant=version.assistant, name="Statistik", kind="webhook", url=receiver.url + "/webhook", secret=SECRET
    )
