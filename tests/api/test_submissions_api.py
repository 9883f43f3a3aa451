"""A Fachverfahren fetches the applications received by its units, with their attachments."""

import hashlib

import pytest

from kreiswerk.audit.models import AuditEntry
from kreiswerk.submissions.models import Submission
from tests.api.conftest import api_client_with, http
from tests.cases.conftest import days_ago, make_submission
from tests.conftest import attach_file

pytestmark = pytest.mark.django_db


def test_it_lists_submissions_oldest_first_without_test_submissions(api, assistant_version):
    made = []
    for i in range(5):
        submission = make_submission(assistant_version, name=f"Person {i}")
        Submission.objects.filter(pk=submission.pk).update(submitted_at=days_ago(10 - i))
        made.append(str(submission.pk))
    make_submission(assistant_version, is_test=True)

    first = api.get("/api/v1/submissions", {"limit": 3}).json()
    second = api.get("/api/v1/submissions", {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None
    assert first["items"][0]["assistant"] == "testantrag" and first["items"][0]["case"] is None
    assert len(api.get("/api/v1/submissions", {"include_tests": "true"}).json()["items"]) == 6
    assert api.get("/api/v1/submissions", {"cursor": "xyz"}).status_code == 422
    assert AuditEntry.objects.filter(action="submission.list").count() == 3  # the refused one read nothing


def test_it_reads_answers_and_attachments_and_records_each_read(api, fachverfahren, assistant_version):
    submission = make_submission(assistant_version, name="Erika Mustermann")
    attachment = attach_file(submission, field_key="nachweis", filename="nachweis.pdf", content=b"%PDF-1.7 Nachweis")

    body = api.get(f"/api/v1/submissions/{submission.pk}").json()

    assert body["answers"]["name"] == "Erika Mustermann"
    assert body["attachments"][0]["sha256"] == hashlib.sha256(b"%PDF-1.7 Nachweis").hexdigest()
    content = api.get(body["attachments"][0]["content"])
    assert b"".join(content.streaming_content) == b"%PDF-1.7 Nachweis"
    reads = AuditEntry.objects.filter(target_id=str(submission.pk), actor_id=fachverfahren[0].user_id)
    assert set(reads.values_list("action", flat=True)) == {"submission.read", "attachment.read"}
    missing = api.get(f"/api/v1/submissions/{submission.pk}/attachments/{submission.pk}/content")
    assert missing.status_code == 404 and str(attachment.pk) not in missing.content.decode()


def test_a_client_without_the_scope_is_refused_and_one_of_another_unit_finds_nothing(
    mandant, unit, other_unit, assistant_version
):
    submission = make_submission(assistant_version)
    _client, cases_only = api_client_with(mandant, "nur-vorgaenge", [("gewerbe", "cases:read")])
    _client, elsewhere = api_client_with(mandant, "jugendamt-fv", [("jugendamt", "submissions:read")])

    refused = http(cases_only).get(f"/api/v1/submissions/{submission.pk}")
    assert refused.status_code == 403 and "submissions:read" in refused.json()["detail"]
    assert http(elsewhere).get(f"/api/v1/submissions/{submission.pk}").status_code == 404
    assert http(elsewhere).get("/api/v1/submissions").json()["items"] == []


def test_empty_and_unknown_query_parameters_are_refused_in_both_languages(api):
    for query, code in [({"assistant": ""}, "empty_parameter"), ({"assistent": "x"}, "unknown_parameter")]:
        response = api.get("/api/v1/submissions", query)
        body = response.json()
        assert response.status_code == 422 and body["code"] == code
        assert body["messages"]["de"] != body["messages"]["en"] and "assistent" in str(body) or "assistant" in str(body)
