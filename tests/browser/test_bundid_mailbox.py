"""A citizen logs in with (test) BundID at level substantiell, applies with prefilled locked fields,
pays the Gewerbeanmeldung fee at the local pay page and follows the application in the mailbox,
where the caseworker's Rückfrage turns up. Every page is checked with axe-core (WCAG 2.1 A/AA).
"""

import datetime

import pytest
from devtools.paypage import PayPage
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from kreiswerk.cases.inquiries import inquiry_ask
from kreiswerk.cases.models import Case

from .helpers import START_PATH, Journey, desk, pay_at_pay_page, staff_login, submission_on_receipt

pytestmark = pytest.mark.browser

QUESTION = "Bitte reichen Sie die Erlaubnis nach § 34c GewO nach."


@pytest.fixture
def services(demo, settings):
    """The test IdP in the live server and the local pay page beside it."""
    service = PayPage(client_id="kreiswerk-browser", client_secret="geheim-" + "b" * 30).start()
    service.notify_url = f"{demo.url}/zahlung/benachrichtigung/epaybl/"
    settings.KREISWERK_BASE_URL = demo.url
    settings.KREISWERK_DEV_IDP = True
    settings.KREISWERK_PAYMENT_PROVIDER = "epaybl"
    settings.KREISWERK_EPAYBL_URL = service.url + "/"
    settings.KREISWERK_EPAYBL_CLIENT_ID = "kreiswerk-browser"
    settings.KREISWERK_EPAYBL_CLIENT_SECRET = "geheim-" + "b" * 30
    settings.KREISWERK_EPAYBL_ORIGINATOR_ID = "musterkreis"
    settings.KREISWERK_EPAYBL_ENDPOINT_ID = "demo"
    yield service
    service.stop()


def _next(page, journey, name):
    with page.expect_navigation():
        page.locator("form[data-step-form] button.kern-btn--primary[value=weiter]").click()
    journey.arrived(name)


def test_bundid_login_prefill_payment_and_mailbox(demo, services, browser, phone, artifacts):
    page = phone.new_page()
    journey = Journey(page, artifacts("bundid-postfach"))
    page.goto(demo.url + START_PATH)
    journey.arrived("start")

    # BundID (the test IdP) with an ELSTER certificate: level substantiell.
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.wait_for_url("**/anmeldung/test-idp/sso/**")
    journey.arrived("bundid")
    assert "mindestens das Vertrauensniveau „substantiell“" in page.inner_text("main")
    page.get_by_label("Erika Mustermann").check()
    page.get_by_label("ELSTER-Zertifikat (substantiell)").check()
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(demo.url + START_PATH)
    assert "Sie sind angemeldet als Erika Mustermann" in page.inner_text("main")
    journey.arrived("angemeldet")

    # The card's data are filled in and locked; the e-mail address may be changed.
    with page.expect_navigation():
        page.get_by_role("button", name="Antrag starten").click()
    journey.arrived("person-vorbelegt")
    for field, value in (("vorname", "Erika"), ("nachname", "Mustermann"), ("geburtsdatum__year", "1964")):
        locator = page.locator(f"#feld-{field}")
        assert locator.input_value() == value
        assert locator.get_attribute("readonly") is not None
    assert "Aus Ihrer Anmeldung mit der BundID übernommen" in page.inner_text("main")
    assert page.locator("#feld-email").get_attribute("readonly") is None
    page.locator("#feld-staatsangehoerigkeit").select_option("deutsch")
    _next(page, journey, "betrieb")
    page.locator("#feld-rechtsform").select_option("einzelunternehmen")
    page.locator("#feld-taetigkeit").fill("Reparatur von Fahrrädern")
    page.locator("input[name=bereiche][value=handwerk]").check()
    page.locator("input[name=nebenerwerb][value=nein]").check()
    page.locator("input[name=erlaubnispflichtig][value=nein]").check()
    _next(page, journey, "anschrift")
    page.locator("#feld-betriebsanschrift__street").fill("Marktplatz")
    page.locator("#feld-betriebsanschrift__house_number").fill("3")
    page.locator("#feld-betriebsanschrift__postal_code").fill("89584")
    page.locator("#feld-betriebsanschrift__city").fill("Ehingen")
    page.locator("input[name=wohnung_gleich][value=nein]").check()
    assert page.locator("#feld-wohnanschrift__city").input_value() == "Köln"
    assert page.locator("#feld-wohnanschrift__city").get_attribute("readonly") is not None
    _next(page, journey, "beginn")
    start = timezone.localdate() + datetime.timedelta(days=7)
    page.locator("input[name=anlass][value=neugruendung]").check()
    page.locator("#feld-beginn_datum__day").fill(str(start.day))
    page.locator("#feld-beginn_datum__month").fill(str(start.month))
    page.locator("#feld-beginn_datum__year").fill(str(start.year))
    page.locator("input[name=befristet][value=nein]").check()
    _next(page, journey, "abschluss")
    page.locator("input[name=erklaerung]").check()
    _next(page, journey, "pruefen")
    assert "Erika" in page.inner_text("main") and "Heidestraße" in page.inner_text("main")
    with page.expect_navigation():
        page.locator("form[data-submit-once] button[type='submit']").click()
    journey.arrived("eingang-gebuehr-offen")
    submission = submission_on_receipt(page)
    assert submission.citizen is not None and submission.identity_level == 3
    assert submission.answers["vorname"] == "Erika"

    # Pay at the local pay page.
    pay_at_pay_page(page, journey, pay_page_url=services.url, back_url=demo.url, method="CREDITCARD")
    payment = submission.payments.get()
    assert payment.status == "BOOKED"

    # The mailbox: the application with its payment.
    page.goto(f"{demo.url}/postfach/")
    journey.arrived("postfach")
    text = page.inner_text("main")
    assert submission.reference in text
    assert f"Kassenzeichen {payment.reference}" in text
    receipt = page.get_by_role("link", name=f"Eingangsbestätigung {submission.reference} (PDF)")
    pdf = page.request.get(demo.url + receipt.get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # The caseworker asks a question; the citizen is told by e-mail (without personal data) and finds it.
    case = Case.objects.get(submission=submission)
    caseworker = get_user_model().objects.get(username="sachbearbeitung")
    inquiry_ask(
        case=case,
        question=QUESTION,
        answer_by=timezone.localdate() + datetime.timedelta(days=14),
        allows_upload=True,
        suspends=True,
        actor=caseworker,
    )
    notice = next(message for message in mail.outbox if "Rückfrage" in message.subject)
    assert "Mustermann" not in notice.body and "Fahrräder" not in notice.body
    page.reload()
    assert "Eine Rückfrage wartet auf Ihre Antwort." in page.inner_text("main")
    journey.arrived("postfach-rueckfrage")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Antrag {submission.reference} öffnen").click()
    assert QUESTION in page.inner_text("main")
    journey.arrived("mein-antrag-rueckfrage")

    page.goto(f"{demo.url}/postfach/")
    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    page.goto(f"{demo.url}/postfach/")
    assert submission.reference not in page.inner_text("main")
    journey.arrived("abgemeldet")

    # At the office: the case shows the fee and the login level; the Kreiskasse lists the booking.
    office_desk = desk(browser)
    office = office_desk.new_page()
    staff = Journey(office, journey.folder)
    staff_login(office, staff, demo.url, "sachbearbeitung")
    office.goto(f"{demo.url}/verwaltung/vorgaenge/{case.pk}/")
    staff.arrived("vorgang-mit-gebuehr")
    text = office.inner_text("main")
    assert "mit BundID angemeldet (Vertrauensniveau „substantiell“)" in text
    assert payment.reference in text
    till = desk(browser)
    treasury = till.new_page()
    cashier = Journey(treasury, journey.folder)
    staff_login(treasury, cashier, demo.url, "kasse")
    treasury.goto(f"{demo.url}/verwaltung/kasse/?tag={timezone.localdate().isoformat()}")
    cashier.arrived("kreiskasse")
    assert payment.reference in treasury.inner_text("main")
    office_desk.close()
    till.close()
    journey.assert_accessible()
    staff.assert_accessible()
    cashier.assert_accessible()


def test_a_cancelled_bundid_login_says_so_and_leads_back(demo, services, phone, artifacts):
    page = phone.new_page()
    journey = Journey(page, artifacts("bundid-abgebrochen"))
    page.goto(demo.url + START_PATH)
    page.get_by_role("button", name="Mit BundID anmelden").click()
    page.wait_for_url("**/anmeldung/test-idp/sso/**")
    page.get_by_role("button", name="Abbrechen").click()
    page.wait_for_url("**/saml/antwort/")
    assert page.title().startswith("Anmeldung nicht möglich")
    assert "abgebrochen oder vom Anmeldedienst abgelehnt" in page.inner_text("main")
    journey.arrived("anmeldung-nicht-moeglich")
    with page.expect_navigation():
        page.get_by_role("link", name="Zu den Online-Diensten").click()
    assert "Sie sind angemeldet" not in page.inner_text("main")
    journey.js.assert_none("the refused login")
    journey.assert_accessible()
