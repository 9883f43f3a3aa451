"""``kreiswerk handoff`` sets destinations up and retries; housekeeping picks up what is due."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from kreiswerk.handoff.models import Delivery, Destination
from kreiswerk.submissions.tasks import followup_enqueue

from .conftest import submit

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("handoff", *args, stdout=out)
    return out.getvalue()


def test_destinations_are_added_listed_and_switched(version, tmp_path, public_jwk):
    key = tmp_path / "fv.public.json"
    key.write_text(public_jwk)
    run(
        "add",
        "testantrag",
        "--name",
        "FV",
        "--kind",
        "fitconnect",
        "--url",
        "https://fv.example/s",
        "--public-key",
        str(key),
    )
    output = run(
        "add", "testantrag", "--name", "Hook", "--kind", "webhook", "--url", "https://h.example/", "--generate-secret"
    )
    secret = output.strip().splitlines()[-1]
    assert Destination.objects.get(name="Hook").secret == secret and len(secret) >= 32
    listing = run("list", "testantrag")
    assert "FV" in listing and "Hook" in listing and secret not in listing
    hook = Destination.objects.get(name="Hook")
    run("disable", str(hook.pk))
    assert not Destination.objects.get(pk=hook.pk).is_active


def test_bad_settings_end_with_a_german_message(version):
    with pytest.raises(CommandError, match="mindestens 32 Zeichen"):
        run("add", "testantrag", "--name", "Hook", "--kind", "webhook", "--url", "https://h.example/", "--secret", "x")
    with pytest.raises(CommandError, match="gibt es nicht"):
        run("add", "unbekannt", "--name", "X", "--kind", "email", "--email", "a@b.example")
    with pytest.raises(CommandError, match="UUID"):
        run("retry", "keine-uuid")


def test_housekeeping_starts_due_deliveries_and_retry_restarts_failed_ones(
    version, fitconnect, receiver, settings, django_capture_on_commit_callbacks
):
    settings.KREISWERK_HANDOFF_RETRY_SECONDS = 0  # due at once
    receiver.stop()
    submission = submit(version)
    with django_capture_on_commit_callbacks(execute=True):
        followup_enqueue(submission)
    receiver.start()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("housekeeping", stdout=out)
    assert "1 fällige oder liegen gebliebene Übergaben angestoßen." in out.getvalue()
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.DELIVERED

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert "1 Übergaben erneut angestoßen." in run("retry", "--all-failed")
    assert json.loads(json.dumps(run("deliveries"))).count(str(delivery.pk)) == 1
    assert next(iter(receiver.received.values())).repeats == 1  # the receiver recognised the repeat
