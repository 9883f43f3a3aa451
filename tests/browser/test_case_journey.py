"""From the citizen's submit to the Bescheid: Rückfrage, upload, Mitzeichnung, status page.

Three people in three browsers: the applicant (phone), the caseworker "sachbearbeitung"
and the head of office "leitung" who co-signs. Every page on the way is checked with
axe-core (WCAG 2.1 A/AA) and photographed to test-artifacts/browser/vorgang-bis-bescheid/.
"""

import pytest
from django.conf import settings

from kreiswerk.cases.models import Case, Decision, Document, Inquiry

from .helpers import Journey, desk, gewerbeanmeldung_at_check_page, staff_login

pytestmark = pytest.mark.browser

CHECK_SUBMIT = "form[data-submit-once] button[type='submit']"
PDF = b"%PDF-1.4\n% Erlaubnis nach Paragraf 34c GewO\n"
QUESTION = "Bitte laden Sie Ihre Erlaubnis nach § 34c GewO hoch."


def test_a_gewerbeanmeldung_goes_from_the_inbox_to_the_bescheid(demo, browser, phone, artifacts, tmp_path):
    folder = artifacts("vorgang-bis-bescheid")

    # The applicant submits and follows the link to "Mein Antrag".
    check_path, session_id = gewerbeanmeldung_at_check_page()
    phone.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": demo.url}])
    citizen = phone.new_page()
    applicant = Journey(citizen, folder)
    citizen.goto(demo.url + check_path)
    citizen.locator(CHECK_SUBMIT).click()
    assert "/eingang/" in citizen.url
    applicant.arrived("antrag-eingegangen")
    citizen.get_by_role("link", name="Zu „Mein Antrag“").click()
    applicant.arrived("mein-antrag")
    status_url = citizen.url
    case = Case.objects.get(submission__reference=citizen.locator(".kw-reference").inner_text().strip())
    assert "Ihre Gewerbeanmeldung ist bei uns eingegangen" in citizen.inner_text("main")

    # The caseworker finds it in the team inbox, takes it and asks a question.
    office_desk = desk(browser)
    office = office_desk.new_page()
    caseworker = Journey(office, folder)
    staff_login(office, caseworker, demo.url, "sachbearbeitung")
    office.goto(f"{demo.url}/verwaltung/vorgaenge/")
    office.locator("#id_art").select_option(label="Gewerbeanmeldung")
    office.locator("#id_sortierung").select_option("eingang")
    office.locator("main form.kw-filter button[type=submit]").click()
    caseworker.arrived("team-eingang")
    office.get_by_role("link", name=case.reference).click()
    caseworker.arrived("vorgang")
    office.get_by_role("button", name="Vorgang übernehmen").click()
    office.locator("#id_question").fill(QUESTION)
    office.get_by_role("button", name="Rückfrage senden").click()
    caseworker.arrived("rueckfrage-gestellt")
    assert "Die Rückfrage ist gestellt." in office.inner_text("main")
    case.refresh_from_db()
    assert case.due_on is None  # the processing deadline stands still

    # The applicant answers with an upload.
    citizen.goto(status_url)
    applicant.arrived("mein-antrag-rueckfrage")
    assert QUESTION in citizen.inner_text("main")
    citizen.get_by_role("link", name="Rückfrage beantworten").click()
    applicant.arrived("rueckfrage-beantworten")
    citizen.locator("#id_answer").fill("Die Erlaubnis liegt bei.")
    upload = tmp_path / "Erlaubnis.pdf"
    upload.write_bytes(PDF)
    citizen.locator("#id_dateien").set_input_files(str(upload))
    citizen.get_by_role("button", name="Antwort senden").click()
    applicant.arrived("antwort-gesendet")
    assert "Ihre Antwort ist bei uns eingegangen" in citizen.inner_text("main")
    assert "Erlaubnis.pdf" in citizen.inner_text("main")

    # The caseworker sees the answer, checks, and drafts the Bescheid for co-signing.
    office.reload()
    caseworker.arrived("antwort-im-vorgang")
    text = office.inner_text("main")
    assert "Die Erlaubnis liegt bei." in text and "Nachreichung: Erlaubnis.pdf" in text
    case.refresh_from_db()
    assert case.due_on is not None  # running again
    office.get_by_label("In Prüfung").check()
    office.get_by_role("button", name="Status ändern").click()
    for item in ("Angaben zur Person und zum Betrieb geprüft", "Erlaubnispflicht geprüft", "Gebühr verbucht"):
        office.get_by_role("button", name=item).click()
    office.get_by_label("Entscheidung").check()
    office.get_by_role("button", name="Status ändern").click()
    office.get_by_label("Empfangsbescheinigung erteilt").first.check()
    office.get_by_role("button", name="Bescheid entwerfen").click()
    caseworker.arrived("bescheid-entwurf")
    assert "Reparatur von Fahrrädern" in office.locator("#id_body").input_value()
    office.get_by_role("button", name="Zur Mitzeichnung vorlegen").click()
    caseworker.arrived("bescheid-zur-mitzeichnung")

    # A second person co-signs.
    second_desk = desk(browser)
    second = second_desk.new_page()
    head = Journey(second, folder)
    staff_login(second, head, demo.url, "leitung")
    second.goto(f"{demo.url}/verwaltung/vorgaenge/")
    head.arrived("zur-mitzeichnung")
    second.get_by_role("link", name=f"{case.reference}:").click()
    head.arrived("bescheid-mitzeichnen")
    second.get_by_role("button", name="Mitzeichnen").click()
    head.arrived("bescheid-mitgezeichnet")

    # The caseworker provides it; the applicant retrieves it on the status page.
    office.goto(f"{demo.url}/verwaltung/vorgaenge/{case.pk}/bescheid/")
    caseworker.arrived("bescheid-freigegeben")
    office.get_by_role("button", name="Bescheid bereitstellen").click()
    caseworker.arrived("bescheid-bereitgestellt")

    citizen.goto(status_url)
    applicant.arrived("mein-antrag-bescheid")
    assert "Empfangsbescheinigung über Ihre Gewerbeanzeige" in citizen.inner_text("main")
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="Bescheid als PDF herunterladen").click()
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    citizen.reload()
    applicant.arrived("mein-antrag-abgerufen")
    assert "Sie haben den Bescheid am" in citizen.inner_text("main")

    decision = Decision.objects.get(case=case)
    assert decision.state == Decision.State.DELIVERED and decision.announced_on is not None
    assert decision.cosigned_by.username == "leitung" and decision.drafted_by.username == "sachbearbeitung"
    assert Inquiry.objects.get(case=case).state == Inquiry.State.ANSWERED
    assert case.documents.filter(kind=Document.Kind.ANSWER).count() == 1

    for journey in (applicant, caseworker, head):
        journey.js.assert_none("the journey")
    office_desk.close()
    second_desk.close()
    for journey in (applicant, caseworker, head):
        journey.assert_accessible()
