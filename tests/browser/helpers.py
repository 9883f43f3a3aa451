"""Keyboard-only driving, axe checks, screenshots and JavaScript-error watching for the browser tests.

Everything a test does to a page goes through the keyboard (Tab, Shift+Tab, arrows, Space,
Enter, typing). JavaScript is only evaluated to *read* the page state (which element has
focus, is a field shown) and to run axe-core.
"""

import base64
import datetime
import json
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django_otp.oath import totp

from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.management.commands.demo import PASSWORD

MAX_TABS = 80
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
START_PATH = "/antrag/musterkreis/gewerbeanmeldung/"
REFERENCE = re.compile(r"[A-Z]+-\d{4}-\d{6}")

_DESCRIBE_ACTIVE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return "<body>";
  return e.outerHTML.slice(0, 160);
}"""

# True when the first element matching the selector comes before the focused element.
_TARGET_IS_BEFORE = """selector => {
  const target = document.querySelector(selector);
  if (!target) throw new Error("nothing on the page matches " + selector);
  const active = document.activeElement;
  if (!active || active === document.body || active === target) return false;
  return Boolean(target.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


_RADIO_LABELS = """selector => [...document.querySelectorAll(selector)].map(
  input => document.querySelector(`label[for="${input.id}"]`).textContent.trim()
)"""


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("s => Boolean(document.activeElement) && document.activeElement.matches(s)", selector)


def active_id(page) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def describe_active(page) -> str:
    return page.evaluate(_DESCRIBE_ACTIVE)


def tab_to(page, selector: str) -> int:
    """Press Tab (or Shift+Tab when the target lies above the focus) until the focus matches."""
    backwards = page.evaluate(_TARGET_IS_BEFORE, selector)
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(MAX_TABS + 1):
        if focused_matches(page, selector):
            return presses
        if presses < MAX_TABS:
            page.keyboard.press(key)
    raise AssertionError(f"{MAX_TABS} × {key} did not reach {selector!r}; the focus is on {describe_active(page)}")


def type_into(page, selector: str, text: str) -> None:
    """Tab to a text input and type, replacing what is in it."""
    tab_to(page, selector)
    if page.evaluate("() => document.activeElement.value !== ''"):
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
    page.keyboard.type(text)
    value = page.evaluate("() => document.activeElement.value")
    assert value == text, f"{selector}: typed {text!r}, the field holds {value!r}"


def type_date(page, name: str, day: int, month: int, year: int) -> None:
    """The three inputs (day, month, year) of a date field."""
    type_into(page, f"#feld-{name}__day", str(day))
    type_into(page, f"#feld-{name}__month", str(month))
    type_into(page, f"#feld-{name}__year", str(year))


def type_address(page, name: str, street: str, number: str, postal_code: str, city: str) -> None:
    for part, text in (("street", street), ("house_number", number), ("postal_code", postal_code), ("city", city)):
        type_into(page, f"#feld-{name}__{part}", text)


def choose_option(page, selector: str, label: str) -> None:
    """Arrow keys on a closed select until the option with this label is selected."""
    tab_to(page, selector)
    labels = page.evaluate("() => [...document.activeElement.options].map(o => o.text.trim())")
    assert label in labels, f"{selector} has no option {label!r}: {labels}"
    for _ in range(len(labels) + 1):
        current = page.evaluate("() => document.activeElement.selectedIndex")
        wanted = labels.index(label)
        if current == wanted:
            return
        page.keyboard.press("ArrowDown" if wanted > current else "ArrowUp")
    raise AssertionError(f"{selector}: could not select {label!r} with the arrow keys")


def choose_radio(page, name: str, label: str) -> None:
    """Tab into a radio group, move with the arrow keys, check with Space."""
    selector = f'input[type="radio"][name="{name}"]'
    tab_to(page, selector)
    labels = page.evaluate(_RADIO_LABELS, selector)
    assert label in labels, f"radio group {name} has no option {label!r}: {labels}"
    wanted = labels.index(label)
    for _ in range(len(labels) + 1):
        current = page.evaluate("s => [...document.querySelectorAll(s)].indexOf(document.activeElement)", selector)
        if current == wanted:
            break
        page.keyboard.press("ArrowDown" if wanted > current else "ArrowUp")
    assert (
        page.evaluate("s => [...document.querySelectorAll(s)].indexOf(document.activeElement)", selector) == wanted
    ), f"radio group {name}: the arrow keys did not reach {label!r}"
    if not page.evaluate("() => document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked"), f"{name}: {label!r} is not checked"


def check_box(page, selector: str) -> None:
    """Tab to a checkbox and tick it with Space."""
    tab_to(page, selector)
    assert not page.evaluate("() => document.activeElement.checked"), f"{selector} is already ticked"
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked"), f"Space did not tick {selector}"


def activate(page, selector: str, *, key: str = "Enter") -> None:
    """Tab to a link or button and press Enter (or Space); waits for the page it leads to."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press(key)


def continue_step(page) -> None:
    """The step page's primary button ("Weiter" / "Speichern und zur Übersicht")."""
    activate(page, 'form[data-step-form] button.kern-btn--primary[name="_action"][value="weiter"]')


def is_shown(page, field: str) -> bool:
    """Is the wrapper of this field rendered and not hidden?"""
    return page.evaluate(
        """name => {
          const wrapper = document.querySelector(`[data-field="${name}"]`);
          return Boolean(wrapper) && !wrapper.closest("[hidden]") && wrapper.getClientRects().length > 0;
        }""",
        field,
    )


class JavaScriptErrors:
    """Collects uncaught exceptions and console errors of a page."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message):
        if message.type != "error":
            return
        location = message.location or {}
        # A page answered with a 4xx on purpose (a form sent back with its errors, a refused
        # login): Chromium logs that status for the page itself.
        if (
            re.match(r"Failed to load resource: the server responded with a status of 4\d\d", message.text)
            and location.get("url", "").split("#")[0] == self.page.url.split("#")[0]
        ):
            return
        where = f"{location.get('url', '')}:{location.get('lineNumber', '')}"
        self.errors.append(f"console.error: {message.text} ({where})")

    def assert_none(self, where: str) -> None:
        assert not self.errors, f"JavaScript errors on {where}:\n" + "\n".join(self.errors)


class Journey:
    """One citizen's way through the pages: screenshot, axe and JS-error check for every page."""

    def __init__(self, page, folder: Path, *, axe_page=None):
        self.page = page
        self.folder = folder
        self.axe_page = axe_page  # set when the journey's own page has JavaScript switched off
        self.number = 0
        self.visited: list[str] = []
        self.violations: list[str] = []
        self.js = JavaScriptErrors(page)

    def arrived(self, name: str) -> None:
        """Record the page the citizen is on now."""
        self.number += 1
        label = f"{self.number:02d}-{name}"
        self.visited.append(label)
        self.js.assert_none(f"{label} ({self.page.url})")
        self.page.screenshot(path=self.folder / f"{label}.png", full_page=True)
        self._axe(label)

    def _axe(self, label: str) -> None:
        results = self._axe_on_copy() if self.axe_page is not None else Axe().run(self.page, options=AXE_OPTIONS)
        response = results.response
        assert response["passes"], f"axe-core checked nothing on {label}"
        assert response["url"].split("#")[0] == self.page.url.split("#")[0], response["url"]
        for violation in response["violations"]:
            nodes = "; ".join(json.dumps(node["target"], ensure_ascii=False) for node in violation["nodes"])
            self.violations.append(
                f"[{label}] {violation['id']} ({violation['impact']}): {violation['help']} — nodes: {nodes}"
            )

    def _axe_on_copy(self):
        """axe-core needs JavaScript: run it on the exact DOM of the JS-free page, loaded in a JS context.

        The copy is served under the same URL (so the same CSS and fonts load); the product's
        scripts are answered with an empty body, so the DOM stays as it is without JavaScript.
        """
        url = self.page.url.split("#")[0]
        html = self.page.content()
        axe_page = self.axe_page

        def serve(route):
            if route.request.url.split("#")[0] == url and route.request.resource_type == "document":
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif route.request.resource_type == "script":
                route.fulfill(status=200, content_type="text/javascript", body="")
            else:
                route.continue_()

        axe_page.route("**/*", serve)
        try:
            axe_page.goto(url)
            return Axe().run(axe_page, options=AXE_OPTIONS)
        finally:
            axe_page.unroute("**/*", serve)

    def assert_accessible(self) -> None:
        if self.violations:
            report = "\n".join(self.violations)
            print(f"axe-core violations (wcag2a, wcag2aa, wcag21a, wcag21aa):\n{report}")
        assert not self.violations, "axe-core found violations:\n" + "\n".join(self.violations)


def gewerbeanmeldung_at_check_page() -> tuple[str, str]:
    """A Gewerbeanmeldung filled in up to the check page over HTTP; (check path, session id)."""
    client = Client()
    step_url = client.post(START_PATH)["Location"]
    base = step_url.rsplit("/schritt/", 1)[0]
    start = datetime.date.today() + datetime.timedelta(days=7)
    steps = {
        "person": {
            "vorname": "Erika",
            "nachname": "Mustermann",
            "geburtsdatum__day": "14",
            "geburtsdatum__month": "6",
            "geburtsdatum__year": "1985",
            "staatsangehoerigkeit": "deutsch",
            "email": "erika.mustermann@example.org",
        },
        "betrieb": {
            "rechtsform": "einzelunternehmen",
            "taetigkeit": "Reparatur von Fahrrädern",
            "bereiche": "handwerk",
            "nebenerwerb": "nein",
            "erlaubnispflichtig": "nein",
        },
        "anschrift": {
            "betriebsanschrift__street": "Marktplatz",
            "betriebsanschrift__house_number": "3",
            "betriebsanschrift__postal_code": "89584",
            "betriebsanschrift__city": "Ehingen",
            "wohnung_gleich": "ja",
        },
        "beginn": {
            "anlass": "neugruendung",
            "beginn_datum__day": str(start.day),
            "beginn_datum__month": str(start.month),
            "beginn_datum__year": str(start.year),
            "befristet": "nein",
        },
        "abschluss": {"erklaerung": "ja"},
    }
    for key, data in steps.items():
        response = client.post(f"{base}/schritt/{key}/", {**data, "_action": "weiter"})
        assert response.status_code == 302, f"step {key} was not accepted"
    assert response["Location"] == f"{base}/pruefen/"
    return f"{base}/pruefen/", client.cookies[settings.SESSION_COOKIE_NAME].value


def _totp_code(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def staff_login(page, journey, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/verwaltung/anmelden/")
    journey.arrived(f"{username}-anmelden")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    journey.arrived(f"{username}-authenticator-einrichten")
    secret = re.search(r"(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{1,4}", page.inner_text("main")).group(0)
    page.locator("input[name=token]").fill(_totp_code(secret.replace(" ", "")))
    page.locator("main button[type=submit]").click()
    assert page.url.rstrip("/").endswith("/verwaltung")
    journey.arrived(f"{username}-start")


def pay_at_pay_page(page, journey, *, pay_page_url: str, back_url: str, method: str) -> None:
    """From "Jetzt bezahlen" through the local pay page (paying with ``method``) back to kreiswerk."""
    page.locator("main button", has_text="Jetzt bezahlen").click()
    page.wait_for_url(f"{pay_page_url}/pay/**")
    journey.arrived("zahlseite")
    page.locator(f"input[value={method}]").check()
    page.locator("button[value=pay]").click()
    page.wait_for_url(f"{back_url}/zahlung/**")
    assert "Vielen Dank, Ihre Zahlung ist eingegangen" in page.inner_text("main")
    journey.arrived("bezahlt")


def submission_on_receipt(page):
    """The submission whose receipt page the browser shows (the demo holds many others)."""
    match = re.search(r"/eingang/([0-9a-f-]{36})/", page.url)
    assert match, f"not on a receipt page: {page.url}"
    return Submission.objects.get(pk=match.group(1))


def desk(browser):
    """A desktop-sized browser context for a member of staff."""
    return browser.get().new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
