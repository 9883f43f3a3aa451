"""Reports for the council: PDF/A with the period's figures, XLSX with the same numbers, roles, bad periods."""

import io
import shutil
import subprocess
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pikepdf
import pytest
from django.urls import reverse
from freezegun import freeze_time

from kreiswerk.audit.models import AuditEntry
from kreiswerk.cockpit import maturity
from kreiswerk.cockpit.forms.reports import ReportForm, period_presets
from kreiswerk.cockpit.models import Goal, Indicator, Project, ProjectMember, Report, Risk, Service
from kreiswerk.cockpit.report import report_pdf_bytes, report_xlsx_bytes
from kreiswerk.cockpit.selectors import Period, figures_compute, period_label
from kreiswerk.cockpit.services import (
    gate_pass,
    idea_create,
    idea_decide,
    indicator_value_record,
    project_concept_set,
    project_create,
    project_limit_set,
    project_member_add,
    project_status_set,
    report_save,
    service_save,
)
from kreiswerk.submissions.models import Submission
from tests.conftest import pdf_text, require_tool, simple_definition

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cockpit-report"
FIRST_HALF_2026 = Period(date(2026, 1, 1), date(2026, 6, 30))
LAST_YEAR = date.today().year - 1  # its half-years are always among the presets
NEXT_YEAR = date.today().year + 1
INTRODUCTION = "Der Kreis kommt voran.\n\nIm zweiten Absatz steht <b>Markup</b> & mehr."
LEVEL_3 = {
    "information": "ja",
    "contact": "ja",
    "form_online": "ja",
    "application_online": "ja",
    "identification": "entfaellt",
    "evidence_upload": "ja",
    "payment_online": "entfaellt",
}


def _submit(version, *, when: str, is_test: bool = False) -> Submission:
    with freeze_time(when):
        return Submission.objects.create(
            reference=f"MK-{uuid.uuid4().hex[:10]}",
            mandant=version.assistant.mandant,
            unit=version.assistant.unit,
            assistant=version.assistant,
            version=version,
            payload={"answers": {"name": "Erika"}, "computed": {}},
            idempotency_key=uuid.uuid4(),
            is_test=is_test,
        )


@pytest.fixture
def programme(mandant, unit, other_unit, team_member, publish_assistant):
    """Half a year of a county's programme, with things just before and after it."""
    version = publish_assistant(simple_definition(slug="kfz", title={"de": "Kfz-Zulassung"}))
    online = service_save(
        service=Service(mandant=mandant),
        actor=team_member,
        name="Kfz-Zulassung online",
        unit=unit,
        channel="kreiswerk",
        assistant=version.assistant,
        criteria=LEVEL_3,
    )
    service_save(
        service=Service(mandant=mandant),
        actor=team_member,
        name="Fischereischein",
        unit=unit,
        channel="offline",
        criteria={"information": "ja", "contact": "ja"},
    )
    service_save(service=Service(mandant=mandant), actor=team_member, name="Hundesteuer", unit=other_unit)
    for when in ("2026-02-03 10:00", "2026-02-17 11:00", "2026-05-20 09:00"):
        _submit(version, when=when)
    _submit(version, when="2026-03-01 10:00", is_test=True)
    _submit(version, when="2026-08-12 10:00")  # after the period

    with freeze_time("2025-11-05 10:00"):
        early = idea_create(mandant=mandant, title="Idee vom Vorjahr", description="alt", author=team_member)
        idea_decide(idea=early, decision="zurueckstellen", reason="Erst nach der Wahl", actor=team_member)
    with freeze_time("2026-03-10 10:00"):
        chosen = idea_create(mandant=mandant, title="Online-Fischereischein", description="neu", author=team_member)
        chosen = idea_decide(
            idea=chosen, decision="umsetzen", reason="Hohe Nachfrage, EfA vorhanden", actor=team_member
        )
    with freeze_time("2026-07-20 10:00"):
        late = idea_create(mandant=mandant, title="Idee aus dem Sommer", description="spät", author=team_member)
        idea_decide(idea=late, decision="ablehnen", reason="Zu teuer", actor=team_member)

    with freeze_time("2026-03-15 10:00"):
        project = project_create(
            mandant=mandant, unit=unit, title="Fischereischein digital", actor=team_member, idea=chosen
        )
        for role in (ProjectMember.Role.SPONSOR, ProjectMember.Role.LEAD):
            project_member_add(project=project, user=team_member, role=role, actor=team_member)
        waiting = project_create(mandant=mandant, unit=other_unit, title="E-Akte Jugendamt", actor=team_member)
    with freeze_time("2026-04-01 10:00"):
        gate_pass(project=project, actor=team_member)
        project_concept_set(project=project, concept="Fachkonzept", actor=team_member)
    with freeze_time("2026-05-01 10:00"):
        gate_pass(project=project, actor=team_member)
    with freeze_time("2026-06-01 10:00"):
        gate_pass(project=project, actor=team_member)  # Umsetzung
    with freeze_time("2026-08-01 10:00"):
        gate_pass(project=project, actor=team_member)  # Einführung: after the period
    project_status_set(project=project, status="gelb", reason="Schnittstelle verspätet", actor=team_member)
    Goal.objects.create(
        project=project, text="Anträge online", indicator="Anteil online", baseline=0, target=60, actual=45
    )
    Risk.objects.create(project=project, dimension="rechtlich", description="Datenschutz offen", likelihood=3, impact=3)
    Risk.objects.create(project=project, dimension="personell", description="Vertretung fehlt", likelihood=1, impact=2)
    Risk.objects.create(project=waiting, dimension="finanziell", description="Mittel gekürzt", likelihood=2, impact=2)
    project_limit_set(mandant=mandant, unit=None, maximum=1, actor=team_member)

    places = Indicator.objects.create(
        mandant=mandant, name="Telearbeitsplätze", unit_label="Plätze", source="Personalamt", target=Decimal(250)
    )
    indicator_value_record(indicator=places, value=Decimal("212"), as_of=date(2026, 3, 31), actor=team_member)
    indicator_value_record(indicator=places, value=Decimal("263"), as_of=date(2026, 9, 30), actor=team_member)
    return {"service": online, "project": project, "waiting": waiting}


@pytest.fixture
def report(programme, mandant, team_member):
    return report_save(
        mandant=mandant,
        actor=team_member,
        kind=Report.Kind.HALF_YEAR,
        period_start=FIRST_HALF_2026.start,
        period_end=FIRST_HALF_2026.end,
        title="",
        introduction=INTRODUCTION,
    )


def test_it_names_periods_as_the_council_reads_them():
    assert period_label(date(2026, 1, 1), date(2026, 6, 30)) == "1. Halbjahr 2026"
    assert period_label(date(2026, 7, 1), date(2026, 12, 31)) == "2. Halbjahr 2026"
    assert period_label(date(2025, 1, 1), date(2025, 12, 31)) == "2025"
    assert period_label(date(2025, 3, 1), date(2025, 9, 30)) == "01.03.2025 – 30.09.2025"


def test_it_offers_only_begun_half_years_and_years():
    keys = [key for key, _start, _end in period_presets(date(2026, 5, 2))]
    assert keys[:3] == ["2026-1", "2026", "2025-2"]
    assert "2026-2" not in keys


@pytest.mark.django_db
def test_it_titles_a_report_from_kind_and_period(report):
    assert report.title == "Halbjahresbericht Digitalisierung 1. Halbjahr 2026"
    assert AuditEntry.objects.filter(action="cockpit.report.create").count() == 1


@pytest.mark.django_db
def test_it_renders_a_tagged_pdfa_with_the_periods_figures(report, programme, mandant, tmp_path):
    pdf = report_pdf_bytes(report)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        with document.open_metadata() as meta:
            assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "A")
            assert "Halbjahresbericht" in meta.get("dc:title")
        root = document.Root
        assert root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == "de"
        assert str(document.docinfo.Author) == mandant.name
        pages = len(document.pages)
    assert pages >= 6

    text = pdf_text(pdf, tmp_path)
    figures = figures_compute(mandant=mandant, period=FIRST_HALF_2026)
    assert figures.submissions == 3  # the test submission and August's are not counted
    for expected in [
        "Landkreis Musterkreis",
        "1. Halbjahr 2026",
        "Der Kreis kommt voran.",
        "Im zweiten Absatz steht <b>Markup</b> & mehr.",  # escaped, shown as text
        "Anträge über kreiswerk im Zeitraum 3",
        "Leistungen im Katalog 3",
        "Antrag online",
        "Online-Fischereischein",
        "Hohe Nachfrage, EfA vorhanden",
        "Fischereischein digital",
        "Umsetzung",  # its phase at the end of June, not August's Einführung
        "Initiierung",
        "Schnittstelle verspätet",
        "Telearbeitsplätze",
        "212",
        "Datenschutz offen",
        "rechtlich",
        "Seite 2 von",
    ]:
        assert expected in text, expected
    assert "Idee vom Vorjahr" not in text
    assert "Idee aus dem Sommer" not in text
    assert "263" not in text  # recorded after the period
    assert "Einführung" not in text.split("Projekte mit Phase und Status")[1].split("Projektziele")[0]


@pytest.mark.django_db
def test_it_renders_the_report_pages_as_images(report):
    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm not installed (Debian: poppler-utils)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    (ARTIFACTS / "bericht.pdf").write_bytes(report_pdf_bytes(report))

    subprocess.run(  # nosec B603 B607
        ["pdftoppm", "-png", "-r", "70", str(ARTIFACTS / "bericht.pdf"), str(ARTIFACTS / "seite")],
        check=True,
        capture_output=True,
    )

    images = sorted(ARTIFACTS.glob("seite-*.png"))
    assert len(images) >= 6
    assert all(image.read_bytes().startswith(b"\x89PNG") for image in images)


@pytest.mark.django_db
def test_it_writes_the_same_figures_to_one_sheet_per_section(report, mandant):
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx_bytes(report)))

    assert workbook.sheetnames == [
        "Bericht",
        "Überblick",
        "Leistungen",
        "Plattform",
        "Ziele und Kennzahlen",
        "Projekte",
        "Ideen",
        "Risiken",
        "Leistungskatalog",
    ]
    figures = figures_compute(mandant=mandant, period=FIRST_HALF_2026)
    overview = {row[0]: row[1] for row in workbook["Überblick"].iter_rows(values_only=True) if row[0]}
    assert overview["Anträge über kreiswerk im Zeitraum"] == figures.submissions == 3
    assert overview["Leistungen im Katalog"] == 3
    assert overview["davon online beantragbar (Reifegrad 3 oder höher)"] == 1
    assert overview["Ideen entschieden im Zeitraum"] == 1
    assert overview["überschrittene Grenzen paralleler Projekte (heute)"] == 0

    levels = {row[1]: row[2] for row in workbook["Leistungen"].iter_rows(values_only=True) if isinstance(row[0], int)}
    assert levels[str(maturity.LEVEL_NAMES[3])] == 1
    assert levels[str(maturity.LEVEL_NAMES[1])] == 1

    months = {row[0]: row[1] for row in workbook["Plattform"].iter_rows(values_only=True) if row[0]}
    assert (months["02/2026"], months["05/2026"], months["06/2026"]) == (2, 1, 0)

    ideas = [row for row in workbook["Ideen"].iter_rows(values_only=True) if row[0] and str(row[0]).startswith("I-")]
    assert [(row[1], row[3], row[4]) for row in ideas] == [
        ("Online-Fischereischein", "umsetzen", "Hohe Nachfrage, EfA vorhanden")
    ]

    projects = {row[1]: row[3] for row in workbook["Projekte"].iter_rows(values_only=True) if row[0] == "P-1"}
    assert projects["Fischereischein digital"] == "Umsetzung"
    targets = [
        row for row in workbook["Ziele und Kennzahlen"].iter_rows(values_only=True) if row[0] == "Telearbeitsplätze"
    ]
    assert targets[0][3:7] == (250, 212, targets[0][5], "nicht erreicht")
    assert targets[0][5].date() == date(2026, 3, 31)

    risks = {row[0]: row[1:4] for row in workbook["Risiken"].iter_rows(values_only=True) if row[0] == "rechtlich"}
    assert risks["rechtlich"] == (1, 1, 9)


@pytest.mark.django_db
def test_it_neutralises_formulas_in_the_spreadsheet(report):
    Project.objects.filter(title="E-Akte Jugendamt").update(title='=HYPERLINK("http://x")')

    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx_bytes(report)))

    titles = [row[1] for row in workbook["Projekte"].iter_rows(values_only=True) if row[0] == "P-2"]
    assert titles[0] == '\'=HYPERLINK("http://x")'


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_team_create_a_report_for_a_half_year(team_member, staff_client):
    client = staff_client(team_member)

    response = client.post(
        reverse("cockpit:report_new"),
        {"kind": "halbjahr", "period": f"{LAST_YEAR}-1", "title": "", "introduction": "Guten Tag."},
    )

    report = Report.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cockpit:report", kwargs={"report_id": report.pk})
    assert (report.period_start, report.period_end) == (date(LAST_YEAR, 1, 1), date(LAST_YEAR, 6, 30))
    assert report.introduction == "Guten Tag."
    assert report.created_by == team_member
    page = client.get(reverse("cockpit:reports")).content.decode()
    assert f"Halbjahresbericht Digitalisierung 1. Halbjahr {LAST_YEAR}" in page


@pytest.mark.django_db
def test_it_keeps_a_custom_period_when_editing(team_member, staff_client):
    client = staff_client(team_member)
    client.post(
        reverse("cockpit:report_new"),
        {"kind": "jahr", "period": "eigener", "start": "01.03.2025", "end": "28.02.2026", "title": "Bericht"},
    )
    report = Report.objects.get()

    page = client.get(reverse("cockpit:report", kwargs={"report_id": report.pk})).content.decode()

    assert (report.period_start, report.period_end) == (date(2025, 3, 1), date(2026, 2, 28))
    assert 'value="eigener" selected' in page
    assert 'value="2025-03-01"' in page


@pytest.mark.django_db
def test_it_lets_the_team_change_a_report(report, team_member, staff_client):
    client = staff_client(team_member)
    url = reverse("cockpit:report", kwargs={"report_id": report.pk})
    page = client.get(url).content.decode()
    assert 'value="2026-1" selected' in page or 'value="eigener" selected' in page

    response = client.post(
        url,
        {
            "kind": "halbjahr",
            "period": "eigener",
            "start": "01.01.2026",
            "end": "30.06.2026",
            "title": "Bericht an den Kreistag",
            "introduction": "Neu.\r\n\r\nZweiter Absatz.",
        },
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.title == "Bericht an den Kreistag"
    assert report.introduction == "Neu.\r\n\r\nZweiter Absatz."
    assert AuditEntry.objects.filter(action="cockpit.report.update").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period": "eigener", "start": "01.01.2026", "end": "31.02.2026"}, "gültiges Datum"),
        ({"period": "eigener", "start": "01.07.2026", "end": "30.06.2026"}, "nicht vor seinem Anfang"),
        ({"period": "eigener", "start": "", "end": "30.06.2026"}, "Anfang des eigenen Zeitraums"),
        ({"period": "eigener", "start": "01.01.2020", "end": "31.12.2026"}, "höchstens zwei Jahre"),
        ({"period": "eigener", "start": f"01.01.{NEXT_YEAR}", "end": f"31.03.{NEXT_YEAR}"}, "nicht in der Zukunft"),
        ({"period": "1999-3"}, "Berichtszeitraum aus der Liste"),
        ({"period": "2026", "kind": "monat"}, "Art des Berichts"),
    ],
)
def test_it_refuses_a_bad_period_in_german(team_member, staff_client, data, message):
    response = staff_client(team_member).post(
        reverse("cockpit:report_new"), {"kind": "jahr", "title": "", "introduction": "", **data}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_it_lets_a_reader_download_but_not_edit(report, reader, staff_client):
    client = staff_client(reader)

    listing = client.get(reverse("cockpit:reports"))
    pdf = client.get(reverse("cockpit:report_pdf", kwargs={"report_id": report.pk}))
    xlsx = client.get(reverse("cockpit:report_xlsx", kwargs={"report_id": report.pk}))

    assert listing.status_code == 200
    assert report.title in listing.content.decode()
    assert reverse("cockpit:report_new") not in listing.content.decode()
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="Halbjahresbericht_Digitalisierung_1._Halbjahr_2026.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].endswith('.xlsx"')
    downloads = AuditEntry.objects.filter(action="cockpit.report.download")
    assert downloads.count() == 2
    assert client.get(reverse("cockpit:report_new")).status_code == 403
    assert client.get(reverse("cockpit:report", kwargs={"report_id": report.pk})).status_code == 403
    refused = client.post(
        reverse("cockpit:report", kwargs={"report_id": report.pk}), {"kind": "jahr", "period": "2025"}
    )
    assert refused.status_code == 403
    report.refresh_from_db()
    assert report.kind == Report.Kind.HALF_YEAR


@pytest.mark.django_db
def test_it_refuses_a_colleague_without_cockpit_role(report, colleague, staff_client):
    client = staff_client(colleague)

    for name, kwargs in [
        ("cockpit:reports", {}),
        ("cockpit:report_new", {}),
        ("cockpit:report_pdf", {"report_id": report.pk}),
        ("cockpit:report_xlsx", {"report_id": report.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403, name


@pytest.mark.django_db
def test_it_hides_another_mandants_report(report, team_member, staff_client):
    from kreiswerk.tenancy.services import mandant_create

    other = mandant_create(slug="nachbar", name="Landkreis Nachbar", kind="landkreis", reference_prefix="NB")
    Report.objects.filter(pk=report.pk).update(mandant=other)

    response = staff_client(team_member).get(reverse("cockpit:report_pdf", kwargs={"report_id": report.pk}))

    assert response.status_code == 404


def test_it_builds_presets_into_the_form_and_proposes_the_last_half_year():
    form = ReportForm(today=date(2026, 11, 23))
    labels = dict(form.fields["period"].choices)
    assert labels["2026-2"] == "2. Halbjahr 2026"
    assert labels["2025"] == "2025"
    assert form.initial == {"kind": "halbjahr", "period": "2026-1"}
