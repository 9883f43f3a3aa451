"""With a fee to pay online, an application waits for the payment before it reaches the E-Akte."""

import pytest

from kreiswerk.payments.models import Payment
from kreiswerk.runner.services import draft_save, draft_start
from kreiswerk.submissions.services import submission_submit

from .conftest import owning

pytestmark = pytest.mark.django_db

ANSWERS = {"name": "Erika Mustermann", "email": "erika@example.org", "anzahl": 2}


def submitted(version, **options):
    draft = draft_start(version=version, language="de")
    draft_save(draft=draft, answers=ANSWERS)
    return submission_submit(draft=draft, submit_key=str(draft.submit_key), **options)


def test_the_application_waits_for_its_fee_and_goes_on_when_paid(
    version, paypage, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as at_submit:
        submission = submitted(version)
    assert at_submit == []  # no receipt job, no case, no hand-off yet
    assert submission.awaiting_payment_since is not None
    assert submission.computed["gebuehr"] in {"26.00", "26"}

    receipt = owning(client, submission).get(f"/eingang/{submission.pk}/")
    page = receipt.content.decode()
    assert "bitte bezahlen Sie die Gebühr" in page and "Jetzt bezahlen" in page and "26,00 €" in page

    response = client.post(f"/zahlung/antrag/{submission.pk}/")
    payment = Payment.objects.get(submission=submission)
    paypage.settle(payment.transaction_id, "BOOKED")
    with django_capture_on_commit_callbacks(execute=False) as at_payment:
        client.get(f"/zahlung/{payment.pk}/zurueck/")
    assert response.status_code == 302 and len(at_payment) == 1
    submission.refresh_from_db()
    assert submission.awaiting_payment_since is None
    after = client.get(f"/eingang/{submission.pk}/").content.decode()
    assert "Ihr Antrag ist eingegangen" in after and "Gebühr bezahlt: 26,00 €" in after


def test_machine_submissions_and_assistants_without_fee_go_on_at_once(
    version, paypage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as started:
        submission = submitted(version, collect_fee=False)
    assert submission.awaiting_payment_since is None and len(started) == 1


def test_the_status_link_lets_the_applicant_pay_later(version, paypage, client):
    from kreiswerk.submissions.links import status_path, status_token

    submission = submitted(version)
    page = client.get(status_path(submission.pk)).content.decode()
    assert "wartet auf die Zahlung" in page and "Jetzt bezahlen" in page
    assert f'name="token" value="{status_token(submission.pk)}"' in page
    response = client.post(f"/zahlung/antrag/{submission.pk}/", {"token": status_token(submission.pk)})
    assert response.status_code == 302 and response["Location"].startswith(paypage.url)
