"""Mein Postfach: a logged-in citizen finds all their applications with status, payment and Rückfragen."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from kreiswerk.cases.inquiries import inquiry_ask
from kreiswerk.identity.models import Citizen
from kreiswerk.submissions.links import status_path
from kreiswerk.submissions.models import Submission
from tests.cases.conftest import make_submission

from .conftest import login

pytestmark = pytest.mark.django_db


def mine(submission, citizen, level=3):
    Submission.objects.filter(pk=submission.pk).update(citizen=citizen, identity_level=level)
    submission.refresh_from_db()
    return submission


@pytest.fixture
def erika(client):
    login(client)
    return Citizen.objects.get()


def test_without_login_the_mailbox_offers_the_login(client):
    page = client.get("/postfach/").content.decode()
    assert "Mit BundID anmelden" in page
    assert "Eingangsbestätigung" in page


def test_it_lists_only_the_citizens_own_applications(client, erika, assistant_version):
    own = mine(make_submission(assistant_version), erika)
    other_person = Client()
    login(other_person, who="max")
    max_account = Citizen.objects.exclude(pk=erika.pk).get()
    foreign = mine(make_submission(assistant_version, name="Max"), max_account)
    anonymous = make_submission(assistant_version, name="Ohne Anmeldung")

    page = client.get("/postfach/").content.decode()
    assert own.reference in page
    assert foreign.reference not in page and anonymous.reference not in page
    assert status_path(own.pk) in page
    assert client.get(status_path(own.pk)).status_code == 200
    assert foreign.reference in other_person.get("/postfach/").content.decode()


def test_it_shows_the_status_and_an_open_inquiry(client, erika, assistant_version, case_type_version, caseworker):
    from kreiswerk.cases.services import case_open_for_submission

    submission = mine(make_submission(assistant_version), erika)
    case = case_open_for_submission(submission=submission)
    inquiry_ask(
        case=case,
        question="Bitte reichen Sie den Personalausweis nach.",
        answer_by=timezone.localdate() + datetime.timedelta(days=14),
        allows_upload=True,
        suspends=False,
        actor=caseworker,
    )
    page = client.get("/postfach/").content.decode()
    assert "Eine Rückfrage wartet auf Ihre Antwort." in page
    receipt = case.documents.get(kind="eingangsbestaetigung")
    assert f"/dokumente/{receipt.pk}/" in page
    assert case.status_definition.title in page or (case.status_definition.public or "") in page


def test_it_shows_an_unpaid_fee(client, erika, publish_assistant):
    from tests.payments.conftest import fee_definition

    version = publish_assistant(fee_definition())
    submission = mine(make_submission(version), erika)
    submission.payload = {**submission.payload, "computed": {"gebuehr": "26.00"}}
    submission.awaiting_payment_since = timezone.now()
    submission.save()
    page = client.get("/postfach/").content.decode()
    assert "Wartet auf die Zahlung der Gebühr" in page
    assert "26,00 € offen" in page or "26.00 € offen" in page


def test_a_submission_made_while_logged_in_arrives_in_the_mailbox(client, erika, publish_assistant):
    from tests.identity.test_prefill import identity_definition, start

    version = publish_assistant(identity_definition())
    step = start(client, version)["Location"]
    check = client.post(step, {"email": "erika@example.org"})["Location"]
    from kreiswerk.runner.models import Draft

    client.post(check, {"submit_key": str(Draft.objects.get().submit_key)})
    submission = Submission.objects.get()
    assert submission.citizen == erika
    assert submission.reference in client.get("/postfach/").content.decode()
