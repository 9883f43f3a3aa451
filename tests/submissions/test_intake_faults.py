"""Nothing lost, nothing twice: crashes, races, hostile uploads, and data at rest."""

import os
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.urls import reverse

from kreiswerk.runner.models import Draft
from kreiswerk.runner.services import draft_save, draft_start, session_bind_draft
from kreiswerk.submissions.models import Attachment, Submission
from kreiswerk.submissions.services import SubmitRefused, submission_submit
from kreiswerk.submissions.uploads import MB
from tests.conftest import run_together
from tests.submissions.test_uploads import BOUNDARY, write_multipart

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
SECRET_ANSWER = "Zebrastreifen-Geheimnis-4711"
SECRET_FILE_TEXT = b"Kontoauszug-Vertraulich-0815"


def upload_definition(**file_options) -> dict:
    return {
        "format": "kreiswerk-assistant/1",
        "slug": "nachweis",
        "title": "Nachweis einreichen",
        "steps": [
            {
                "key": "angaben",
                "title": "Angaben",
                "elements": [
                    {"key": "name", "type": "text", "label": "Name", "required": True},
                    {
                        "key": "nachweis",
                        "type": "file",
                        "label": "Nachweis",
                        "file": {
                            "types": ["pdf", "txt"],
                            "max_size_mb": 1,
                            "max_files": 2,
                            **file_options,
                        },
                    },
                ],
            }
        ],
    }


def started_draft(client, version) -> Draft:
    draft = draft_start(version=version, language="de")
    session = client.session
    session_bind_draft(session, draft)
    session.save()
    return draft


def step_url(draft) -> str:
    return reverse("runner:step", args=[draft.pk, "angaben"])


def complete(draft, answers) -> Draft:
    return draft_save(draft=draft, answers=answers, completed_step="angaben")


@pytest.mark.django_db(transaction=True)  # the WSGI handler closes connections after a request
@pytest.mark.parametrize("size_mb", [3, 30], ids=["over-the-field-limit", "far-over-every-limit"])
def test_an_oversized_upload_is_refused_in_german_without_reading_it_into_memory(
    publish_assistant, client, tmp_path, size_mb
):
    draft = started_draft(client, publish_assistant(upload_definition()))
    client.get(step_url(draft))
    csrf = client.cookies["csrftoken"].value
    body = tmp_path / "body"
    size = write_multipart(
        body,
        [
            ("csrfmiddlewaretoken", None, csrf.encode()),
            ("name", None, b"A"),
            ("nachweis", "gross.pdf", size_mb * MB),
        ],
    )
    cookies = f"csrftoken={csrf}; {settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    status = []
    with body.open("rb") as stream:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": step_url(draft),
            "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": cookies,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": stream,
            "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(size),
        }
        tracemalloc.start()
        try:
            response = WSGIHandler()(environ, lambda code, headers: status.append(code))
            page = b"".join(response).decode()
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert status == ["200 OK"]
    assert ("größer als" in page or "zusammen zu groß" in page) and "angenommen" in page
    assert Attachment.objects.count() == 0
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB"


@pytest.mark.django_db
def test_a_file_whose_content_does_not_match_its_type_is_refused(publish_assistant, client):
    draft = started_draft(client, publish_assistant(upload_definition()))
    fake = SimpleUploadedFile("rechnung.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client.post(step_url(draft), {"name": "A", "nachweis": fake})
    assert response.status_code == 200
    assert "passt nicht" in response.content.decode()
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_a_valid_upload_is_stored_encrypted_and_linked_to_the_answer(publish_assistant, client):
    draft = started_draft(client, publish_assistant(upload_definition()))
    response = client.post(step_url(draft), {"name": "A", "nachweis": SimpleUploadedFile("nachweis.pdf", PDF)})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    draft.refresh_from_db()
    assert draft.answers["nachweis"] == [str(attachment.id)]
    assert attachment.filename == "nachweis.pdf"
    stored = (Path(settings.KREISWERK_FILES_DIR) / attachment.path).read_bytes()
    assert b"%PDF" not in stored


@pytest.mark.django_db
@pytest.mark.clamd
def test_the_eicar_test_file_is_refused_by_clamd(publish_assistant, client, clamd_scanning, clamd_eicar):
    draft = started_draft(client, publish_assistant(upload_definition()))
    virus = SimpleUploadedFile("hinweis.txt", clamd_eicar, content_type="text/plain")
    response = client.post(step_url(draft), {"name": "A", "nachweis": virus})
    assert response.status_code == 200
    assert "Schadsoftware" in response.content.decode()
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.clamd
def test_an_upload_while_clamd_is_stopped_is_refused_not_accepted_unscanned(
    publish_assistant, client, settings, clamd_private_server
):
    settings.KREISWERK_CLAMD_URL = clamd_private_server.unix_url
    settings.KREISWERK_CLAMD_TIMEOUT = 5
    clamd_private_server.stop()
    draft = started_draft(client, publish_assistant(upload_definition()))
    response = client.post(step_url(draft), {"name": "A", "nachweis": SimpleUploadedFile("ok.pdf", PDF)})
    assert response.status_code == 200
    assert "Virenprüfung ist gerade nicht erreichbar" in response.content.decode()
    assert Attachment.objects.count() == 0


def _database_url() -> str:
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    return f"postgres://{user}@{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_server_killed_during_submit_leaves_nothing_and_the_retry_succeeds_once(publish_assistant, client, tmp_path):
    version = publish_assistant(upload_definition())
    draft = complete(started_draft(client, version), {"name": "Erika"})
    marker = tmp_path / "inside-transaction"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KREISWERK_FILES_DIR": str(settings.KREISWERK_FILES_DIR),
    }
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("submit_and_stall.py")),
            str(draft.pk),
            str(marker),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the submitting process ended before reaching the transaction"
            assert time.monotonic() < deadline, "the submitting process never reached the transaction"
            time.sleep(0.05)
        child.kill()  # SIGKILL: no cleanup, as in a power cut of the app server
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert Submission.objects.count() == 0
    draft.refresh_from_db()
    assert draft.submitted_id is None and draft.answers == {"name": "Erika"}

    submission = submission_submit(draft=draft, submit_key=str(draft.submit_key))
    again = submission_submit(draft=Draft.objects.get(pk=draft.pk), submit_key=str(draft.submit_key))
    assert again.pk == submission.pk
    assert Submission.objects.count() == 1
    assert submission.reference.endswith("000001")  # the killed attempt used up no number


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_submits_give_one_submission(publish_assistant, client):
    version = publish_assistant(upload_definition())
    draft = complete(started_draft(client, version), {"name": "Erika"})
    barrier = threading.Barrier(2)
    results = []

    def submit():
        own = Draft.objects.get(pk=draft.pk)
        barrier.wait(timeout=10)
        results.append(submission_submit(draft=own, submit_key=str(own.submit_key)).pk)

    assert run_together(submit, threads=2) == []
    assert len(results) == 2 and results[0] == results[1]
    assert Submission.objects.count() == 1


def _raw_database_values() -> list[bytes]:
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    values.append(value if isinstance(value, bytes) else str(value).encode())
    return values


@pytest.mark.django_db(transaction=True)
def test_the_database_and_the_files_hold_no_plaintext_of_answers_or_attachments(
    publish_assistant, client, django_capture_on_commit_callbacks
):
    draft = started_draft(client, publish_assistant(upload_definition()))
    upload = SimpleUploadedFile("geheim.txt", SECRET_FILE_TEXT * 50, content_type="text/plain")
    client.post(step_url(draft), {"name": SECRET_ANSWER, "nachweis": upload})
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_submit(draft=draft, submit_key=str(draft.submit_key))
    submission.refresh_from_db()
    assert submission.answers["name"] == SECRET_ANSWER
    assert submission.receipt_path  # the receipt PDF was made and stored

    needles = [SECRET_ANSWER.encode(), SECRET_FILE_TEXT, b"geheim.txt"]
    for value in _raw_database_values():
        for needle in needles:
            assert needle not in value
    if connection.vendor == "sqlite":
        database = Path(connection.settings_dict["NAME"])
        for path in [database, Path(f"{database}-wal")]:
            if path.exists():
                content = path.read_bytes()
                assert all(needle not in content for needle in needles)
    stored = [p for p in Path(settings.KREISWERK_FILES_DIR).rglob("*") if p.is_file()]
    assert len(stored) == 2  # the attachment and the receipt
    for path in stored:
        content = path.read_bytes()
        assert all(needle not in content for needle in needles)


@pytest.mark.django_db
def test_a_file_cannot_be_removed_through_another_fields_button(publish_assistant, client):
    definition = upload_definition()
    definition["steps"][0]["elements"][1]["required"] = True
    definition["steps"][0]["elements"].append(
        {"key": "weitere", "type": "file", "label": "Weitere", "file": {"types": ["pdf"]}}
    )
    draft = started_draft(client, publish_assistant(definition))
    client.post(step_url(draft), {"name": "A", "nachweis": SimpleUploadedFile("nachweis.pdf", PDF)})
    attachment = Attachment.objects.get()
    client.post(step_url(draft), {"name": "A", "_action": f"datei-entfernen:weitere:{attachment.pk}"})
    draft.refresh_from_db()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert draft.answers["nachweis"] == [str(attachment.pk)]


@pytest.mark.django_db
def test_a_submit_naming_a_file_the_draft_does_not_hold_is_refused(publish_assistant, client):
    draft = complete(started_draft(client, publish_assistant(upload_definition())), {"name": "A"})
    draft.answers = {"name": "A", "nachweis": [str(uuid.uuid4())]}
    draft.save()
    with pytest.raises(SubmitRefused):
        submission_submit(draft=draft, submit_key=str(draft.submit_key))
    assert Submission.objects.count() == 0
