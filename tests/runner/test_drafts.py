"""Drafts: kept while the citizen works, saved by the session warning, purged when expired."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kreiswerk.runner.models import Draft
from kreiswerk.submissions.models import Attachment
from tests.runner.test_citizen_path import licence_definition, start
from tests.submissions.test_intake_faults import PDF, upload_definition

pytestmark = pytest.mark.django_db


def test_the_session_warning_keeps_what_was_typed_without_validating_it(publish_assistant, client):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    draft_id = url.split("/")[2]
    response = client.post(
        reverse("runner:keepalive", args=[draft_id]), {"_step": "person", "name": "Erika", "jahre": "zwölf"}
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    draft = Draft.objects.get(pk=draft_id)
    assert draft.answers["name"] == "Erika"
    assert "jahre" not in draft.answers  # not a number: dropped, never stored as garbage
    assert draft.completed_steps == []
    page = client.get(url).content.decode()
    assert 'value="Erika"' in page


def test_the_session_warning_is_not_a_get(publish_assistant, client):
    version = publish_assistant(licence_definition())
    draft_id = start(client, version).split("/")[2]
    assert client.get(reverse("runner:keepalive", args=[draft_id])).status_code == 405


def test_expired_drafts_and_their_files_are_purged(publish_assistant, client, django_capture_on_commit_callbacks):
    version = publish_assistant(upload_definition())
    url = start(client, version)
    client.post(url, {"name": "A", "nachweis": SimpleUploadedFile("nachweis.pdf", PDF)})
    kept_url = start(client, version)
    stored = Path(settings.KREISWERK_FILES_DIR) / Attachment.objects.get().path
    assert stored.exists()
    Draft.objects.exclude(pk=kept_url.split("/")[2]).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("housekeeping")
    assert list(Draft.objects.values_list("pk", flat=True)) == [Draft.objects.get().pk]
    assert str(Draft.objects.get().pk) == kept_url.split("/")[2]
    assert Attachment.objects.count() == 0
    assert not stored.exists()


def test_an_idle_citizen_session_loses_its_drafts(publish_assistant, client, settings):
    version = publish_assistant(licence_definition())
    url = start(client, version)
    session = client.session
    session["kreiswerk_citizen_seen"] -= settings.KREISWERK_SESSION_IDLE_MINUTES * 60 + 5
    session.save()
    response = client.get(url)
    assert response.status_code == 410
    assert "Sitzung ist abgelaufen" in response.content.decode()
