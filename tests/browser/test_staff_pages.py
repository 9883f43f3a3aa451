"""Staff pages: login with the second factor, form administration and received applications.

Every page is checked with axe-core (WCAG 2.1 A/AA) and kept as a screenshot.
"""

import uuid
from pathlib import Path

import pytest

from kreiswerk.archive.models import DisposalReview
from kreiswerk.assistants.models import Assistant
from kreiswerk.submissions.models import Submission

from .helpers import Journey, desk, staff_login

pytestmark = pytest.mark.browser
FIM_SAMPLES = Path(__file__).resolve().parents[1] / "assistants" / "fim_samples"


def test_form_builders_pages_are_accessible(demo, browser, artifacts):
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-formulare"))
    staff_login(page, journey, demo.url, "formulare")
    page.goto(f"{demo.url}/verwaltung/formulare/")
    journey.arrived("formulare")
    assistant = Assistant.objects.get(slug="gewerbeanmeldung")
    page.goto(f"{demo.url}/verwaltung/formulare/{assistant.pk}/")
    journey.arrived("formular-details")
    page.goto(f"{demo.url}/verwaltung/formulare/importieren/")
    journey.arrived("importieren")
    page.locator("main button[type=submit]").click()  # nothing chosen: the error summary
    journey.arrived("importieren-fehler")
    page.goto(f"{demo.url}/verwaltung/formulare/fim-importieren/")
    journey.arrived("fim-importieren")
    page.locator("main button[type=submit]").click()  # nothing chosen: the error summary
    journey.arrived("fim-importieren-fehler")
    page.select_option("select[name=unit]", index=1)
    page.set_input_files("input[name=schema]", str(FIM_SAMPLES / "S00000094V1.0_xdf2.xml"))
    page.set_input_files("input[name=codelists]", sorted(map(str, FIM_SAMPLES.glob("C[06]*_genericode.xml"))))
    page.locator("main button[type=submit]").click()
    journey.arrived("fim-importbericht")
    assert "FIM-Importbericht" in page.inner_text("main")
    page.goto(f"{demo.url}/verwaltung/formulare/{assistant.pk}/ausser-betrieb/")
    journey.arrived("ausser-betrieb-bestaetigen")
    journey.assert_accessible()
    context.close()


def test_caseworkers_pages_are_accessible(demo, browser, artifacts):
    assistant = Assistant.objects.get(slug="gewerbeanmeldung")
    version = assistant.versions.get()
    submission = Submission.objects.create(
        reference="MK-2026-900042",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": {"vorname": "Erika", "nachname": "Mustermann"}, "computed": {"gebuehr": "26.00"}},
        idempotency_key=uuid.uuid4(),
    )
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-eingaenge"))
    staff_login(page, journey, demo.url, "sachbearbeitung")
    page.goto(f"{demo.url}/verwaltung/eingaenge/")
    journey.arrived("eingaenge")
    assert "MK-2026-900042" in page.inner_text("main")
    page.goto(f"{demo.url}/verwaltung/eingaenge/{submission.pk}/")
    journey.arrived("eingang-details")
    assert "Mustermann" in page.inner_text("main")
    journey.assert_accessible()
    context.close()


def test_the_e_akte_pages_are_accessible(demo, browser, artifacts):
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-vorgaenge"))
    staff_login(page, journey, demo.url, "sachbearbeitung")
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


def test_the_archive_pages_are_accessible(demo, browser, artifacts):
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-aussonderung"))
    staff_login(page, journey, demo.url, "archiv")
    page.goto(f"{demo.url}/verwaltung/aussonderung/")
    journey.arrived("aussonderung")
    page.locator("main table tbody a").first.click()
    journey.arrived("aussonderung-vorgang")
    review = DisposalReview.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    page.locator("main form button[type=submit]").first.click()  # nothing chosen: the error
    journey.arrived("aussonderung-entscheidung-fehler")
    assert review.case.reference in page.inner_text("main")
    page.goto(f"{demo.url}/verwaltung/aussonderung/loeschnachweise/")
    journey.arrived("loeschnachweise")
    journey.assert_accessible()
    context.close()


def test_the_api_client_pages_are_accessible(demo, browser, artifacts):
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-api-zugaenge"))
    staff_login(page, journey, demo.url, "administration")
    page.goto(f"{demo.url}/verwaltung/api-zugaenge/")
    journey.arrived("api-zugaenge")
    page.goto(f"{demo.url}/verwaltung/api-zugaenge/neu/")
    page.locator("main button[type=submit]").click()  # nothing filled in: the errors
    journey.arrived("api-zugang-anlegen-fehler")
    page.fill("input[name=name]", "Gewerbe-Fachverfahren")
    page.fill("input[name=slug]", f"gewerbe-fv-{uuid.uuid4().hex[:6]}")
    page.select_option("select[name=unit]", index=1)
    page.check("input[value='cases:read']")
    page.locator("main button[type=submit]").click()
    journey.arrived("api-zugang-token")
    assert "kw1." in page.content()
    page.locator("main a", has_text="Weiter zum API-Zugang").click()
    journey.arrived("api-zugang")
    journey.assert_accessible()
    context.close()


def test_the_handoff_pages_are_accessible(demo, browser, artifacts):
    from kreiswerk.handoff.models import Delivery, DeliveryEvent

    assistant = Assistant.objects.get(slug="gewerbeanmeldung")
    context = desk(browser)
    page = context.new_page()
    journey = Journey(page, artifacts("verwaltung-uebergaben"))
    staff_login(page, journey, demo.url, "administration")
    page.goto(f"{demo.url}/verwaltung/formulare/{assistant.pk}/")
    page.locator("main a", has_text="Übergabeziele verwalten").click()
    journey.arrived("uebergabeziele")
    page.locator("main a", has_text="Übergabeziel anlegen").click()
    page.locator("main button[type=submit]").click()  # nothing filled in: the errors
    journey.arrived("uebergabeziel-fehler")
    assert "Es gibt ein Problem" in page.inner_text("main")
    page.fill("input[name=name]", "Statistikamt")
    page.check("input[name=kind][value=webhook]")
    page.fill("input[name=url]", "https://statistik.kreis.example/hook")
    page.locator("main button[type=submit]").click()
    journey.arrived("uebergabeziel-geheimnis")
    destination = assistant.destinations.get(name="Statistikamt")
    assert page.input_value("#secret") == destination.secret
    page.locator("main a", has_text="Weiter zu den Übergabezielen").click()
    journey.arrived("uebergabeziele-liste")

    submission = Submission.objects.create(
        reference="MK-2026-900077",
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=assistant.versions.get(),
        payload={"answers": {"vorname": "Erika"}, "computed": {}},
        idempotency_key=uuid.uuid4(),
    )
    delivery = Delivery.objects.create(
        destination=destination,
        submission=submission,
        status=Delivery.Status.FAILED,
        attempts=1,
        last_error="Ziel antwortete mit HTTP 401: Signatur ungültig",
    )
    DeliveryEvent.objects.create(delivery=delivery, kind=DeliveryEvent.Kind.CREATED)
    DeliveryEvent.objects.create(
        delivery=delivery, kind=DeliveryEvent.Kind.FAILED, attempt=1, http_status=401, detail=delivery.last_error
    )
    page.goto(f"{demo.url}/verwaltung/uebergaben/")
    journey.arrived("uebergaben-fehlgeschlagen")
    page.locator("main a", has_text="MK-2026-900077").click()
    journey.arrived("uebergabe-verlauf")
    assert "Erneut versuchen" in page.inner_text("main")
    journey.assert_accessible()
    context.close()
