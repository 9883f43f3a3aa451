"""The Leistungskatalog as CSV and XLSX: export, import (all rows or none), console commands."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import catalogue_io, maturity
from kreiswerk.cockpit.catalogue_io import HEADERS, CatalogueFileError, catalogue_import, catalogue_read
from kreiswerk.cockpit.models import Channel, Service
from kreiswerk.tenancy.services import mandant_create, unit_create
from tests.conftest import simple_definition

IMPORT = reverse("cockpit:services_import")


@pytest.fixture
def team(staff_client, team_member):
    return staff_client(team_member)


@pytest.fixture
def town(mandant):
    town = mandant_create(slug="musterstadt", name="Stadt Musterstadt", kind="gemeinde", reference_prefix="MS")
    town.county = mandant
    town.save()
    unit_create(mandant=town, code="buergeramt", name="Bürgeramt", kind="amt")
    return town


@pytest.fixture
def catalogue(unit, other_unit, town, publish_assistant):
    assistant = publish_assistant(simple_definition()).assistant
    top = {c.key: "ja" for c in maturity.CRITERIA if c.level <= 4}
    return [
        Service.objects.create(
            mandant=unit.mandant,
            unit=unit,
            name="Gewerbeanmeldung",
            leika_key="99050012104000",
            channel=Channel.ASSISTANT,
            assistant=assistant,
            yearly_volume=800,
            online_since=datetime.date(2024, 3, 1),
            criteria={**top, "payment_online": "entfaellt"},
        ),
        Service.objects.create(
            mandant=unit.mandant,
            unit=other_unit,
            name='=HYPERLINK("http://example.org";"Elterngeld")',
            channel=Channel.EFA,
            yearly_volume=2500,
            criteria={"information": "ja", "contact": "nein"},
        ),
        Service.objects.create(
            mandant=town,
            unit=town.units.get(),
            name="Meldebescheinigung",
            leika_key="99115003012000",
            channel=Channel.STATE_PORTAL,
        ),
    ]


def snapshot() -> list[tuple]:
    return sorted(
        (
            s.mandant.slug,
            s.leika_key,
            s.name,
            s.unit.code,
            s.channel,
            s.assistant_id,
            s.yearly_volume,
            s.online_since,
            tuple(sorted(s.criteria.items())),
            s.maturity_level,
            s.legacy_level,
        )
        for s in Service.objects.select_related("mandant", "unit")
    )


def export(client, fmt: str) -> bytes:
    response = client.get(reverse("cockpit:services_export", args=[fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    return b"".join(response.streaming_content)


def upload(client, content: bytes, name: str):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_csv_export_has_every_column_and_derived_values(team, catalogue):
    rows = csv_rows(export(team, "csv"))
    assert rows[0] == list(HEADERS)
    by_name = {row[3]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    first = by_name["Gewerbeanmeldung"]
    assert first["mandant"] == "musterkreis"
    assert first["leika"] == "99050012104000"
    assert first["urn"] == "urn:de:fim:leika:leistung:99050012104000"
    assert first["zugang"] == "kreiswerk"
    assert first["antragsassistent"] == "testantrag"
    assert first["online_seit"] == "01.03.2024"
    assert first["reifegrad"] == "4"
    assert first["reifegrad_bezeichnung"] == "Bescheid digital"
    assert first["reifegrad_alt"] == "3"
    assert first["fallzahl_plattform"] == "0"
    assert first["payment_online"] == "entfällt"
    assert first["once_only"] == ""


def test_the_csv_export_round_trips(team, catalogue):
    content = export(team, "csv")
    before = snapshot()
    Service.objects.filter(leika_key="99050012104000").update(name="verändert", yearly_volume=1)
    Service.objects.filter(leika_key="99115003012000").delete()
    response = upload(team, content, "katalog.csv")
    assert response.status_code == 302, response.content.decode()
    assert snapshot() == before
    assert AuditEntry.objects.filter(action="cockpit.service.create").count() == 1
    assert AuditEntry.objects.filter(action="cockpit.service.update").count() == 2


def test_the_xlsx_export_round_trips_into_an_empty_catalogue(team, catalogue):
    content = export(team, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    keys = [row[1] for row in sheet.iter_rows(min_row=2) if row[1].value]
    assert keys and all(cell.data_type == "s" for cell in keys)  # text, so Excel keeps all 14 digits
    before = snapshot()
    Service.objects.all().delete()
    response = upload(team, content, "katalog.xlsx")
    assert response.status_code == 302, response.content.decode()
    assert snapshot() == before


def test_the_export_neutralises_formulas_and_the_import_restores_the_text(team, catalogue):
    rows = csv_rows(export(team, "csv"))
    names = [row[3] for row in rows[1:]]
    assert '\'=HYPERLINK("http://example.org";"Elterngeld")' in names
    sheet = openpyxl.load_workbook(io.BytesIO(export(team, "xlsx"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '\'=HYPERLINK("http://example.org";"Elterngeld")' in [cell.value for cell in cells]
    Service.objects.all().delete()
    upload(team, csv_bytes(rows), "katalog.csv")
    assert Service.objects.filter(name__startswith="=HYPERLINK").count() == 1


def test_bad_rows_refuse_the_whole_file_with_line_numbers(team, catalogue):
    before = snapshot()
    content = csv_bytes(
        [
            ["leika", "bezeichnung", "einheit", "zugang", "fallzahl_jahr", "information", "application_online"],
            ["99050012104000", "Gewerbeanmeldung neu", "gewerbe", "kreiswerk", "", "ja", "ja"],
            ["9905001210400", "Zu kurz", "gewerbe", "efa", "", "", ""],
            ["", "Ohne Einheit", "", "offline", "viele", "", ""],
            ["99000000000001", "Falscher Zugang", "gewerbe", "Brieftaube", "", "vielleicht", "entfällt"],
            ["99000000000002", "Gut", "gewerbe", "Landesportal", "", "ja", ""],
            ["99000000000002", "Doppelt", "gewerbe", "efa", "", "", ""],
        ]
    )
    response = upload(team, content, "katalog.csv")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Die Datei wurde nicht importiert; nichts wurde geändert" in page
    for expected in [
        "Zeile 2: Bitte wählen Sie den Antragsassistenten",
        "Zeile 3: Ein LeiKa-Schlüssel hat genau 14 Ziffern",
        "Zeile 4: Es fehlt das Kürzel der zuständigen Einheit.",
        "Zeile 4: Die Fallzahl „viele“ ist keine ganze Zahl.",
        "Zeile 5: Den Zugang „Brieftaube“ gibt es nicht",
        "Zeile 5: Spalte „information“: „vielleicht“ ist keine Antwort",
        "Zeile 5: Spalte „application_online“: „entfällt“ ist bei diesem Kriterium nicht möglich.",
        "Zeile 7: dieselbe Leistung steht schon in Zeile 6.",
    ]:
        assert expected in page, expected
    assert "Zeile 6" not in page.replace("Zeile 6.", "")
    assert snapshot() == before
    assert not AuditEntry.objects.filter(action__startswith="cockpit.service").exists()


def test_import_matches_by_key_then_by_name_and_creates_the_rest(catalogue, mandant, team_member):
    content = csv_bytes(
        [
            ["bezeichnung", "leika", "einheit", "zugang", "form_online", "information", "contact"],
            ["Gewerbe anmelden", "99050012104000", "gewerbe", "eigener Antragsassistent (kreiswerk)", "ja", "ja", "ja"],
            ["Neue Leistung", "", "jugendamt", "EfA-Dienst", "", "", ""],
            ["Meldebescheinigung", "", "gewerbe", "offline", "", "", ""],
        ]
    )
    # The first row keeps no assistant column: the entry gives up its assistant and must say so.
    with pytest.raises(CatalogueFileError) as info:
        catalogue_import(catalogue_read(content), mandant=mandant, actor=team_member)
    assert info.value.problems == [
        "Zeile 2: Bitte wählen Sie den Antragsassistenten, über den die Leistung angeboten wird."
    ]
    content = content.replace(b"eigener Antragsassistent (kreiswerk)", b"landesportal")
    result = catalogue_import(catalogue_read(content), mandant=mandant, actor=team_member)
    assert (result.created, result.updated) == (2, 1)
    renamed = Service.objects.get(leika_key="99050012104000")
    assert renamed.name == "Gewerbe anmelden"
    assert renamed.channel == Channel.STATE_PORTAL and renamed.assistant is None
    assert renamed.maturity_level == 2
    new = Service.objects.get(name="Neue Leistung")
    assert (new.mandant, new.unit.code, new.channel) == (mandant, "jugendamt", Channel.EFA)
    # Without a mandant column a row belongs to the county: the town's entry of the same name stays apart.
    assert Service.objects.filter(name="Meldebescheinigung").count() == 2


def test_a_row_without_key_updates_the_entry_of_that_name(unit, mandant):
    Service.objects.create(mandant=mandant, unit=unit, name="Hundesteuer", leika_key="99000000000009")
    content = csv_bytes([["bezeichnung", "einheit", "fallzahl_jahr"], ["hundesteuer", "gewerbe", "1.500"]])
    result = catalogue_import(catalogue_read(content), mandant=mandant, actor=None)
    assert (result.created, result.updated) == (0, 1)
    service = Service.objects.get()
    assert (service.leika_key, service.yearly_volume) == ("99000000000009", 1500)


def test_a_row_with_a_new_key_gives_it_to_the_keyless_entry_of_that_name(unit, mandant):
    Service.objects.create(mandant=mandant, unit=unit, name="Hundesteuer")
    content = csv_bytes([["bezeichnung", "leika", "einheit"], ["Hundesteuer", "99000000000009", "gewerbe"]])
    result = catalogue_import(catalogue_read(content), mandant=mandant, actor=None)
    assert (result.created, result.updated) == (0, 1)
    assert Service.objects.get().leika_key == "99000000000009"


def test_a_key_excel_shortened_is_explained(unit, mandant):
    content = csv_bytes([["bezeichnung", "leika", "einheit"], ["Hundesteuer", "9,9E+13", "gewerbe"]])
    with pytest.raises(CatalogueFileError) as info:
        catalogue_import(catalogue_read(content), mandant=mandant, actor=None)
    assert info.value.problems == [
        "Zeile 2: Der LeiKa-Schlüssel „9,9E+13“ wurde von Excel als Zahl gekürzt; bitte die Spalte als Text "
        "formatieren oder die XLSX-Datei verwenden."
    ]


def test_an_xlsx_with_numbers_and_dates_imports(unit, mandant):
    content = xlsx_bytes(
        [
            ["bezeichnung", "leika", "einheit", "fallzahl_jahr", "online_seit"],
            ["Gewerbeanmeldung", 99050012104000, "gewerbe", 1200, datetime.datetime(2025, 1, 31)],
        ]
    )
    catalogue_import(catalogue_read(content, filename="k.xlsx"), mandant=mandant, actor=None)
    service = Service.objects.get()
    assert service.leika_key == "99050012104000"
    assert service.yearly_volume == 1200
    assert service.online_since == datetime.date(2025, 1, 31)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("bezeichnung;einheit\nHundesteuer für Größere;gewerbe\n".encode("cp1252"), "k.csv", "nicht UTF-8-kodiert"),
        (b"PK\x03\x04kaputt", "k.xlsx", "beschädigt oder keine Excel-Datei"),
        (b"\xd0\xcf\x11\xe0 altes excel", "k.xls", "keine gültige XLSX-Datei"),
        (b"", "k.csv", "leer"),
        (b"bezeichnung;einheit\n", "k.csv", "nur die Kopfzeile"),
        (b"bezeichnung;farbe;einheit\nA;rot;gewerbe\n", "k.csv", "Zeile 1: unbekannte Spalte(n) „farbe“"),
        (b"leika;einheit\n99050012104000;gewerbe\n", "k.csv", "Zeile 1: Es fehlt die Spalte bezeichnung."),
        (b'bezeichnung;einheit\n"offen;gewerbe\n', "k.csv", "Zeile 2: Die CSV-Datei ist fehlerhaft"),
        (b"bezeichnung;einheit\n" + b"x" * 1001 + b";gewerbe\n", "k.csv", "Zeile 2: Ein Feld ist länger als 1000"),
        (b"bezeichnung;einheit\n" + b"x" * 200_000, "k.csv", "Die CSV-Datei ist fehlerhaft"),
    ],
    ids=[
        "cp1252",
        "broken-xlsx",
        "xls",
        "empty",
        "header-only",
        "unknown-column",
        "missing-column",
        "bad-quote",
        "long-cell",
        "huge-field",
    ],
)
def test_a_bad_file_gets_a_german_message(team, content, name, message):
    response = upload(team, content, name)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert not Service.objects.exists()


def test_an_oversized_file_is_refused(team, settings):
    response = upload(team, b"bezeichnung;einheit\n" + b"x" * (catalogue_io.MAX_IMPORT_BYTES + 10), "k.csv")
    assert response.status_code == 200
    assert "5 MB" in response.content.decode()
    assert not Service.objects.exists()


def test_a_file_with_too_many_rows_is_refused(unit, mandant, monkeypatch):
    monkeypatch.setattr(catalogue_io, "MAX_ROWS", 3)
    rows = [["bezeichnung", "einheit"]] + [[f"Leistung {n}", "gewerbe"] for n in range(4)]
    with pytest.raises(CatalogueFileError) as info:
        catalogue_read(csv_bytes(rows))
    assert "mehr als 3 Zeilen" in info.value.problems[0]


def test_an_xlsx_that_unpacks_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(catalogue_io, "MAX_UNPACKED_BYTES", 1000)
    content = xlsx_bytes([["bezeichnung", "einheit"], ["x" * 5000, "gewerbe"]])
    with pytest.raises(CatalogueFileError) as info:
        catalogue_read(content, filename="k.xlsx")
    assert info.value.problems == ["Die XLSX-Datei ist entpackt zu groß."]


def test_the_import_page_reports_what_it_did(team, unit):
    page = team.get(IMPORT).content.decode()
    assert 'enctype="multipart/form-data"' in page
    response = upload(team, csv_bytes([["bezeichnung", "einheit"], ["Hundesteuer", "gewerbe"]]), "k.csv")
    assert response.status_code == 302
    assert "1 Leistungen neu, 0 aktualisiert" in team.get(response["Location"]).content.decode()


def test_the_import_without_a_file_asks_for_one(team):
    response = team.post(IMPORT, {})
    assert "Bitte wählen Sie eine Datei aus." in response.content.decode()


def test_readers_may_export_but_not_import(staff_client, reader, catalogue):
    client = staff_client(reader)
    assert csv_rows(export(client, "csv"))[0] == list(HEADERS)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("k.csv", b"bezeichnung;einheit\nA;gewerbe\n")})
    assert response.status_code == 403


# --- console ----------------------------------------------------------------------------------


def test_the_console_exports_and_imports(catalogue, mandant, tmp_path):
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"katalog.{fmt}"
        out = io.StringIO()
        call_command("catalogue", "export", "--mandant", "musterkreis", "--format", fmt, str(target), stdout=out)
        assert "3 Leistungen von Landkreis Musterkreis" in out.getvalue()
        before = snapshot()
        Service.objects.all().delete()
        out = io.StringIO()
        call_command("catalogue", "import", str(target), "--mandant", "musterkreis", stdout=out)
        assert "3 Leistungen neu, 0 aktualisiert" in out.getvalue()
        assert snapshot() == before


def test_the_console_reports_bad_rows_in_german(unit, tmp_path):
    source = tmp_path / "katalog.csv"
    source.write_bytes(csv_bytes([["bezeichnung", "einheit"], ["Gut", "gewerbe"], ["Schlecht", "gibtsnicht"]]))
    with pytest.raises(CommandError) as info:
        call_command("catalogue", "import", str(source), "--mandant", "musterkreis")
    assert "nichts wurde geändert" in str(info.value)
    assert "Zeile 3: Eine Einheit mit dem Kürzel „gibtsnicht“ gibt es nicht." in str(info.value)
    assert not Service.objects.exists()


def test_the_console_names_a_missing_file_or_mandant(mandant, tmp_path):
    with pytest.raises(CommandError, match="kann nicht gelesen werden"):
        call_command("catalogue", "import", str(tmp_path / "fehlt.csv"), "--mandant", "musterkreis")
    with pytest.raises(CommandError, match="Den Mandanten „nirgendwo“ gibt es nicht."):
        call_command("catalogue", "export", "--mandant", "nirgendwo", str(tmp_path / "k.csv"))
    with pytest.raises(CommandError, match="--format csv"):
        call_command("catalogue", "export", "--mandant", "musterkreis", str(tmp_path / "k.txt"))
