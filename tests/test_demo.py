"""``kreiswerk demo``: what it creates, that it is idempotent, and that the demo staff can log in."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kreiswerk.accounts.services import totp_enrolment_device
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.handoff.models import Destination
from kreiswerk.tenancy.management.commands.demo import PASSWORD, demo_definition
from kreiswerk.tenancy.models import Mandant, Membership, OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import has_role

from .conftest import login_verified

pytestmark = pytest.mark.django_db

SLUGS = {
    "gewerbeanmeldung": ("musterkreis", "gewerbe"),
    "schuelerbefoerderung": ("musterkreis", "schuelerbefoerderung"),
    "reitkennzeichen": ("musterkreis", "forstamt"),
    "informationszugang": ("musterkreis", "hauptamt"),
    "dienstreiseantrag": ("musterkreis", "personal"),
    "hundeanmeldung": ("musterstadt", "steueramt"),
    "digitalisierungsidee": ("musterkreis", "org-it"),
}


def run_demo() -> str:
    out = StringIO()
    call_command("demo", cockpit_scale=0.01, case_scale=0.1, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "mandanten": Mandant.objects.count(),
        "einheiten": OrganisationalUnit.objects.count(),
        "konten": get_user_model().objects.count(),
        "rollen": Membership.objects.count(),
        "assistenten": Assistant.objects.count(),
        "versionen": AssistantVersion.objects.count(),
        "uebergabeziele": Destination.objects.count(),
    }


def test_demo_creates_county_municipalities_units_staff_and_assistants():
    output = run_demo()

    county = Mandant.objects.get(slug="musterkreis")
    assert (county.name, county.reference_prefix, county.state, county.kind) == (
        "Landkreis Musterkreis",
        "MK",
        "BW",
        Mandant.Kind.COUNTY,
    )
    towns = {m.slug: m for m in Mandant.objects.filter(county=county)}
    assert set(towns) == {"musterstadt", "beispielheim"}
    assert towns["musterstadt"].name == "Stadt Musterstadt"
    assert towns["musterstadt"].reference_prefix == "MS"
    assert towns["beispielheim"].reference_prefix == "BH"

    # The unit tree: Dezernat → Amt → Sachgebiet, with materialised paths.
    gewerbe = OrganisationalUnit.objects.get(mandant=county, code="gewerbe")
    assert gewerbe.kind == OrganisationalUnit.Kind.SACHGEBIET
    assert gewerbe.parent.code == "ordnungsamt"
    assert gewerbe.parent.parent.code == "dez2"
    assert gewerbe.path.startswith(gewerbe.parent.parent.path)
    assert gewerbe.depth == 2
    for code in [
        "dez1",
        "hauptamt",
        "org-it",
        "dez3",
        "schulamt",
        "schuelerbefoerderung",
        "forstamt",
    ]:
        assert OrganisationalUnit.objects.filter(mandant=county, code=code).exists(), code
    assert OrganisationalUnit.objects.filter(mandant=towns["musterstadt"], code="steueramt").exists()

    # Seven published assistants in fitting Mandanten and units.
    for slug, (mandant_slug, unit_code) in SLUGS.items():
        assistant = Assistant.objects.get(slug=slug)
        assert assistant.mandant.slug == mandant_slug
        assert assistant.unit.code == unit_code
        published = assistant.versions.get(state=AssistantVersion.State.PUBLISHED)
        assert published.definition == demo_definition(slug)
    assert Assistant.objects.get(slug="dienstreiseantrag").audience == "internal"
    assert Assistant.objects.get(slug="digitalisierungsidee").audience == "internal"

    # Staff with one role each, at sensible units.
    users = get_user_model().objects
    formulare = users.get(username="formulare")
    sachbearbeitung = users.get(username="sachbearbeitung")
    administration = users.get(username="administration")
    assert has_role(formulare, Role.FORM_ADMIN, gewerbe)
    assert not has_role(formulare, Role.CASEWORKER, gewerbe)
    assert has_role(sachbearbeitung, Role.CASEWORKER, gewerbe)
    assert not has_role(sachbearbeitung, Role.FORM_ADMIN, gewerbe)
    assert not has_role(
        sachbearbeitung,
        Role.CASEWORKER,
        OrganisationalUnit.objects.get(mandant=county, code="personal"),
    )
    top_units = set(OrganisationalUnit.objects.filter(mandant=county, parent__isnull=True))
    assert top_units <= {m.unit for m in administration.memberships.filter(role=Role.ADMIN)}
    for unit in OrganisationalUnit.objects.filter(mandant=county):
        assert has_role(administration, Role.CASEWORKER, unit)

    # The cockpit's team and a council member who reads it.
    digital, council = users.get(username="digitalisierung"), users.get(username="kreistag")
    assert has_role(digital, Role.DIGITAL_TEAM, gewerbe)
    assert has_role(council, Role.COCKPIT_READER, gewerbe)
    assert not has_role(council, Role.DIGITAL_TEAM, gewerbe)

    assert "Demo-Daten angelegt" in output
    assert PASSWORD in output
    assert "administration" in output


def test_demo_twice_changes_nothing():
    run_demo()
    first = counts()
    versions = dict(AssistantVersion.objects.values_list("pk", "state"))
    output = run_demo()
    assert counts() == first
    assert dict(AssistantVersion.objects.values_list("pk", "state")) == versions
    assert "nichts geändert" in output
    assert first["mandanten"] == 3
    assert first["assistenten"] == 7
    assert first["versionen"] == 7
    assert first["uebergabeziele"] == 2


def test_demo_keeps_a_changed_password_and_a_retired_assistant():
    from kreiswerk.assistants.services import assistant_retire

    run_demo()
    user = get_user_model().objects.get(username="formulare")
    user.set_password("Ein-anderes-Passwort-2026")
    user.save()
    assistant_retire(assistant=Assistant.objects.get(slug="reitkennzeichen"))
    run_demo()
    user.refresh_from_db()
    assert user.check_password("Ein-anderes-Passwort-2026")
    states = set(Assistant.objects.get(slug="reitkennzeichen").versions.values_list("state", flat=True))
    assert states == {AssistantVersion.State.RETIRED}


def test_demo_publishes_a_new_version_when_the_yaml_changed(monkeypatch):
    from kreiswerk.tenancy.management.commands import demo

    run_demo()
    original = demo.demo_definition

    def changed(slug):
        data = original(slug)
        if slug == "reitkennzeichen":
            data["keywords"] = [*data["keywords"], "Reitplakette 2027"]
        return data

    monkeypatch.setattr(demo, "demo_definition", changed)
    run_demo()
    assistant = Assistant.objects.get(slug="reitkennzeichen")
    states = dict(assistant.versions.values_list("number", "state"))
    assert states == {1: AssistantVersion.State.SUPERSEDED, 2: AssistantVersion.State.PUBLISHED}
    assert AssistantVersion.objects.count() == 8


@pytest.mark.parametrize("username", ["formulare", "sachbearbeitung", "administration", "digitalisierung"])
def test_demo_staff_can_log_in(username):
    run_demo()
    assert get_user_model().objects.get(username=username).check_password(PASSWORD)

    # The real login: password, then the authenticator enrolment of the first login.
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp")
    user = get_user_model().objects.get(username=username)
    device = totp_enrolment_device(user)  # what the code page shows as QR code
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("accounts:otp"), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["otp_device_id"] == device.persistent_id


def test_demo_staff_session_with_the_shared_helper():
    run_demo()
    user = get_user_model().objects.get(username="sachbearbeitung")
    TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
    client = login_verified(Client(), user)
    assert client.get(reverse("accounts:home")).status_code == 200
