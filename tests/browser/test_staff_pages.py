"""Staff pages: login with the second factor, form administration and received applications.

Every page is checked with axe-core (WCAG 2.1 A/AA) and kept as a screenshot.
"""

import base64
import re
import uuid

import pytest
from django_otp.oath import totp

from kreiswerk.assistants.models import Assistant
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.management.commands.demo import PASSWORD

from .helpers import Journey

pytestmark = pytest.mark.browser


def _code(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def _login(page, journey, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/verwaltung/anmelden/")
    journey.arrived(f"{username}-anmelden")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    journey.arrived(f"{username}-authenticator-einrichten")
    secret = re.search(r"(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{1,4}", page.inner_text("main")).group(0)
    page.locator("input[name=token]").fill(_code(secret.replace(" ", "")))
    page.locator("main button[type=submit]").click()
    assert page.url.rstrip("/").endswith("/verwaltung")
    journey.arrived(f"{username}-start")


def test_form_builders_pages_are_accessible(demo, browser, artifacts):
    context = browser.get().new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-formulare"))
    _login(page, journey, demo.url, "formulare")
    page.goto(f"{demo.url}/verwaltung/formulare/")
    journey.arrived("formulare")
    assistant = Assistant.objects.get(slug="gewerbeanmeldung")
    page.goto(f"{demo.url}/verwaltung/formulare/{assistant.pk}/")
    journey.arrived("formular-details")
    page.goto(f"{demo.url}/verwaltung/formulare/importieren/")
    journey.arrived("importieren")
    page.locator("main button[type=submit]").click()  # nothing chosen: the error summary
    journey.arrived("importieren-fehler")
    page.goto(f"{demo.url}/verwaltung/formulare/{assistant.pk}/ausser-betrieb/")
    journey.arrived("ausser-betrieb-bestaetigen")
    journey.assert_accessible()
    context.close()


def test_caseworkers_pages_are_accessible(demo, browser, artifacts):
    assistant = Assistant.objects.get(slug="gewerbeanmeldung")
    version = assistant.versions.get()
    submission = Submission.objects.create(
        reference="MK-2026-000042",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": {"vorname": "Erika", "nachname": "Mustermann"}, "computed": {"gebuehr": "26.00"}},
        idempotency_key=uuid.uuid4(),
    )
    context = browser.get().new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-eingaenge"))
    _login(page, journey, demo.url, "sachbearbeitung")
    page.goto(f"{demo.url}/verwaltung/eingaenge/")
    journey.arrived("eingaenge")
    assert "MK-2026-000042" in page.inner_text("main")
    page.goto(f"{demo.url}/verwaltung/eingaenge/{submission.pk}/")
    journey.arrived("eingang-details")
    assert "Mustermann" in page.inner_text("main")
    journey.assert_accessible()
    context.close()


def test_the_e_akte_pages_are_accessible(demo, browser, artifacts):
    context = browser.get().new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-vorgaenge"))
    _login(page, journey, demo.url, "sachbearbeitung")
    page.goto(f"{demo.url}/verwaltung/vorgaenge/")
    journey.arrived("vorgaenge")
    page.locator("#id_art").select_option(label="Gewerbeanmeldung")
    page.locator("#id_bearbeitung").select_option("offen")
    page.locator("main form.kw-filter button[type=submit]").click()
    journey.arrived("vorgaenge-gefiltert")
    page.locator("main table tbody a").first.click()
    journey.arrived("vorgang")
    reference = page.locator("h1 .kw-reference").inner_text()
    page.get_by_role("button", name="Vorgang übernehmen").click()
    journey.arrived("vorgang-uebernommen")
    assert "Sie bearbeiten diesen Vorgang jetzt." in page.inner_text("main")
    page.goto(f"{demo.url}/verwaltung/vorgaenge/?ansicht=meine")
    journey.arrived("meine-vorgaenge")
    assert reference in page.inner_text("main")
    journey.assert_accessible()
    context.close()
