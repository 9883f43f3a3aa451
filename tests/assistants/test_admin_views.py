"""The form builders' area: import, publish, retire, export, publication window, access."""

import datetime

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kreiswerk.assistants.definition import dump_text, load_text
from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.tenancy.models import Role
from tests.conftest import login_verified, make_staff, simple_definition

State = AssistantVersion.State


def yaml_file(data: dict, name: str = "antrag.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, dump_text(data, "yaml").encode(), "application/yaml")


def do_import(client, unit, upload, note=""):
    return client.post(reverse("assistants:import"), {"unit": unit.pk, "note": note, "file": upload})


@pytest.fixture
def admin_client(staff_client, form_admin):
    return staff_client(form_admin)


@pytest.fixture
def other_admin(other_unit):
    return make_staff("andere", unit=other_unit, role=Role.FORM_ADMIN)


@pytest.fixture
def imported(admin_client, unit):
    """Two imports of the same definition: v1 and v2, both drafts."""
    do_import(admin_client, unit, yaml_file(simple_definition()), note="Erste Fassung")
    do_import(admin_client, unit, yaml_file(simple_definition()), note="Zweite Fassung")
    return Assistant.objects.get(slug="testantrag")


def version(assistant, number):
    return assistant.versions.get(number=number)


# -- import --------------------------------------------------------------------------------------


def test_import_creates_assistant_with_draft_then_new_version(admin_client, unit, form_admin):
    response = do_import(admin_client, unit, yaml_file(simple_definition()), note="Erste Fassung")
    assistant = Assistant.objects.get(slug="testantrag")
    assert response.status_code == 302
    assert response["Location"] == reverse("assistants:detail", args=[assistant.pk])
    v1 = assistant.versions.get()
    assert (v1.number, v1.state, v1.note, v1.created_by) == (
        1,
        State.DRAFT,
        "Erste Fassung",
        form_admin,
    )
    assert assistant.unit == unit
    assert v1.definition == simple_definition()

    json_upload = SimpleUploadedFile("antrag.json", dump_text(simple_definition(), "json").encode(), "application/json")
    response = do_import(admin_client, unit, json_upload)
    assert response.status_code == 302
    assert Assistant.objects.count() == 1
    assert list(assistant.versions.values_list("number", "state")) == [
        (2, State.DRAFT),
        (1, State.DRAFT),
    ]


def test_import_form_renders_with_the_users_units(admin_client, unit, other_unit):
    response = admin_client.get(reverse("assistants:import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert f'value="{unit.pk}"' in html
    assert f'value="{other_unit.pk}"' not in html
    assert '<label class="kern-label" for="id_file">' in html


def test_invalid_definition_shows_german_problems_and_stores_nothing(admin_client, unit):
    definition = simple_definition()
    definition["steps"][0]["elements"].append({"key": "name", "type": "text", "label": "Doppelt"})
    response = do_import(admin_client, unit, yaml_file(definition))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Es gibt ein Problem" in html
    assert "Der Schlüssel „name“ ist mehrfach vergeben." in html
    assert 'href="#id_file"' in html
    assert Assistant.objects.count() == 0
    assert AssistantVersion.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        b"steps: [unclosed\n  - : :",
        b"\xff\xfe kein utf-8",
        b"- eine\n- Liste\n",
        b"[" * 5000 + b"]" * 5000,
        b"a: &x [1, 2]\nb: *x\n",
        b"format: kreiswerk-assistant/1\nslug: x\ntitle: X\nsteps: []\nwhen: 2026-01-01\n",
    ],
    ids=["syntax", "encoding", "not-an-object", "deep", "yaml-alias", "yaml-date"],
)
def test_unusable_files_are_reported_not_500(admin_client, unit, content):
    upload = SimpleUploadedFile("kaputt.yaml", content, "application/yaml")
    response = do_import(admin_client, unit, upload)
    assert response.status_code == 200
    assert "Es gibt ein Problem" in response.content.decode()
    assert AssistantVersion.objects.count() == 0


def test_invalid_publication_date_in_file_is_a_problem_not_500(admin_client, unit):
    definition = simple_definition(publication={"active_from": "2026-13-45T00:00:00", "active_until": None})
    response = do_import(admin_client, unit, yaml_file(definition))
    assert response.status_code == 200
    assert "kein gültiger Zeitpunkt" in response.content.decode()
    assert Assistant.objects.count() == 0


@pytest.mark.parametrize("size", [1024 * 1024, 4 * 1024 * 1024], ids=["over-1mb", "huge"])
def test_oversized_file_is_refused(admin_client, unit, size):
    definition = simple_definition(summary="x" * size)
    response = do_import(admin_client, unit, yaml_file(definition))
    assert response.status_code == 200
    html = response.content.decode()
    assert "größer als 1 MB" in html or "höchstens 1 MB" in html
    assert 'href="#id_file"' in html
    assert AssistantVersion.objects.count() == 0


def test_missing_file_and_unit(admin_client):
    response = admin_client.post(reverse("assistants:import"), {"note": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wählen Sie eine Definitionsdatei aus." in html
    assert "Wählen Sie eine Organisationseinheit." in html


def test_import_needs_csrf_token(form_admin, unit):
    client = login_verified(Client(enforce_csrf_checks=True), form_admin)
    response = do_import(client, unit, yaml_file(simple_definition()))
    assert response.status_code == 403
    assert AssistantVersion.objects.count() == 0

    client.get(reverse("assistants:import"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("assistants:import"),
        {"csrfmiddlewaretoken": token, "unit": unit.pk, "file": yaml_file(simple_definition())},
    )
    assert response.status_code == 302
    assert AssistantVersion.objects.count() == 1


def test_cannot_import_into_unit_outside_own_units(admin_client, other_unit):
    response = do_import(admin_client, other_unit, yaml_file(simple_definition()))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wählen Sie eine Organisationseinheit, die Sie verwalten." in html
    assert 'href="#id_unit"' in html
    assert AssistantVersion.objects.count() == 0


def test_cannot_add_version_to_assistant_of_another_unit(imported, staff_client, other_admin, other_unit):
    client = staff_client(other_admin)
    response = do_import(client, other_unit, yaml_file(simple_definition()))
    assert response.status_code == 200
    assert "anderen Organisationseinheit vergeben" in response.content.decode()
    assert imported.versions.count() == 2
    imported.refresh_from_db()
    assert imported.unit.code == "gewerbe"


# -- publish and retire --------------------------------------------------------------------------


def test_publish_v1_then_v2_supersedes_v1(admin_client, imported):
    v1, v2 = version(imported, 1), version(imported, 2)
    response = admin_client.post(reverse("assistants:publish", args=[v1.pk]))
    assert response.status_code == 302
    v1.refresh_from_db()
    assert v1.state == State.PUBLISHED
    assert v1.published_at is not None

    admin_client.post(reverse("assistants:publish", args=[v2.pk]))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == (State.SUPERSEDED, State.PUBLISHED)

    # Publishing a non-draft again changes nothing.
    response = admin_client.post(reverse("assistants:publish", args=[v1.pk]), follow=True)
    assert "Nur ein Entwurf kann veröffentlicht werden." in response.content.decode()
    v1.refresh_from_db()
    assert v1.state == State.SUPERSEDED


def test_get_on_publish_and_retire_changes_nothing(admin_client, imported):
    v1 = version(imported, 1)
    response = admin_client.get(reverse("assistants:publish", args=[v1.pk]))
    assert response.status_code == 405
    v1.refresh_from_db()
    assert v1.state == State.DRAFT

    admin_client.post(reverse("assistants:publish", args=[v1.pk]))
    response = admin_client.get(reverse("assistants:retire", args=[imported.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html
    assert "außer Betrieb nehmen?" in html
    v1.refresh_from_db()
    assert v1.state == State.PUBLISHED


def test_retire_retires_published_and_superseded_versions(admin_client, imported):
    v1, v2 = version(imported, 1), version(imported, 2)
    admin_client.post(reverse("assistants:publish", args=[v1.pk]))
    admin_client.post(reverse("assistants:publish", args=[v2.pk]))
    response = admin_client.post(reverse("assistants:retire", args=[imported.pk]))
    assert response.status_code == 302
    assert set(imported.versions.values_list("state", flat=True)) == {State.RETIRED}
    response = admin_client.get(reverse("assistants:list"))
    assert "außer Betrieb" in response.content.decode()


# -- detail and list -----------------------------------------------------------------------------


def test_detail_shows_history_and_actions(admin_client, imported):
    v1, v2 = version(imported, 1), version(imported, 2)
    admin_client.post(reverse("assistants:publish", args=[v1.pk]))
    response = admin_client.get(reverse("assistants:detail", args=[imported.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Testantrag" in html
    assert "Erste Fassung" in html and "Zweite Fassung" in html
    assert reverse("assistants:export", args=[v1.pk, "yaml"]) in html
    assert reverse("assistants:export", args=[v2.pk, "json"]) in html
    # Only the draft can be published.
    assert reverse("assistants:publish", args=[v2.pk]) in html
    assert reverse("assistants:publish", args=[v1.pk]) not in html
    assert reverse("assistants:retire", args=[imported.pk]) in html
    assert '<th scope="col"' in html
    try:
        preview = reverse("runner:preview", kwargs={"version_id": v1.pk})
    except NoReverseMatch:
        preview = None
    if preview is not None:
        assert f"/vorschau/{v1.pk}/" in preview
        assert preview in html


def test_list_shows_own_assistants_only(admin_client, imported, publish_assistant, other_unit):
    publish_assistant(simple_definition(slug="jugend", title="Jugendantrag"), target_unit=other_unit)
    admin_client.post(reverse("assistants:publish", args=[version(imported, 1).pk]))
    response = admin_client.get(reverse("assistants:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("assistants:detail", args=[imported.pk]) in html
    assert "veröffentlicht" in html
    assert "Jugendantrag" not in html


def test_administrator_of_parent_unit_manages_forms(staff_client, administrator, imported):
    client = staff_client(administrator)
    assert client.get(reverse("assistants:detail", args=[imported.pk])).status_code == 200


# -- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_reimports_identically(admin_client, imported, unit, fmt):
    v1 = version(imported, 1)
    response = admin_client.get(reverse("assistants:export", args=[v1.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="testantrag-v1.{fmt}"'
    assert response["Content-Type"].startswith(f"application/{fmt}")
    data = load_text(response.content)
    assert data == v1.definition

    upload = SimpleUploadedFile(f"export.{fmt}", response.content)
    assert do_import(admin_client, unit, upload).status_code == 302
    assert version(imported, 3).definition == v1.definition


def test_export_carries_the_publication_window(admin_client, imported, unit):
    start = timezone.make_aware(datetime.datetime(2026, 3, 1, 8, 0))
    end = timezone.make_aware(datetime.datetime(2026, 6, 30, 18, 0))
    Assistant.objects.filter(pk=imported.pk).update(active_from=start, active_until=end)
    v1 = version(imported, 1)
    response = admin_client.get(reverse("assistants:export", args=[v1.pk, "yaml"]))
    data = yaml.safe_load(response.content)
    assert data["publication"]["active_from"].startswith("2026-03-01")

    Assistant.objects.filter(pk=imported.pk).update(active_from=None, active_until=None)
    do_import(admin_client, unit, SimpleUploadedFile("export.yaml", response.content))
    imported.refresh_from_db()
    # A draft does not change the live assistant; its window applies when it is published.
    assert (imported.active_from, imported.active_until) == (None, None)
    assert version(imported, 3).definition == data
    admin_client.post(reverse("assistants:publish", args=[version(imported, 3).pk]))
    imported.refresh_from_db()
    assert (imported.active_from, imported.active_until) == (start, end)


def test_export_unknown_format_is_404(admin_client, imported):
    response = admin_client.get(reverse("assistants:export", args=[version(imported, 1).pk, "xml"]))
    assert response.status_code == 404


# -- publication window --------------------------------------------------------------------------


def test_window_is_saved(admin_client, imported):
    response = admin_client.post(
        reverse("assistants:window", args=[imported.pk]),
        {"active_from": "2026-03-01T08:00", "active_until": "30.06.2026 18:00"},
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    local = timezone.localtime
    assert local(imported.active_from).replace(tzinfo=None) == datetime.datetime(2026, 3, 1, 8, 0)
    assert local(imported.active_until).replace(tzinfo=None) == datetime.datetime(2026, 6, 30, 18)

    admin_client.post(reverse("assistants:window", args=[imported.pk]), {})
    imported.refresh_from_db()
    assert (imported.active_from, imported.active_until) == (None, None)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-06-30T18:00", "2026-03-01T08:00", "„Aktiv bis“ muss nach „Aktiv ab“ liegen."),
        ("2026-03-01T08:00", "2026-03-01T08:00", "„Aktiv bis“ muss nach „Aktiv ab“ liegen."),
        ("morgen", "", "Geben Sie ein gültiges Datum mit Uhrzeit ein."),
    ],
)
def test_window_validation(admin_client, imported, start, end, message):
    response = admin_client.post(
        reverse("assistants:window", args=[imported.pk]),
        {"active_from": start, "active_until": end},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Es gibt ein Problem" in html
    assert message in html
    imported.refresh_from_db()
    assert (imported.active_from, imported.active_until) == (None, None)


def test_window_get_not_allowed(admin_client, imported):
    assert admin_client.get(reverse("assistants:window", args=[imported.pk])).status_code == 405


# -- access --------------------------------------------------------------------------------------


def test_form_admin_of_another_unit_gets_404(imported, staff_client, other_admin):
    client = staff_client(other_admin)
    v1 = version(imported, 1)
    urls = [
        reverse("assistants:detail", args=[imported.pk]),
        reverse("assistants:export", args=[v1.pk, "yaml"]),
        reverse("assistants:retire", args=[imported.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("assistants:publish", args=[v1.pk]),
        reverse("assistants:retire", args=[imported.pk]),
        reverse("assistants:window", args=[imported.pk]),
    ]
    for url in posts:
        assert client.post(url, {"active_from": "2026-01-01T00:00"}).status_code == 404, url
    v1.refresh_from_db()
    imported.refresh_from_db()
    assert v1.state == State.DRAFT
    assert imported.active_from is None
    assert "Testantrag" not in client.get(reverse("assistants:list")).content.decode()


def test_caseworker_gets_403(staff_client, caseworker):
    client = staff_client(caseworker)
    assert client.get(reverse("assistants:list")).status_code == 403
    assert client.get(reverse("assistants:import")).status_code == 403


def test_anonymous_is_sent_to_login(client, imported):
    for url in (
        reverse("assistants:list"),
        reverse("assistants:import"),
        reverse("assistants:detail", args=[imported.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("assistants:publish", args=[version(imported, 1).pk]))
    assert response.status_code == 302
    assert version(imported, 1).state == State.DRAFT
