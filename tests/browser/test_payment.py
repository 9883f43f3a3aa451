"""A citizen pays the Gewerbeanmeldung fee at the local pay page and comes back to a paid application.

Every page (the receipt with the fee, the pay page, the result) is checked with axe-core.
"""

import pytest
from devtools.paypage import PayPage
from django.conf import settings

from .helpers import Journey, activate, gewerbeanmeldung_at_check_page, pay_at_pay_page, submission_on_receipt

pytestmark = pytest.mark.browser


@pytest.fixture
def paypage(demo, settings):
    service = PayPage(client_id="kreiswerk-browser", client_secret="geheim-" + "b" * 30).start()
    service.notify_url = f"{demo.url}/zahlung/benachrichtigung/epaybl/"
    settings.KREISWERK_BASE_URL = demo.url
    settings.KREISWERK_PAYMENT_PROVIDER = "epaybl"
    settings.KREISWERK_EPAYBL_URL = service.url + "/"
    settings.KREISWERK_EPAYBL_CLIENT_ID = "kreiswerk-browser"
    settings.KREISWERK_EPAYBL_CLIENT_SECRET = "geheim-" + "b" * 30
    settings.KREISWERK_EPAYBL_ORIGINATOR_ID = "musterkreis"
    settings.KREISWERK_EPAYBL_ENDPOINT_ID = "demo"
    yield service
    service.stop()


def test_the_citizen_pays_the_fee_and_the_application_goes_on(demo, paypage, phone, artifacts):
    check_path, session_id = gewerbeanmeldung_at_check_page()
    phone.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": demo.url}])
    page = phone.new_page()
    journey = Journey(page, artifacts("bezahlen"))
    page.goto(demo.url + check_path)
    activate(page, "form[data-submit-once] button[type='submit']")
    assert "/eingang/" in page.url
    assert "bitte bezahlen Sie die Gebühr" in page.inner_text("main")
    assert "26,00 €" in page.inner_text("main")
    journey.arrived("gebuehr-offen")
    submission = submission_on_receipt(page)
    assert submission.awaiting_payment_since is not None

    pay_at_pay_page(page, journey, pay_page_url=paypage.url, back_url=demo.url, method="GIROPAY")
    payment = submission.payments.get()
    assert payment.status == "BOOKED" and payment.method == "GIROPAY" and str(payment.amount) == "26.00"

    with page.expect_navigation():
        page.locator("main a", has_text="Zur Eingangsbestätigung").click()
    assert "Ihr Antrag ist eingegangen" in page.inner_text("main")
    assert f"Kassenzeichen {payment.reference}" in page.inner_text("main")
    journey.arrived("eingang-bezahlt")
    journey.assert_accessible()
