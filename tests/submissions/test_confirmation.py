"""The confirmation e-mail: sent once, to the given address, without the answers."""

import datetime
import uuid
from unittest import mock

import pytest
from django.core import mail

from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.tasks import submission_confirmation_send
from tests.conftest import simple_definition

REFERENCE = "MK-2026-000123"
ADDRESS = "erika.mustermann@example.org"


def make_submission(version, **answers) -> Submission:
    assistant = version.assistant
    return Submission.objects.create(
        reference=REFERENCE,
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": answers, "computed": {}},
        idempotency_key=uuid.uuid4(),
    )


@pytest.fixture
def submission(publish_assistant) -> Submission:
    version = publish_assistant(simple_definition())
    return make_submission(version, name="Erika Mustermann", email=ADDRESS, anzahl=4)


@pytest.mark.django_db
def test_confirmation_is_sent_once_to_the_given_address(submission, mailoutbox):
    submission_confirmation_send.enqueue(submission_id=str(submission.pk))
    submission_confirmation_send.enqueue(submission_id=str(submission.pk))

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [ADDRESS]
    assert message.attachments == []
    submission.refresh_from_db()
    assert submission.confirmation_sent_at is not None


@pytest.mark.django_db
def test_confirmation_names_the_case_but_not_the_answers(submission, mailoutbox):
    submission_confirmation_send.enqueue(submission_id=str(submission.pk))

    message = mailoutbox[0]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for part in (message.subject, message.body, html):
        assert REFERENCE in part
        assert "Testantrag" in part
        assert "Mustermann" not in part.replace(ADDRESS, "")
        assert "Erika" not in part.replace(ADDRESS, "")
    for part in (message.body, html):
        assert "Sachgebiet Gewerbe" in part
        assert "Landkreis Musterkreis" in part
        assert "keine Entscheidung" in part
        assert "Uhr" in part
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_confirmation_gives_the_time_of_receipt_in_german_time(submission, mailoutbox):
    moment = datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC)
    Submission.objects.filter(pk=submission.pk).update(submitted_at=moment)

    submission_confirmation_send.enqueue(submission_id=str(submission.pk))

    assert "am 16.01.2026 um 00:30 Uhr" in " ".join(mailoutbox[0].body.split())


@pytest.mark.django_db
def test_failed_send_is_not_marked_and_a_retry_sends(submission, mailoutbox):
    run = submission_confirmation_send.func
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=OSError("down"),
        ),
        pytest.raises(OSError),
    ):
        run(submission_id=str(submission.pk), attempt=99)  # the last attempt re-raises
    submission.refresh_from_db()
    assert submission.confirmation_sent_at is None
    assert mailoutbox == []

    run(submission_id=str(submission.pk))
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_no_mail_without_address(publish_assistant):
    version = publish_assistant(simple_definition())
    submission = make_submission(version, name="Erika Mustermann", anzahl=1)

    submission_confirmation_send.enqueue(submission_id=str(submission.pk))

    assert mail.outbox == []
    submission.refresh_from_db()
    assert submission.confirmation_sent_at is None


@pytest.mark.django_db
def test_no_mail_if_the_assistant_asks_for_none(publish_assistant):
    definition = simple_definition()
    del definition["confirmation_email_field"]
    version = publish_assistant(definition)
    submission = make_submission(version, name="Erika Mustermann", email=ADDRESS)

    submission_confirmation_send.enqueue(submission_id=str(submission.pk))

    assert mail.outbox == []
