"""A submission reaches every destination of its assistant, encrypted or signed, exactly once."""

import hashlib
import json

import pytest
from django.core import mail

from kreiswerk.assistants.submission_schema import submission_schema
from kreiswerk.cases.models import Case, Event
from kreiswerk.handoff import services
from kreiswerk.handoff.models import Delivery, DeliveryEvent
from kreiswerk.submissions.tasks import followup_enqueue

from .conftest import submit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 Nachweis " + bytes(range(256)) * 1200  # 300 KB: beyond JOSE libraries' default limits


def run_followups(submission, capture):
    with capture(execute=True):
        followup_enqueue(submission)


def test_a_submission_arrives_decrypted_with_matching_hashes_and_valid_metadata(
    version, fitconnect, receiver, django_capture_on_commit_callbacks
):
    schema_uri = "http://127.0.0.1:8000" + f"/api/v1/assistants/{version.assistant.slug}/versions/1/schema.json"
    receiver.submission_schemas[schema_uri] = submission_schema(version.parsed, schema_id=schema_uri)
    submission = submit(version, files={"Nachweis.pdf": PDF, "Anlage 2.pdf": b"%PDF-1.4 zwei"})

    run_followups(submission, django_capture_on_commit_callbacks)

    assert receiver.rejected == []
    (received,) = receiver.received.values()
    assert received.data == {"answers": submission.answers, "computed": {}}
    metadata = received.metadata
    assert metadata["contentStructure"]["data"]["submissionSchema"]["schemaUri"] == schema_uri
    assert metadata["additionalReferenceInfo"]["senderReference"] == submission.reference
    assert metadata["publicServiceType"]["identifier"] == "urn:de:fim:leika:leistung:99050012104000"
    assert metadata["replyChannel"] == {"eMail": {"address": "erika@example.org"}}
    by_purpose = {}
    for item in metadata["contentStructure"]["attachments"]:
        by_purpose.setdefault(item["purpose"], []).append(item)
        content = received.attachments[item["attachmentId"]]
        assert hashlib.sha512(content).hexdigest() == item["hash"]["content"]
    assert len(by_purpose["form"]) == 1 and received.attachments[by_purpose["form"][0]["attachmentId"]].startswith(
        b"%PDF"
    )
    assert sorted(received.attachments[item["attachmentId"]] for item in by_purpose["attachment"]) == sorted(
        [PDF, b"%PDF-1.4 zwei"]
    )
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.DELIVERED and delivery.confirmed_at is not None
    assert received.key == str(delivery.pk)
    kinds = list(delivery.events.values_list("kind", flat=True))
    assert kinds == ["created", "delivered", "confirmed"]
    case = Case.objects.get(submission=submission)
    arrival = case.events.get(kind=Event.Kind.HANDED_OFF)
    assert arrival.data == {"destination": "Gewerbe-Fachverfahren"}


def test_the_encrypted_parts_are_compact_jwe_for_the_destination_key(version, fitconnect, receiver):
    from kreiswerk.handoff.contrib.fitconnect import envelope_build, public_key_load
    from kreiswerk.handoff.package import package_build

    submission = submit(version)
    delivery = services.deliveries_create(submission=submission)[0]
    body = envelope_build(
        delivery=delivery, package=package_build(submission=submission), key=public_key_load(fitconnect.public_key)
    )
    for token in [
        body["encryptedMetadata"],
        body["encryptedData"],
        *(a["encryptedContent"] for a in body["attachments"]),
    ]:
        parts = token.split(".")
        assert len(parts) == 5  # compact serialisation
        import base64

        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        assert header["alg"] == "RSA-OAEP-256" and header["enc"] == "A256GCM" and header["kid"] == "fachverfahren-1"
    assert b"Mustermann" not in json.dumps(body).encode()
    assert body["destinationId"] == str(fitconnect.destination_id)


def test_several_destinations_each_get_the_submission_once(
    version, fitconnect, webhook, receiver, django_capture_on_commit_callbacks
):
    services.destination_create(
        assistant=version.assistant, name="Postfach Gewerbe", kind="email", email="gewerbe@kreis.example"
    )
    submission = submit(version, files={"Nachweis.pdf": PDF})

    run_followups(submission, django_capture_on_commit_callbacks)
    run_followups(submission, django_capture_on_commit_callbacks)  # a second enqueue changes nothing

    assert {item.kind for item in receiver.received.values()} == {"fitconnect", "webhook"}
    assert all(item.repeats == 0 for item in receiver.received.values())
    hook = next(item.data for item in receiver.received.values() if item.kind == "webhook")
    assert hook["type"] == "submission.created" and hook["submission"]["reference"] == submission.reference
    assert hook["data"]["answers"]["name"] == "Erika Mustermann"
    (upload,) = hook["files"]
    assert upload["sha512"] == hashlib.sha512(PDF).hexdigest() and upload["href"].endswith("/content")
    handed = [message for message in mail.outbox if "gewerbe@kreis.example" in message.to]
    assert len(handed) == 1
    assert submission.reference in handed[0].subject
    assert [name for name, _content, _type in handed[0].attachments] == [
        f"Antrag-{submission.reference}.pdf",
        "Nachweis.pdf",
    ]
    statuses = dict(Delivery.objects.filter(submission=submission).values_list("destination__kind", "status"))
    assert statuses == {"fitconnect": "delivered", "webhook": "delivered", "email": "delivered"}
    confirmed = Delivery.objects.filter(submission=submission, confirmed_at__isnull=False).count()
    assert confirmed == 2  # e-mail cannot confirm an arrival


def test_receiver_down_then_back_every_submission_arrives_exactly_once(
    version, fitconnect, webhook, receiver, django_capture_on_commit_callbacks
):
    receiver.stop()
    submissions = [submit(version) for _ in range(5)]
    for submission in submissions:
        run_followups(submission, django_capture_on_commit_callbacks)
    deliveries = Delivery.objects.filter(submission__in=submissions)
    assert deliveries.count() == 10
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.PENDING}
    assert all("nicht erreichbar" in delivery.last_error for delivery in deliveries)
    assert Case.objects.filter(events__kind=Event.Kind.HANDED_OFF).count() == 0

    receiver.start()  # back on the same port
    later = max(delivery.next_attempt_at for delivery in deliveries)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_requeue_due(now=later) == 10

    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    assert len(receiver.received) == 10
    assert all(item.repeats == 0 for item in receiver.received.values())
    assert {
        item.data.get("answers", item.data.get("data", {}).get("answers"))["name"]
        for item in receiver.received.values()
    } == {"Erika Mustermann"}
    assert Event.objects.filter(kind=Event.Kind.HANDED_OFF).count() == 10
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_requeue_due(now=later) == 0


def test_a_lost_answer_is_retried_and_the_receiver_counts_it_once(
    version, fitconnect, receiver, django_capture_on_commit_callbacks
):
    receiver.lose_answers = 1
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.PENDING
    assert len(receiver.received) == 1  # it arrived; the sender could not know

    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_requeue_due(now=delivery.next_attempt_at)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    (received,) = receiver.received.values()
    assert received.repeats == 1


def test_a_delivered_submission_is_not_sent_again(version, fitconnect, receiver, django_capture_on_commit_callbacks):
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    requests = receiver.requests
    services.delivery_attempt(delivery_id=delivery.pk)
    assert receiver.requests == requests


def test_not_before_its_time(version, fitconnect, receiver, django_capture_on_commit_callbacks):
    receiver.stop()
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    receiver.start()
    delivery = Delivery.objects.get(submission=submission)
    services.delivery_attempt(delivery_id=delivery.pk)  # too early: the backoff holds
    assert receiver.requests == 0
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1


def test_after_the_last_attempt_the_delivery_fails_for_a_person_to_look_at(
    version, fitconnect, receiver, settings, django_capture_on_commit_callbacks
):
    settings.KREISWERK_HANDOFF_MAX_ATTEMPTS = 2
    receiver.stop()
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_requeue_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error.startswith("Nach 2 Versuchen aufgegeben")
    assert list(delivery.events.values_list("kind", flat=True)) == ["created", "attempt", "retry", "failed"]


def test_a_refusal_fails_at_once_and_a_retry_after_the_fix_delivers(
    version, webhook, receiver, administrator, django_capture_on_commit_callbacks
):
    services.destination_update(destination=webhook, secret="falsch-" + "y" * 40)
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 1
    assert "HTTP 401" in delivery.last_error and "Signatur" in delivery.last_error
    assert receiver.received == {}

    services.destination_update(destination=webhook, secret=receiver.webhook_secret)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry(delivery=delivery, actor=administrator)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert len(receiver.received) == 1
    retried = delivery.events.get(kind=DeliveryEvent.Kind.REQUEUED)
    assert retried.actor == administrator
    assert not services.delivery_retry(delivery=delivery, actor=administrator)  # only failed ones


def test_a_wrong_key_is_refused_by_the_receiver(version, receiver, django_capture_on_commit_callbacks):
    from devtools.handoff_receiver import key_generate

    other = json.dumps(key_generate(kid="fachverfahren-1").as_dict(private=False))
    services.destination_create(
        assistant=version.assistant, name="FV", kind="fitconnect", url=receiver.url + "/fitconnect", public_key=other
    )
    submission = submit(version)
    run_followups(submission, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(submission=submission)
    assert delivery.status == Delivery.Status.FAILED
    assert "entschlüsseln" in delivery.last_error and receiver.received == {}


def test_test_submissions_go_only_where_wanted(
    version, fitconnect, webhook, receiver, django_capture_on_commit_callbacks
):
    services.destination_update(destination=webhook, include_tests=True)
    submission = submit(version, is_test=True)
    run_followups(submission, django_capture_on_commit_callbacks)
    assert list(Delivery.objects.filter(submission=submission).values_list("destination__kind", flat=True)) == [
        "webhook"
    ]
    assert next(iter(receiver.received.values())).data["submission"]["is_test"] is True


def test_an_inactive_destination_gets_nothing_new(version, fitconnect, receiver, django_capture_on_commit_callbacks):
    services.destination_activate(destination=fitconnect, active=False)
    run_followups(submit(version), django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists() and receiver.requests == 0


def test_a_paid_fee_travels_as_payment_information(version, fitconnect, receiver, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from django.utils import timezone

    from kreiswerk.payments.models import Payment

    submission = submit(version)
    Payment.objects.create(
        submission=submission,
        provider="epaybl",
        transaction_id="9c1b-432x-6543",
        reference="KZ-2026-000123",
        amount=Decimal("26.00"),
        method="PAYPAL",
        status="BOOKED",
        booked_at=timezone.now(),
    )
    run_followups(submission, django_capture_on_commit_callbacks)
    (received,) = receiver.received.values()
    information = received.metadata["paymentInformation"]
    assert information["transactionReference"] == "KZ-2026-000123" and information["status"] == "BOOKED"
    assert information["grossAmount"] == 26.0 and information["paymentMethod"] == "PAYPAL"
