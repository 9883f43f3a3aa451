"""The Digitalisierungs-Cockpit in Chromium: from a colleague's idea to a project in Umsetzung.

A caseworker submits an idea through the internal assistant; the digitalisation team rates
and decides it and makes it a project; the Auftraggeberin and the project lead pass the
gates in turn (no Umsetzung before the approved Fachkonzept); the dashboard and the council
report show the project. Every cockpit page is checked with axe-core (WCAG 2.1 A/AA) and
kept as a screenshot; the report's pages are rendered to PNG beside them.
"""

import shutil
import subprocess

import pytest
from django.utils import timezone

from kreiswerk.cockpit.models import GateApproval, Idea, Phase, Project
from kreiswerk.handoff.models import Delivery
from tests.conftest import pdf_text, require_tool

from .helpers import Journey, desk, staff_login

pytestmark = pytest.mark.browser

IDEA_TITLE = "Online-Termine für die Kfz-Zulassung"


def _submit_idea(page, journey, base_url: str) -> None:
    page.goto(f"{base_url}/verwaltung/cockpit/ideen/meine/")
    journey.arrived("meine-ideen-leer")
    with page.expect_navigation():
        page.get_by_role("link", name="Neue Idee einreichen").click()
    journey.arrived("idee-start")
    with page.expect_navigation():
        page.get_by_role("button", name="Antrag starten").click()
    page.locator("#feld-vorname").fill("Sascha")
    page.locator("#feld-nachname").fill("Sachbearbeiter")
    page.locator("#feld-dienststelle").fill("Sachgebiet Gewerbe")
    page.locator("#feld-email").fill("sascha.sachbearbeiter@musterkreis.example")
    _next(page, journey, "idee-inhalt")
    page.locator("#feld-titel").fill(IDEA_TITLE)
    page.locator("#feld-beschreibung").fill(
        "Heute rufen die Leute an oder warten vor Ort; ein Online-Terminkalender spart beiden Seiten Zeit."
    )
    page.locator("#feld-nutzen").fill("Weniger Anrufe, kürzere Wartezeiten.")
    _next(page, journey, "idee-leistung")
    _next(page, journey, "idee-erklaerung")
    page.locator("input[name=erklaerung]").check()
    _next(page, journey, "idee-pruefen")
    with page.expect_navigation():
        page.locator("form[data-submit-once] button[type='submit']").click()
    journey.arrived("idee-eingegangen")


def _next(page, journey, name: str) -> None:
    with page.expect_navigation():
        page.locator("form[data-step-form] button.kern-btn--primary[value=weiter]").click()
    journey.arrived(name)


def _unfold(page, summary: str) -> None:
    """Open a folded form (a <details>) unless it is open already."""
    details = page.locator("details", has=page.locator("summary", has_text=summary))
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def _pass_gate(page, journey, base_url: str, project: Project, name: str) -> None:
    page.goto(f"{base_url}/verwaltung/cockpit/projekte/{project.pk}/")
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=freigabe]) button[type=submit]").click()
    journey.arrived(name)


def test_an_idea_becomes_a_project_and_shows_in_figures_and_report(demo, browser, artifacts, tmp_path):
    folder = artifacts("cockpit")
    # One journey per person; their screenshots are kept apart by a prefix.
    colleague_context, team_context, sponsor_context = desk(browser), desk(browser), desk(browser)

    # A caseworker submits an idea through the internal assistant and follows it.
    colleague = colleague_context.new_page()
    journey = Journey(colleague, folder / "1-kollegin")
    staff_login(colleague, journey, demo.url, "sachbearbeitung")
    _submit_idea(colleague, journey, demo.url)
    idea = Idea.objects.get(title=IDEA_TITLE)
    assert idea.author.username == "sachbearbeitung"
    assert Delivery.objects.get(submission=idea.submission).status == Delivery.Status.DELIVERED
    colleague.goto(f"{demo.url}/verwaltung/cockpit/ideen/meine/")
    journey.arrived("meine-ideen")
    assert IDEA_TITLE in colleague.inner_text("main")
    assert colleague.request.get(f"{demo.url}/verwaltung/cockpit/").status == 403  # the figures are not hers

    # The team rates the idea, decides it and makes it a project.
    team = team_context.new_page()
    team_journey = Journey(team, folder / "2-digitalisierungsteam")
    staff_login(team, team_journey, demo.url, "digitalisierung")
    team.goto(f"{demo.url}/verwaltung/cockpit/ideen/")
    team_journey.arrived("ideen-rangliste")
    with team.expect_navigation():
        team.get_by_role("link", name=IDEA_TITLE).click()
    team_journey.arrived("idee")
    for key, value in {"zeitersparnis": "4", "aufwand": "1", "rechtspflicht": "2", "strategie": "4"}.items():
        team.locator(f"select[name=bewertung-kriterium_{key}]").select_option(value)
    team.locator("select[name=bewertung-kriterium_nachnutzung]").select_option("5")
    with team.expect_navigation():
        team.get_by_role("button", name="Bewertung speichern").click()
    team_journey.arrived("idee-bewertet")
    idea.refresh_from_db()
    assert idea.score is not None and f"{idea.score}".replace(".", ",") in team.inner_text("main")
    with team.expect_navigation():
        team.get_by_role("button", name="Entscheidung speichern").click()  # neither decision nor reason
    team_journey.arrived("idee-entscheidung-fehler")
    assert "Bitte" in team.locator(".kern-alert--danger, [role=alert]").first.inner_text()
    team.get_by_label("umsetzen").check()
    team.locator("textarea[name=entscheidung-reason]").fill("Hohe Nachfrage, geringer Aufwand, EfA-Lösung vorhanden.")
    with team.expect_navigation():
        team.get_by_role("button", name="Entscheidung speichern").click()
    team_journey.arrived("idee-entschieden")
    team.locator("select[name=projekt-unit]").select_option(label="Straßenverkehrsamt")
    with team.expect_navigation():
        team.get_by_role("button", name="Projekt anlegen").click()
    team_journey.arrived("projekt-angelegt")
    project = Project.objects.get(idea=idea)
    assert project.phase == Phase.INITIATION

    # Roles: Lena Leitung is the Auftraggeberin, Dora Digital leads the project.
    for person, role in (("Lena Leitung", "Auftraggeber"), ("Dora Digital", "Projektleitung")):
        _unfold(team, "Rolle besetzen")
        team.locator("select[name=rolle-user]").select_option(label=person)
        team.locator("select[name=rolle-role]").select_option(label=role)
        with team.expect_navigation():
            team.get_by_role("button", name="Rolle eintragen").click()
    team_journey.arrived("projekt-rollen")
    assert "Diesen Schritt gibt die Rolle „Auftraggeber“ frei" in team.inner_text("main")

    # The Auftraggeberin gives the project order.
    sponsor = sponsor_context.new_page()
    sponsor_journey = Journey(sponsor, folder / "3-auftraggeberin")
    staff_login(sponsor, sponsor_journey, demo.url, "leitung")
    _pass_gate(sponsor, sponsor_journey, demo.url, project, "projekt-auftrag-erteilt")
    project.refresh_from_db()
    assert project.phase == Phase.CONCEPT

    # The lead writes the Fachkonzept and presents it; the Auftraggeberin approves it.
    team.goto(f"{demo.url}/verwaltung/cockpit/projekte/{project.pk}/")
    team.locator("textarea[name=fachkonzept-concept]").fill(
        "Ausgangslage: Terminvergabe per Telefon. Ziel: Online-Terminbuchung über den EfA-Dienst. "
        "Schnittstellen: Terminkalender des Straßenverkehrsamts. Datenschutz: Auftragsverarbeitung geprüft."
    )
    with team.expect_navigation():
        team.get_by_role("button", name="Fachkonzept speichern").click()
    team_journey.arrived("fachkonzept")
    _pass_gate(team, team_journey, demo.url, project, "fachkonzept-vorgelegt")
    _pass_gate(sponsor, sponsor_journey, demo.url, project, "fachkonzept-freigegeben")
    project.refresh_from_db()
    assert project.phase == Phase.IMPLEMENTATION and project.concept_approved_at is not None
    assert list(GateApproval.objects.filter(project=project).values_list("approved_by__username", flat=True)) == [
        "leitung",
        "digitalisierung",
        "leitung",
    ]

    # The dashboard counts the project in Umsetzung; the project list and the limits.
    team.goto(f"{demo.url}/verwaltung/cockpit/")
    team_journey.arrived("zahlen")
    shown = team.locator("td[data-phase=umsetzung]").inner_text()
    assert int(shown) == Project.objects.filter(phase=Phase.IMPLEMENTATION).count()
    assert "Projekte nach Phase" in team.inner_text("main")
    for path, name in (
        ("projekte/", "projekte"),
        ("projekte/grenzen/", "projektgrenzen"),
        ("leistungen/", "leistungskatalog"),
        ("ideen/bewertungsmodell/", "bewertungsmodell"),
        ("kennzahlen/", "kennzahlen"),
        ("zahlen/abbruch/", "zahlen-tabelle"),
    ):
        team.goto(f"{demo.url}/verwaltung/cockpit/{path}")
        team_journey.arrived(name)
    team.goto(f"{demo.url}/verwaltung/cockpit/leistungen/")
    with team.expect_navigation():
        team.locator("main table a").first.click()
    team_journey.arrived("leistung")

    # The yearly report for this year shows the project in Umsetzung and the decided idea.
    team.goto(f"{demo.url}/verwaltung/cockpit/berichte/neu/")
    team_journey.arrived("bericht-neu")
    team.locator("select[name=kind]").select_option(label="Jährlicher Sachstandsbericht")
    team.locator("select[name=period]").select_option(label=str(timezone.localdate().year))
    team.locator("textarea[name=introduction]").fill("Der Kreistag erhält den Stand der Digitalisierung.")
    with team.expect_navigation():
        team.locator("main form button[type=submit]").first.click()
    team_journey.arrived("bericht")
    pdf_link = team.locator("a[href$='bericht.pdf']").first
    response = team.request.get(demo.url + pdf_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    (folder / "bericht.pdf").write_bytes(pdf)
    text = pdf_text(pdf, tmp_path)
    assert IDEA_TITLE in text and "Umsetzung" in text
    assert "Der Kreistag erhält den Stand der Digitalisierung." in text
    xlsx = team.request.get(demo.url + team.locator("a[href$='zahlen.xlsx']").first.get_attribute("href"))
    assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"

    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm (Debian poppler-utils) renders the report pages")
    subprocess.run(  # noqa: S603 - a fixed tool on our own file
        ["pdftoppm", "-png", "-r", "60", str(folder / "bericht.pdf"), str(folder / "bericht-seite")],
        check=True,
        timeout=120,
    )
    pages = sorted(folder.glob("bericht-seite*.png"))
    assert len(pages) >= 5

    for each in (journey, team_journey, sponsor_journey):
        each.assert_accessible()
    for context in (colleague_context, team_context, sponsor_context):
        context.close()
