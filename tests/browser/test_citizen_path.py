"""The Gewerbeanmeldung on a phone, with the keyboard only, with and without JavaScript.

Every page of the citizen path (index, search results, start page, each step, each step
with its error summary, check page, receipt; saving for later and resuming) is checked with axe-core (WCAG 2.1 A/AA),
photographed to test-artifacts/browser/<journey>/, and watched for JavaScript errors.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail

from .helpers import (
    REFERENCE,
    START_PATH,
    JavaScriptErrors,
    Journey,
    activate,
    active_id,
    check_box,
    choose_option,
    choose_radio,
    continue_step,
    describe_active,
    focused_matches,
    gewerbeanmeldung_at_check_page,
    is_shown,
    tab_to,
    type_address,
    type_date,
    type_into,
)

pytestmark = pytest.mark.browser

SEARCH_RESULT = f'main a[href="{START_PATH}"]'
CHECK_SUBMIT = "form[data-submit-once] button[type='submit']"


def _step_key(page) -> str:
    assert "/schritt/" in page.url, f"expected a step page, got {page.url}"
    return page.url.split("/schritt/")[1].split("/")[0]


def _assert_on_step(page, key: str) -> None:
    assert _step_key(page) == key, f"expected step {key!r}, got {page.url}"
    assert page.locator(".kw-error-summary").count() == 0, page.locator(".kw-error-summary").inner_text()


def _error_links(page) -> list[str]:
    return page.eval_on_selector_all(".kw-error-summary a", "links => links.map(a => a.getAttribute('href'))")


def _fix_via_error_summary(page, journey: Journey, *, step: str, anchor: str, javascript: bool) -> None:
    """The page came back with one error: use the summary's link to reach the field."""
    assert _step_key(page) == step
    assert page.title().startswith("Fehler:"), page.title()
    assert _error_links(page) == [f"#{anchor}"], _error_links(page)
    journey.arrived(f"{step}-fehler")
    if javascript:
        assert focused_matches(page, ".kw-error-summary"), "the error summary should take the focus"
    tab_to(page, f'.kw-error-summary a[href="#{anchor}"]')
    page.keyboard.press("Enter")
    if javascript:  # runner.js moves the focus; without it the browser follows the fragment at once
        page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=anchor)
    assert active_id(page) == anchor, f"focus is on {describe_active(page)}, not #{anchor}"


def _find_and_start(page, journey: Journey, base_url: str) -> None:
    page.goto(base_url + "/")
    journey.arrived("index")
    type_into(page, "#suche", "Gewerbe")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=Gewerbe" in page.url
    assert page.locator(SEARCH_RESULT).count() == 1
    journey.arrived("suche")
    activate(page, SEARCH_RESULT)
    assert page.url.endswith(START_PATH)
    journey.arrived("start")
    activate(page, "main form button[type='submit']", key="Space")
    _assert_on_step(page, "person")


def _person(page, *, leave_out_surname: bool = False) -> None:
    type_into(page, "#feld-vorname", "Erika")
    if not leave_out_surname:
        type_into(page, "#feld-nachname", "Mustermann")
    type_date(page, "geburtsdatum", 14, 6, 1985)
    choose_option(page, "#feld-staatsangehoerigkeit", "deutsch")
    type_into(page, "#feld-email", "erika.mustermann@example.org")
    type_into(page, "#feld-telefon", "07351 52-0")


def _submit_and_receipt(page, journey: Journey) -> str:
    activate(page, CHECK_SUBMIT)
    assert "/eingang/" in page.url, page.url
    reference = page.locator(".kw-reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    pdf = page.locator('main a[href$="eingangsbestaetigung.pdf"]')
    assert pdf.count() == 1
    journey.arrived("eingang")
    response = page.request.get(pdf.evaluate("a => a.href"))
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    return reference


def test_gewerbeanmeldung_on_a_phone_with_keyboard_only(demo, phone, artifacts):
    page = phone.new_page()
    journey = Journey(page, artifacts("mit-javascript"))
    _find_and_start(page, journey, demo.url)

    # Step 1: the surname is left out on purpose; the error summary leads back to it.
    journey.arrived("person")
    assert not is_shown(page, "aufenthaltstitel")
    _person(page, leave_out_surname=True)
    continue_step(page)
    _fix_via_error_summary(page, journey, step="person", anchor="feld-nachname", javascript=True)
    assert page.evaluate("() => document.getElementById('feld-vorname').value") == "Erika"
    page.keyboard.type("Mustermann")
    continue_step(page)

    _assert_on_step(page, "betrieb")
    journey.arrived("betrieb")
    assert not is_shown(page, "erlaubnis")
    choose_option(page, "#feld-rechtsform", "Gesellschaft mit beschränkter Haftung (GmbH)")
    type_into(page, "#feld-betriebsname", "Mustermann Fahrräder GmbH")
    type_into(page, "#feld-taetigkeit", "Einzelhandel mit Fahrrädern und Zubehör")
    check_box(page, "#feld-bereiche-0")
    type_into(page, "#feld-wz_code", "47.64")
    choose_radio(page, "nebenerwerb", "Nein")
    type_into(page, "#feld-beschaeftigte", "2")
    choose_radio(page, "erlaubnispflichtig", "Nein")
    assert not is_shown(page, "erlaubnis")
    continue_step(page)

    _assert_on_step(page, "register")
    journey.arrived("register")
    type_into(page, "#feld-registergericht", "Amtsgericht Ulm")
    type_into(page, "#feld-registernummer", "HRB 12345")
    type_into(page, "#feld-vertretung_name", "Max Mustermann")
    type_into(page, "#feld-vertretung_funktion", "Geschäftsführer")
    continue_step(page)

    _assert_on_step(page, "anschrift")
    journey.arrived("anschrift")
    assert not is_shown(page, "wohnanschrift")
    type_address(page, "betriebsanschrift", "Hauptstraße", "12", "89073", "Ulm")
    choose_radio(page, "wohnung_gleich", "Ja")
    assert not is_shown(page, "wohnanschrift")
    continue_step(page)

    _assert_on_step(page, "beginn")
    journey.arrived("beginn")
    assert not is_shown(page, "vorinhaber") and not is_shown(page, "ende_datum")
    choose_radio(page, "anlass", "Neugründung")
    start = datetime.date.today() + datetime.timedelta(days=7)
    type_date(page, "beginn_datum", start.day, start.month, start.year)
    choose_radio(page, "befristet", "Nein")
    continue_step(page)

    _assert_on_step(page, "abschluss")
    journey.arrived("abschluss")
    check_box(page, "#feld-erklaerung")
    continue_step(page)

    assert page.url.endswith("/pruefen/"), page.url
    journey.arrived("pruefen")
    summary = page.locator("main").inner_text()
    for expected in ("Mustermann", "Mustermann Fahrräder GmbH", "HRB 12345", "Hauptstraße", "36"):
        assert expected in summary, expected
    reference = _submit_and_receipt(page, journey)
    assert reference.startswith("MK-")

    journey.js.assert_none("the journey")
    journey.assert_accessible()


def test_gewerbeanmeldung_without_javascript(demo, phone_without_js, axe_context, artifacts):
    page = phone_without_js.new_page()
    journey = Journey(page, artifacts("ohne-javascript"), axe_page=axe_context.new_page())
    _find_and_start(page, journey, demo.url)

    journey.arrived("person")
    assert is_shown(page, "aufenthaltstitel"), "without JavaScript every conditional field is shown"
    _person(page)
    continue_step(page)

    _assert_on_step(page, "betrieb")
    journey.arrived("betrieb")
    assert is_shown(page, "erlaubnis")
    choose_option(page, "#feld-rechtsform", "Einzelunternehmen")
    type_into(page, "#feld-taetigkeit", "Reparatur von Fahrrädern")
    check_box(page, "#feld-bereiche-1")
    choose_radio(page, "nebenerwerb", "Ja")
    choose_radio(page, "erlaubnispflichtig", "Nein")
    continue_step(page)

    # Einzelunternehmen: no register step.
    _assert_on_step(page, "anschrift")
    journey.arrived("anschrift")
    assert is_shown(page, "wohnanschrift")
    type_address(page, "betriebsanschrift", "Marktplatz", "3", "89584", "Ehingen")
    choose_radio(page, "wohnung_gleich", "Ja")
    # Irrelevant once "Ja" is chosen: the server must ignore it.
    type_into(page, "#feld-wohnanschrift__street", "Irrelevantweg")
    continue_step(page)

    # The start date is wrong on purpose (day 32); the error summary leads back to it.
    _assert_on_step(page, "beginn")
    journey.arrived("beginn")
    assert is_shown(page, "vorinhaber") and is_shown(page, "ende_datum")
    choose_radio(page, "anlass", "Neugründung")
    type_into(page, "#feld-vorinhaber", "Irrelevante Vorinhaberin")
    start = datetime.date.today() + datetime.timedelta(days=7)
    type_date(page, "beginn_datum", 32, start.month, start.year)
    choose_radio(page, "befristet", "Nein")
    later = start + datetime.timedelta(days=90)
    type_date(page, "ende_datum", later.day, later.month, later.year)
    continue_step(page)
    _fix_via_error_summary(page, journey, step="beginn", anchor="feld-beginn_datum__day", javascript=False)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(str(start.day))
    continue_step(page)

    _assert_on_step(page, "abschluss")
    journey.arrived("abschluss")
    check_box(page, "#feld-erklaerung")
    continue_step(page)

    assert page.url.endswith("/pruefen/"), page.url
    journey.arrived("pruefen")
    summary = page.locator("main").inner_text()
    assert "Reparatur von Fahrrädern" in summary and "Marktplatz" in summary and "26" in summary
    assert "Irrelevant" not in summary, "answers to fields that do not apply must be ignored"
    questions = page.eval_on_selector_all("main dt", "terms => terms.map(t => t.textContent.trim())")
    for ignored in (
        "Wohnanschrift",
        "Name der bisherigen Inhaberin oder des bisherigen Inhabers",
        "Ende der Tätigkeit",
    ):
        assert ignored not in questions, f"{ignored!r} does not apply and should not be on the check page"
    assert "Registergericht" not in questions
    _submit_and_receipt(page, journey)

    journey.js.assert_none("the journey")
    journey.assert_accessible()


def test_conditional_field_appears_without_page_load(demo, phone):
    page = phone.new_page()
    errors = JavaScriptErrors(page)
    page.goto(demo.url + START_PATH)
    activate(page, "main form button[type='submit']")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("() => { window.__samePage = true; }")

    # A select controls the residence permit upload.
    assert not is_shown(page, "aufenthaltstitel")
    choose_option(page, "#feld-staatsangehoerigkeit", "anderer Staat")
    assert is_shown(page, "aufenthaltstitel")
    choose_option(page, "#feld-staatsangehoerigkeit", "deutsch")
    assert not is_shown(page, "aufenthaltstitel")
    assert page.evaluate("() => window.__samePage === true") and navigations == []

    _person(page)
    continue_step(page)
    _assert_on_step(page, "betrieb")
    navigations.clear()
    page.evaluate("() => { window.__samePage = true; }")

    # A yes/no radio controls the permit upload: it appears and is reachable with Tab at once.
    assert not is_shown(page, "erlaubnis")
    choose_radio(page, "erlaubnispflichtig", "Ja")
    assert is_shown(page, "erlaubnis")
    tab_to(page, "#feld-erlaubnis")
    choose_radio(page, "erlaubnispflichtig", "Nein")
    assert not is_shown(page, "erlaubnis")
    assert page.evaluate("() => window.__samePage === true") and navigations == []
    errors.assert_none("the steps person and betrieb")


def test_change_links_put_the_focus_on_the_field(demo, phone):
    """Each "Ändern" link on the check page leads to its step with the focus in that answer's field."""
    check_path, session_id = gewerbeanmeldung_at_check_page()
    phone.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": demo.url}])
    page = phone.new_page()
    errors = JavaScriptErrors(page)
    page.goto(demo.url + check_path)
    links = page.eval_on_selector_all(
        "main a[href*='zurueck=pruefen']", "links => links.map(a => [a.textContent.trim(), a.href])"
    )
    assert len(links) >= 15, links

    # The keyboard way for one of them, then every link's target.
    tab_to(page, f'main a[href$="{links[0][1].split(demo.url)[1]}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert active_id(page) == links[0][1].split("#")[1]
    lost = []
    for label, href in links:
        page.goto("about:blank")
        page.goto(href)
        target = href.split("#")[1]
        if active_id(page) != target:
            exists = page.evaluate("id => document.getElementById(id) !== null", target)
            problem = "the element is not focusable" if exists else "no element has this id"
            lost.append(f"„{label}“ → {page.url.split(demo.url)[1]}: {problem}; focus on {describe_active(page)}")
    errors.assert_none("the step pages reached by the change links")
    assert not lost, "change links whose field does not get the focus:\n" + "\n".join(lost)


def test_a_citizen_saves_for_later_and_resumes_on_another_device(demo, phone, phone_without_js, axe_context, artifacts):
    page = phone.new_page()
    journey = Journey(page, artifacts("speichern"))
    page.goto(demo.url + START_PATH)
    activate(page, "main form button[type='submit']", key="Space")
    _assert_on_step(page, "person")
    type_into(page, "#feld-vorname", "Erika")
    type_into(page, "#feld-nachname", "Mustermann")
    activate(page, 'button[name="_action"][value="speichern"]')
    assert page.url.endswith("/speichern/"), page.url
    journey.arrived("speichern")

    type_into(page, "#feld-email", "erika.mustermann-example.org")
    activate(page, "main form button[type='submit']")
    assert page.title().startswith("Fehler:"), page.title()
    assert _error_links(page) == ["#feld-email"]
    journey.arrived("speichern-fehler")
    type_into(page, "#feld-email", "erika.mustermann@example.org")
    activate(page, "main form button[type='submit']")
    assert "erika.mustermann@example.org" in page.locator("main").inner_text()
    journey.arrived("gespeichert")

    link = re.search(r"https?://\S+(/fortsetzen/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    later = phone_without_js.new_page()
    elsewhere = Journey(later, artifacts("fortsetzen"), axe_page=axe_context.new_page())
    later.goto(demo.url + link.group(1))
    elsewhere.arrived("fortsetzen")
    activate(later, "main form button[type='submit']")
    _assert_on_step(later, "person")
    assert later.locator("#feld-vorname").input_value() == "Erika"
    assert later.locator("#feld-nachname").input_value() == "Mustermann"
    elsewhere.arrived("person")

    journey.js.assert_none("saving")
    journey.assert_accessible()
    elsewhere.assert_accessible()
