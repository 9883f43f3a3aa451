"""A partner system submits an application machine to machine, checked like a citizen's, exactly once."""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kreiswerk.audit.models import AuditEntry
from kreiswerk.submissions.models import Submission
from tests.api.conftest import api_client_with, http
from tests.conftest import simple_definition
from tests.runner.test_citizen_path import licence_definition

pytestmark = pytest.mark.django_db

ANSWERS = {"name": "Erika Mustermann", "email": "erika@example.org", "jahre": 2, "jugend": False, "zustimmung": True}
URL = "/api/v1/assistants/fischereischein/submissions"


@pytest.fixture
def portal(mandant, unit, publish_assistant):
    publish_assistant(licence_definition())
    client, token = api_client_with(mandant, "portal", [("ordnungsamt", "submissions:create")])
    return client, http(token)


def _submit(api, answers, *, key=None, url=URL, files=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(url, {"data": json.dumps({"answers": answers}), **(files or {})}, headers=headers)


def test_it_submits_once_and_a_retry_returns_the_same_submission(portal, django_capture_on_commit_callbacks):
    client, api = portal
    key = str(uuid.uuid4())

    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(api, ANSWERS, key=key)
    retry = _submit(api, ANSWERS, key=key)

    assert first.status_code == 201, first.content
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    submission = Submission.objects.get()
    assert submission.answers == ANSWERS and submission.idempotency_key == uuid.UUID(key)
    assert submission.receipt_path  # the citizen's path follows: the receipt PDF is stored
    created = AuditEntry.objects.get(action="submission.create")
    assert created.actor_id == client.user_id and created.target_id == str(submission.pk)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**ANSWERS, "jahre": "zwei"}, "jahre"),  # wrong type: refused by the data schema
        ({**ANSWERS, "erfunden": 1}, "erfunden"),  # a field the assistant does not have
        ({k: v for k, v in ANSWERS.items() if k != "name"}, "name"),  # a required field missing
        ({**ANSWERS, "jugend": True}, "schule"),  # a rule between fields: now the school is required
        ({**ANSWERS, "email": "keine-adresse"}, "email"),
    ],
)
def test_invalid_answers_are_refused_with_the_field_in_both_languages(portal, answers, field):
    _client, api = portal
    response = _submit(api, answers, key=str(uuid.uuid4()))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["errors"]
    assert field in {error["field"] for error in body["errors"]}
    assert all(error["messages"]["de"] and error["messages"]["en"] for error in body["errors"])
    assert not Submission.objects.exists()


def test_without_key_scope_or_unit_nothing_is_submitted(portal, mandant, other_unit):
    _client, api = portal
    assert _submit(api, ANSWERS).json()["code"] == "invalid_idempotency_key"
    _c, reader = api_client_with(mandant, "leser", [("gewerbe", "submissions:read")])
    assert _submit(http(reader), ANSWERS, key=str(uuid.uuid4())).status_code == 403
    _c, elsewhere = api_client_with(mandant, "anderswo", [("jugendamt", "submissions:create")])
    assert _submit(http(elsewhere), ANSWERS, key=str(uuid.uuid4())).status_code == 404
    assert (
        _submit(api, ANSWERS, key=str(uuid.uuid4()), url="/api/v1/assistants/gibtsnicht/submissions").status_code == 404
    )
    assert not Submission.objects.exists()


def test_files_come_as_parts_named_like_their_field(mandant, unit, publish_assistant):
    definition = simple_definition()
    definition["steps"][0]["elements"].append(
        {"key": "nachweis", "type": "file", "label": "Nachweis", "required": True, "file": {"types": ["pdf"]}}
    )
    publish_assistant(definition)
    _client, token = api_client_with(mandant, "portal", [("gewerbe", "submissions:create")])
    api = http(token)
    answers = {"name": "Erika Mustermann", "email": "erika@example.org"}
    url = "/api/v1/assistants/testantrag/submissions"
    pdf = SimpleUploadedFile("nachweis.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")

    missing = _submit(api, answers, key=str(uuid.uuid4()), url=url)
    assert missing.status_code == 422 and "nachweis" in {error["field"] for error in missing.json()["errors"]}
    inline = _submit(api, {**answers, "nachweis": ["x"]}, key=str(uuid.uuid4()), url=url)
    assert inline.status_code == 422
    fake = SimpleUploadedFile("nachweis.pdf", b"MZ not a pdf", content_type="application/pdf")
    assert _submit(api, answers, key=str(uuid.uuid4()), url=url, files={"nachweis": fake}).status_code == 422
    response = _submit(api, answers, key=str(uuid.uuid4()), url=url, files={"nachweis": pdf})

    assert response.status_code == 201, response.content
    submission = Submission.objects.get()
    attachment = submission.attachments.get()
    assert submission.answers["nachweis"] == [str(attachment.pk)] and attachment.filename == "nachweis.pdf"
