"""The local pay page over real HTTP, and an assistant whose fee the server computes."""

import pytest
from devtools.paypage import PayPage
from django.utils import timezone

from kreiswerk.payments.contrib.epaybl import EpayblProvider
from kreiswerk.payments.registry import register
from kreiswerk.runner.services import SESSION_SUBMISSIONS
from kreiswerk.submissions.models import Submission
from tests.cases.conftest import make_submission
from tests.conftest import simple_definition

CLIENT_ID, CLIENT_SECRET = "kreiswerk-test", "geheim-" + "p" * 30


@register
class SecondProvider(EpayblProvider):
    """The same protocol under another key: the county switched its payment provider meanwhile."""

    key = "epaybl-neu"


@pytest.fixture
def paypage(settings):
    service = PayPage(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    settings.KREISWERK_PAYMENT_PROVIDER = "epaybl"
    settings.KREISWERK_EPAYBL_URL = service.url + "/"
    settings.KREISWERK_EPAYBL_TOKEN_URL = ""
    settings.KREISWERK_EPAYBL_CLIENT_ID = CLIENT_ID
    settings.KREISWERK_EPAYBL_CLIENT_SECRET = CLIENT_SECRET
    settings.KREISWERK_EPAYBL_ORIGINATOR_ID = "kreiswerk"
    settings.KREISWERK_EPAYBL_ENDPOINT_ID = "musterkreis"
    yield service
    service.stop()


def fee_definition() -> dict:
    definition = simple_definition()
    definition["computed"] = [
        {
            "key": "gebuehr",
            "label": "Gebühr für den Testantrag",
            "type": "money",
            "rule": {"+": [20, {"*": [{"var": "anzahl"}, 3]}]},
        }
    ]
    definition["fee"] = "gebuehr"
    return definition


@pytest.fixture
def version(publish_assistant):
    return publish_assistant(fee_definition())


def submit(version, *, fee: str = "26.00") -> Submission:
    """A submission waiting for its fee, as the submit leaves it."""
    submission = make_submission(version)
    submission.payload = {**submission.payload, "computed": {"gebuehr": fee}}
    submission.awaiting_payment_since = timezone.now()
    submission.save()
    return submission


def owning(client, submission):
    """The browser that submitted: its session names the submission."""
    session = client.session
    session[SESSION_SUBMISSIONS] = [str(submission.pk)]
    session.save()
    return client
