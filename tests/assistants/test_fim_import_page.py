"""The FIM import page of the form builders' area: upload, German errors, access, the report on the detail page."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kreiswerk.assistants.models import Assistant, AssistantVersion
from kreiswerk.tenancy.models import Role
from kreiswerk.tenancy.services import membership_grant
from tests.assistants.test_fim_import import S94, S94_CODELISTS, SAMPLES
from tests.conftest import login_verified, make_staff

URL = "/verwaltung/formulare/fim-importieren/"


def xml_file(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), "application/xml")


def raw_file(content: bytes, name: str = "schema.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/xml")


def do_import(client, unit, schema, codelists=(), **fields):
    data = {"unit": unit.pk, "schema": schema, "codelists": list(codelists), **fields}
    return client.post(reverse("assistants:import_fim"), data)


def s94_codelists():
    return [xml_file(path) for path in S94_CODELISTS]


@pytest.fixture
def admin_client(staff_client, form_admin):
    return staff_client(form_admin)


def assert_refused(response, *texts):
    assert response.status_code == 200
    html = response.content.decode()
    assert "Es gibt ein Problem" in html
    for text in texts:
        assert text in html, text
    assert not AssistantVersion.objects.exists()
    return html


# -- the page ------------------------------------------------------------------------------------


def test_it_is_linked_from_the_list_and_offers_the_users_units(admin_client, unit, other_unit):
    assert reverse("assistants:import_fim") == URL
    assert URL in admin_client.get(reverse("assistants:list")).content.decode()
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="kern-heading-large">FIM-Schema importieren</h1>' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'value="{unit.pk}"' in html and f'value="{other_unit.pk}"' not in html
    assert 'name="codelists"' in html and "multiple" in html
    assert 'type="checkbox" name="allow_missing_codelists"' in html and "kern-form-check__checkbox" in html
    assert "Fehlende Codelisten zulassen" in html


def test_it_needs_the_form_builder_role(staff_client, caseworker):
    response = staff_client(caseworker).get(URL)
    assert response.status_code == 403
    assert "Kein Zugriff" in response.content.decode()


# -- success ---------------------------------------------------------------------------------------


def test_a_form_builder_imports_the_shared_sample_and_sees_the_report(admin_client, unit, form_admin):
    response = do_import(admin_client, unit, xml_file(S94), s94_codelists())
    version = AssistantVersion.objects.get(assistant__slug="fim-s00000094")
    assert response.status_code == 302
    assert response["Location"] == reverse("assistants:detail", args=[version.assistant_id])
    assert (version.number, version.state, version.created_by) == (1, AssistantVersion.State.DRAFT, form_admin)
    assert version.assistant.unit == unit
    assert version.note.startswith("FIM-Import S00000094 V1.0")
    report = version.import_report
    assert (report["fields_found"], report["codelists_imported"], report["rules_translated"]) == (44, 4, 10)

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert "aus dem FIM-Schema als Entwurf gespeichert" in html
    assert 'id="fim-importbericht"' in html
    assert "Version 1 wurde aus dem FIM-Schema S00000094 Version 1.0 (XDatenfelder 2.0) erzeugt." in html
    counts = html[html.index('id="fim-zahlen"') : html.index("</table>", html.index('id="fim-zahlen"'))]
    cells = [
        ("Felder", ["44", "44", "1"]),
        ("Gruppen", ["16", "3 als Schritt, 13 als Gruppe, 0 als Wiederholgruppe", "0"]),
        ("Codelisten", ["4", "4", "0"]),
        ("Regeln", ["13", "10 übersetzt", "3"]),
    ]
    for label, values in cells:
        row = counts[counts.index(f">{label}</th>") :].split("</tr>")[0]
        assert [cell.split("</td>")[0] for cell in row.split('<td class="kern-table__cell">')[1:]] == values
    # Rules left for review: each with the field or group that carries it, the reason without repeating it.
    rules = html[html.index('id="fim-regeln"') : html.index("</table>", html.index('id="fim-regeln"'))]
    assert rules.count('<th scope="row"') == 3
    row = rules[rules.index("R60000020 „Anschrift Inland“") :].split("</tr>")[0]
    assert "G60000093 „Anschrift“" in row
    assert "Ziel G60000088 ist eine Gruppe (Pflichtgruppe nicht abbildbar); als Hinweis behalten." in row
    assert "an G60000093" not in row
    assert "R00000849 „Beschäftigungsverhältnis Frau Sonstiges“" in rules
    assert "F60000262 „Anschriftzeile“" in html[html.index('id="fim-punkte"') :]
    # The draft can be looked at in the test mode straight away.
    assert reverse("runner:preview", args=[version.pk]) in html


def test_a_second_import_is_the_next_draft_with_its_own_slug_choice(admin_client, unit):
    do_import(admin_client, unit, xml_file(S94), s94_codelists())
    response = do_import(admin_client, unit, xml_file(S94), s94_codelists())
    assert response.status_code == 302
    assistant = Assistant.objects.get(slug="fim-s00000094")
    assert list(assistant.versions.values_list("number", flat=True).order_by("number")) == [1, 2]

    response = do_import(admin_client, unit, xml_file(S94), s94_codelists(), slug="mutterschutz")
    assert response.status_code == 302
    assert Assistant.objects.get(slug="mutterschutz").versions.count() == 1


def test_a_field_group_message_without_code_lists_is_imported(admin_client, unit):
    response = do_import(admin_client, unit, xml_file(SAMPLES / "xdf3_datenfeldgruppe_anschrift_inland.xml"))
    assert response.status_code == 302
    html = admin_client.get(response["Location"]).content.decode()
    assert 'id="fim-importbericht"' in html and 'id="fim-regeln"' in html
    assert "R60000000019" in html


def test_the_report_shown_is_the_one_the_command_stores(admin_client, unit):
    call_command("assistant", "import-fim", str(S94), *map(str, S94_CODELISTS), "--unit", unit.code, stdout=StringIO())
    version = AssistantVersion.objects.get()
    html = admin_client.get(reverse("assistants:detail", args=[version.assistant_id])).content.decode()
    assert 'id="fim-regeln"' in html and "G60000093 „Anschrift“" in html


# -- refused ---------------------------------------------------------------------------------------


def test_a_missing_code_list_is_refused_in_german_unless_allowed(admin_client, unit):
    without = [xml_file(path) for path in S94_CODELISTS if "C60000020" not in path.name]
    html = assert_refused(
        do_import(admin_client, unit, xml_file(S94), without),
        "Es fehlen Codelisten, auf die das Schema verweist (siehe Liste).",
        "Probleme beim FIM-Import:",
        "Die Codeliste C60000020",
        "Geben Sie die genericode-Datei aus dem XRepository als weitere Datei an.",
    )
    assert 'href="#id_codelists"' in html

    response = do_import(admin_client, unit, xml_file(S94), s94_codelists()[:3], allow_missing_codelists="on")
    assert response.status_code == 302
    version = AssistantVersion.objects.get()
    missing = [item for item in version.import_report["items"] if item["kind"] == "Codeliste"]
    assert [item["fim_id"] for item in missing] == ["C60000020"]
    html = admin_client.get(response["Location"]).content.decode()
    assert "Codeliste C60000020" in html and "fehlt; Felder damit als Textfelder." in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 kein XML", "ist kein wohlgeformtes XML"),
        (b"Name;Vorname\nMustermann;Erika\n", "ist kein wohlgeformtes XML"),
        (b"\xff\xfe\x00<", "ist kein wohlgeformtes XML"),
        (b"<?xml version='1.0'?><antrag><name>x</name></antrag>", "ist keine XDatenfelder-Nachricht"),
        ((SAMPLES / "C00000020_genericode.xml").read_bytes(), "ist keine XDatenfelder-Nachricht"),
        (
            b'<xdf:xdatenfelder.datenfeld.0104 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2"/>',
            "wird nicht unterstützt",
        ),
    ],
    ids=["pdf", "csv", "binary", "other-xml", "code-list-as-schema", "other-message"],
)
def test_files_that_are_not_an_xdatenfelder_schema_are_refused(admin_client, unit, content, message):
    html = assert_refused(
        do_import(admin_client, unit, raw_file(content, "antrag.xml")),
        "Die Dateien können nicht als FIM-Schema importiert werden (siehe Liste).",
        "„antrag.xml“",
        message,
    )
    assert 'href="#id_schema"' in html


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2">
&lol4;
</xdf:xdatenfelder.stammdatenschema.0102>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_2">
&secret;
</xdf:xdatenfelder.stammdatenschema.0102>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BILLION_LAUGHS, "„schema.xml“ enthält eine DTD; das ist aus Sicherheitsgründen nicht erlaubt."),
        (EXTERNAL_ENTITY, "„schema.xml“ enthält eine DTD; das ist aus Sicherheitsgründen nicht erlaubt."),
        (b"<a>" * 300 + b"</a>" * 300, "„schema.xml“ ist kein wohlgeformtes XML"),
    ],
    ids=["billion-laughs", "external-entity", "deep"],
)
def test_xml_bombs_are_refused_without_expanding(admin_client, unit, content, message):
    html = assert_refused(do_import(admin_client, unit, raw_file(content)), message)
    assert "root:" not in html and "lollollol" not in html


def test_a_broken_code_list_is_named(admin_client, unit):
    broken = raw_file(b"<CodeList><kaputt>", "C60000020_genericode.xml")
    assert_refused(
        do_import(admin_client, unit, xml_file(S94), [*s94_codelists()[:3], broken]),
        "„C60000020_genericode.xml“ ist kein wohlgeformtes XML",
    )


def test_too_large_files_are_refused_with_the_limit(admin_client, unit, monkeypatch):
    monkeypatch.setattr("kreiswerk.assistants.views.MAX_FIM_FILE_BYTES", 150_000)
    html = assert_refused(
        do_import(admin_client, unit, xml_file(S94), s94_codelists()),
        "Die Datei „S00000094V1.0_xdf2.xml“ ist größer als",
    )
    assert 'href="#id_schema"' in html
    assert "Wählen Sie die XML-Datei mit dem FIM-Schema aus." not in html

    monkeypatch.undo()
    monkeypatch.setattr("kreiswerk.assistants.forms.MAX_FIM_TOTAL_BYTES", 300_000)
    assert_refused(
        do_import(admin_client, unit, xml_file(S94), s94_codelists()),
        "Die Dateien sind zusammen größer als",
    )


def test_too_many_code_lists_are_refused(admin_client, unit, monkeypatch):
    monkeypatch.setattr("kreiswerk.assistants.forms.MAX_FIM_CODELISTS", 3)
    assert_refused(
        do_import(admin_client, unit, xml_file(S94), s94_codelists()),
        "Wählen Sie höchstens 3 Codelisten aus.",
    )


def test_missing_file_and_unit_and_a_bad_slug(admin_client):
    html = assert_refused(
        admin_client.post(URL, {"slug": "Kein Kürzel!"}),
        "Wählen Sie die XML-Datei mit dem FIM-Schema aus.",
        "Wählen Sie eine Organisationseinheit.",
        "Das Kürzel darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten",
    )
    assert "<title>Fehler:" in html


# -- access ------------------------------------------------------------------------------------------


def test_a_user_cannot_import_into_a_unit_without_the_form_builder_role(staff_client, unit, other_unit):
    # Form builder in the Jugendamt, only caseworker in Gewerbe.
    user = make_staff("jugend", unit=other_unit, role=Role.FORM_ADMIN)
    membership_grant(user=user, unit=unit, role=Role.CASEWORKER)
    client = staff_client(user)
    assert f'value="{unit.pk}"' not in client.get(URL).content.decode()
    html = assert_refused(
        do_import(client, unit, xml_file(S94), s94_codelists()),
        "Wählen Sie eine Organisationseinheit, die Sie verwalten.",
    )
    assert 'href="#id_unit"' in html
    assert do_import(client, other_unit, xml_file(S94), s94_codelists()).status_code == 302


def test_a_new_version_cannot_move_an_assistant_to_another_unit(admin_client, staff_client, unit, other_unit):
    do_import(admin_client, unit, xml_file(S94), s94_codelists())
    client = staff_client(make_staff("andere", unit=other_unit, role=Role.FORM_ADMIN))
    response = do_import(client, other_unit, xml_file(S94), s94_codelists())
    assert response.status_code == 200
    assert "„fim-s00000094“ ist bereits für einen Antragsassistenten" in response.content.decode()
    assert AssistantVersion.objects.count() == 1


def test_it_needs_a_csrf_token(form_admin, unit):
    client = login_verified(Client(enforce_csrf_checks=True), form_admin)
    assert do_import(client, unit, xml_file(S94), s94_codelists()).status_code == 403
    assert not AssistantVersion.objects.exists()
