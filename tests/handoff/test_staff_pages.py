"""Form builders see failed deliveries of their assistants, retry them, and manage destinations."""

import pytest

from kreiswerk.handoff.models import Delivery, Destination
from kreiswerk.submissions.tasks import followup_enqueue
from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff

from .conftest import SECRET, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(version, webhook, receiver, django_capture_on_commit_callbacks):
    receiver.webhook_secret = "anders-" + "q" * 40  # the receiver refuses our signature
    submission = submit(version)
    with django_capture_on_commit_callbacks(execute=True):
        followup_enqueue(submission)
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.FAILED
    return delivery


def test_a_form_builder_finds_the_failed_delivery_and_retries_it(
    failed, receiver, form_admin, staff_client, django_capture_on_commit_callbacks
):
    client = staff_client(form_admin)
    listing = client.get("/verwaltung/uebergaben/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert failed.submission.reference in page and "Signatur ungültig" in page

    detail = client.get(f"/verwaltung/uebergaben/{failed.pk}/")
    assert "Erneut versuchen" in detail.content.decode() and "401" in detail.content.decode()

    receiver.webhook_secret = SECRET
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/verwaltung/uebergaben/{failed.pk}/erneut/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.DELIVERED and len(receiver.received) == 1
    history = client.get(f"/verwaltung/uebergaben/{failed.pk}/").content.decode()
    assert "erneut angestoßen" in history and "Formulare" in history
    assert client.get("/verwaltung/uebergaben/").content.decode().count(failed.submission.reference) == 0
    assert failed.submission.reference in client.get("/verwaltung/uebergaben/?status=uebergeben").content.decode()


def test_other_units_and_other_roles_see_nothing(failed, other_unit, caseworker, staff_client):
    stranger = staff_client(make_staff("fremd", unit=other_unit, role=Role.FORM_ADMIN))
    assert failed.submission.reference not in stranger.get("/verwaltung/uebergaben/").content.decode()
    assert stranger.get(f"/verwaltung/uebergaben/{failed.pk}/").status_code == 404
    assert stranger.post(f"/verwaltung/uebergaben/{failed.pk}/erneut/").status_code == 404
    assert stranger.get(f"/verwaltung/uebergaben/ziele/{failed.submission.assistant_id}/").status_code == 404
    assert stranger.get(f"/verwaltung/uebergaben/ziel/{failed.destination_id}/").status_code == 403
    assert staff_client(caseworker).get("/verwaltung/uebergaben/").status_code == 403
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED


def test_a_webhook_destination_gets_a_generated_secret_shown_once(version, administrator, staff_client):
    client = staff_client(administrator)
    url = f"/verwaltung/uebergaben/ziele/{version.assistant_id}/neu/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Statistik", "kind": "webhook", "url": "https://statistik.kreis.example/h"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    destination = Destination.objects.get(name="Statistik")
    assert len(destination.secret) >= 32 and destination.secret in response.content.decode()
    listing = client.get(f"/verwaltung/uebergaben/ziele/{version.assistant_id}/").content.decode()
    assert "Statistik" in listing and destination.secret not in listing

    edit = f"/verwaltung/uebergaben/ziel/{destination.pk}/"
    assert destination.secret not in client.get(edit).content.decode()
    saved = client.post(edit, {"name": "Statistikamt", "url": "https://statistik.kreis.example/h", "secret": ""})
    assert saved.status_code == 302
    kept = Destination.objects.get(pk=destination.pk)
    assert kept.name == "Statistikamt" and kept.secret == destination.secret

    client.post(f"/verwaltung/uebergaben/ziel/{destination.pk}/schalten/", {"active": "0"})
    assert not Destination.objects.get(pk=destination.pk).is_active


def test_wrong_settings_get_german_messages_not_a_500(version, administrator, staff_client):
    client = staff_client(administrator)
    url = f"/verwaltung/uebergaben/ziele/{version.assistant_id}/neu/"
    response = client.post(
        url, {"name": "FV", "kind": "fitconnect", "url": "http://fv.kreis.example/x", "public_key": "{kein json"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Es gibt ein Problem" in page
    assert "https-Adresse" in page and "kein JSON Web Key" in page
    assert client.post(url, {"name": "", "kind": "email", "email": "x"}).status_code == 200
    assert client.post(url, {"name": "X", "kind": "telefax"}).status_code == 200
    assert not Destination.objects.exists()


def test_form_builders_see_destinations_but_only_administration_sets_them_up(
    version, webhook, form_admin, administrator, staff_client
):
    builder = staff_client(form_admin)
    listing = builder.get(f"/verwaltung/uebergaben/ziele/{version.assistant_id}/").content.decode()
    assert (
        "Statistik" in listing and "Übergabeziel anlegen" not in listing and "richtet die Administration ein" in listing
    )
    assert builder.get(f"/verwaltung/uebergaben/ziele/{version.assistant_id}/neu/").status_code == 403
    assert builder.post(f"/verwaltung/uebergaben/ziel/{webhook.pk}/", {"name": "X"}).status_code == 403
    assert builder.post(f"/verwaltung/uebergaben/ziel/{webhook.pk}/schalten/", {"active": "0"}).status_code == 403
    admin = staff_client(administrator).get(f"/verwaltung/uebergaben/ziele/{version.assistant_id}/").content.decode()
    assert "Übergabeziel anlegen" in admin
