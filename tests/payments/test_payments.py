"""A citizen pays the fee at the (local) pay page; only the provider's word books the payment, exactly once."""

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from django.utils import timezone

from kreiswerk.payments.models import Payment, PaymentEvent, Status
from kreiswerk.payments.reconciliation import booked_on
from kreiswerk.payments.services import payments_expire
from tests.conftest import run_together

from .conftest import SecondProvider, owning, submit

pytestmark = pytest.mark.django_db


def begin(client, submission, **extra):
    return client.post(f"/zahlung/antrag/{submission.pk}/", extra)


def notify(client, body, provider: str = "epaybl") -> int:
    return client.post(f"/zahlung/benachrichtigung/{provider}/", body, content_type="application/json").status_code


def on_pay_page(paypage, response, action: str, method: str = "CREDITCARD") -> httpx.Response:
    """What the citizen's browser does at the pay page: one button."""
    assert response.status_code == 302 and response["Location"].startswith(paypage.url + "/pay/")
    return httpx.post(response["Location"], data={"action": action, "method": method}, follow_redirects=False)


def back(client, answer: httpx.Response):
    location = answer.headers["Location"]
    return client.get(urlsplit(location).path + ("?" + urlsplit(location).query if urlsplit(location).query else ""))


def test_the_citizen_pays_and_the_application_goes_on(version, paypage, client, django_capture_on_commit_callbacks):
    submission = submit(version)
    response = begin(owning(client, submission), submission)
    answer = on_pay_page(paypage, response, "pay", "PAYPAL")
    assert answer.status_code == 303
    payment = Payment.objects.get(submission=submission)
    assert answer.headers["Location"] == f"http://127.0.0.1:8000/zahlung/{payment.pk}/zurueck/"
    with django_capture_on_commit_callbacks(execute=False) as started:
        page = back(client, answer)
    assert page.status_code == 200 and "Vielen Dank, Ihre Zahlung ist eingegangen" in page.content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.BOOKED and payment.method == "PAYPAL"
    assert payment.reference.startswith("KZ-") and payment.reference in page.content.decode()
    assert payment.booked_at is not None
    assert len(started) == 1  # the follow-up chain (receipt, case, hand-off) starts once
    assert list(payment.events.values_list("source", "status")) == [("start", "INITIAL"), ("return", "BOOKED")]


@pytest.mark.parametrize(
    ("action", "status", "text"), [("fail", "FAILED", "fehlgeschlagen"), ("cancel", "CANCELED", "abgebrochen")]
)
def test_failure_and_cancel_book_nothing_and_offer_a_new_attempt(version, paypage, client, action, status, text):
    submission = submit(version)
    answer = on_pay_page(paypage, begin(owning(client, submission), submission), action)
    page = back(client, answer).content.decode()
    first = Payment.objects.get(submission=submission)
    assert first.status == status and text in page and "Erneut bezahlen" in page
    again = begin(client, submission)
    second = Payment.objects.exclude(pk=first.pk).get(submission=submission)
    assert second.request_id != first.request_id and again["Location"] != response_location(first)
    on_pay_page(paypage, again, "pay")
    second.refresh_from_db()
    assert second.status == Status.INITIAL  # nobody has come back yet: nothing is assumed


def response_location(payment) -> str:
    return payment.pay_url


def test_a_timeout_leaves_the_payment_open_until_it_expires(version, paypage, client, settings):
    submission = submit(version)
    answer = on_pay_page(paypage, begin(owning(client, submission), submission), "timeout")
    assert answer.status_code == 200 and "abgelaufen" in answer.text
    payment = Payment.objects.get(submission=submission)
    page = client.get(f"/zahlung/{payment.pk}/zurueck/").content.decode()
    assert "noch nicht bestätigt" in page
    assert payments_expire() == 0
    later = timezone.now() + timedelta(hours=settings.KREISWERK_PAYMENT_EXPIRY_HOURS + 1)
    assert payments_expire(now=later) == 1
    payment.refresh_from_db()
    assert payment.status == Status.INITIAL  # still open at the provider: a late booking must not be lost
    assert payment.events.filter(source=PaymentEvent.Source.EXPIRY).exists()
    submission.refresh_from_db()
    assert submission.payment_expired_at is not None
    assert begin(client, submission).status_code == 200  # "Keine Zahlung offen": it cannot be started any more
    assert payments_expire(now=later) == 0
    paypage.settle(payment.transaction_id, "BOOKED")  # the pay page was still open: paid after all
    client.get(f"/zahlung/{payment.pk}/zurueck/")
    submission.refresh_from_db()
    assert submission.payment_expired_at is None and submission.awaiting_payment_since is None


def test_ten_notifications_before_the_return_book_once(version, paypage, client, django_capture_on_commit_callbacks):
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    paypage.settle(payment.transaction_id, "BOOKED")
    body = {"transactionId": payment.transaction_id, "status": "BOOKED"}
    with django_capture_on_commit_callbacks(execute=False) as started:
        for _ in range(10):
            assert (
                client.post("/zahlung/benachrichtigung/epaybl/", body, content_type="application/json").status_code
                == 204
            )
        client.get(f"/zahlung/{payment.pk}/zurueck/")
    payment.refresh_from_db()
    assert payment.status == Status.BOOKED
    assert payment.events.filter(status=Status.BOOKED).count() == 1
    assert payment.events.get(status=Status.BOOKED).source == PaymentEvent.Source.NOTIFICATION
    assert len(started) == 1


def test_the_pay_page_service_notifies_over_http(version, paypage, live_server, client, settings):
    paypage.notify_url = f"{live_server.url}/zahlung/benachrichtigung/epaybl/"
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    paypage.settle(payment.transaction_id, "BOOKED")
    for _ in range(3):
        assert paypage.notify(payment.transaction_id) == 204
    payment.refresh_from_db()
    assert payment.status == Status.BOOKED and payment.events.filter(status=Status.BOOKED).count() == 1


def test_forged_notifications_and_tampered_returns_change_nothing(version, paypage, client):
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    forged = [
        {"transactionId": payment.transaction_id, "status": "BOOKED"},  # the service says INITIAL
        {"transactionId": "00000000-0000-0000-0000-000000000000", "status": "BOOKED"},
        {"status": "BOOKED"},
    ]
    for body in forged:
        assert (
            client.post("/zahlung/benachrichtigung/epaybl/", body, content_type="application/json").status_code == 204
        )
    assert (
        client.post("/zahlung/benachrichtigung/epaybl/", b"kein json", content_type="application/json").status_code
        == 204
    )
    assert (
        client.post("/zahlung/benachrichtigung/unbekannt/", forged[0], content_type="application/json").status_code
        == 204
    )
    tampered = client.get(f"/zahlung/{payment.pk}/zurueck/?status=BOOKED&paymentStatus=BOOKED&amount=0.01")
    assert "noch nicht bestätigt" in tampered.content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.INITIAL
    assert list(payment.events.values_list("status", flat=True)) == ["INITIAL"]


def test_the_amount_is_the_servers_whatever_the_browser_sends(version, paypage, client):
    submission = submit(version, fee="26.00")
    response = begin(owning(client, submission), submission, amount="0.01", grosAmount="0.01", gebuehr="0.01")
    payment = Payment.objects.get(submission=submission)
    assert str(payment.amount) == "26.00"
    transaction = paypage.transactions[payment.transaction_id]
    assert transaction["paymentRequest"]["grosAmount"] == 26.0
    assert sum(item["totalNetAmount"] for item in transaction["paymentRequest"]["items"]) == 26.0
    assert response["Location"] == payment.pay_url


def test_starting_twice_reuses_the_open_payment(version, paypage, client):
    submission = submit(version)
    first = begin(owning(client, submission), submission)
    second = begin(client, submission)
    assert first["Location"] == second["Location"]
    assert Payment.objects.filter(submission=submission).count() == 1 and len(paypage.transactions) == 1


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_the_same_moment_make_one_payment(publish_assistant, paypage, monkeypatch):
    """A double click lands in two processes: both find no open payment, only one may make it."""
    import threading

    from kreiswerk.payments import services
    from kreiswerk.submissions.models import Submission

    from .conftest import fee_definition

    submission = submit(publish_assistant(fee_definition()))
    both_looked = threading.Barrier(2, timeout=10)
    real_fee_of = services.fee_of

    def fee_of_after_both_looked(item):
        both_looked.wait()
        return real_fee_of(item)

    monkeypatch.setattr(services, "fee_of", fee_of_after_both_looked)
    started = []

    def start():
        mine = Submission.objects.get(pk=submission.pk)
        started.append(services.payment_start(submission=mine, return_url_for=lambda p: "https://x.example/"))

    errors = run_together(start, threads=2)
    assert not errors, errors
    assert started[0].pk == started[1].pk
    assert Payment.objects.filter(submission=submission).count() == 1


def test_only_the_submitting_browser_or_the_status_link_may_pay(version, paypage, client):
    from kreiswerk.submissions.links import status_token

    submission = submit(version)
    assert begin(client, submission).status_code == 404
    assert begin(client, submission, token="falsch").status_code == 404
    assert begin(client, submission, token=status_token(submission.pk)).status_code == 302


def test_without_a_provider_or_a_fee_nothing_is_collected(version, paypage, client, settings):
    from kreiswerk.payments.services import fee_to_collect

    assert fee_to_collect(submit(version)) and not fee_to_collect(submit(version, fee="0.00"))
    settings.KREISWERK_PAYMENT_PROVIDER = ""
    assert not fee_to_collect(submit(version))
    settled = submit(version)
    settled.awaiting_payment_since = None
    settled.save()
    page = begin(owning(client, settled), settled)
    assert page.status_code == 200 and "Keine Zahlung offen" in page.content.decode()


def test_a_provider_that_does_not_answer_gets_a_german_page_not_a_500(version, paypage, client):
    paypage.stop()
    submission = submit(version)
    page = begin(owning(client, submission), submission)
    assert page.status_code == 503 and "nicht erreichbar" in page.content.decode()
    paypage.start()
    assert begin(client, submission).status_code == 302  # the same payment, the same requestId
    assert Payment.objects.filter(submission=submission).count() == 1


def test_an_unreachable_provider_postpones_the_expiry(version, paypage, client, settings):
    submission = submit(version)
    begin(owning(client, submission), submission)
    paypage.stop()
    later = timezone.now() + timedelta(hours=settings.KREISWERK_PAYMENT_EXPIRY_HOURS + 1)
    assert payments_expire(now=later) == 0
    paypage.start()
    assert payments_expire(now=later) == 1


def test_a_booking_without_the_due_amount_is_not_taken(version, paypage, client):
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    paypage.transactions[payment.transaction_id]["paymentRequest"]["grosAmount"] = 1.0
    paypage.settle(payment.transaction_id, "BOOKED")
    for _ in range(3):
        client.get(f"/zahlung/{payment.pk}/zurueck/")
    payment.refresh_from_db()
    assert payment.status == Status.INITIAL
    assert payment.events.filter(detail__startswith="Betrag 1.00 statt 26.00").count() == 1


def test_the_return_page_shows_details_only_to_the_submitting_browser(version, paypage, client):
    from django.test import Client

    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    paypage.settle(payment.transaction_id, "BOOKED")
    stranger = Client().get(f"/zahlung/{payment.pk}/zurueck/").content.decode()
    payment.refresh_from_db()
    assert "Vielen Dank" in stranger and payment.reference not in stranger and submission.reference not in stranger


def test_reloading_the_return_page_asks_the_provider_at_most_six_times_a_minute(
    version, paypage, client, monkeypatch, limit_clock
):
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    asked = []
    fetch = paypage.fetch
    monkeypatch.setattr(paypage, "fetch", lambda *args: asked.append(args) or fetch(*args))
    for _ in range(6):
        assert "noch nicht bestätigt" in client.get(f"/zahlung/{payment.pk}/zurueck/").content.decode()
    paypage.settle(payment.transaction_id, "BOOKED")
    for _ in range(4):  # a reload loop, or someone who knows the address: shown as recorded
        page = client.get(f"/zahlung/{payment.pk}/zurueck/")
        assert page.status_code == 200 and "noch nicht bestätigt" in page.content.decode()
    assert len(asked) == 6
    body = {"transactionId": payment.transaction_id, "status": "BOOKED"}
    assert notify(client, body) == 204  # the provider's own word is still heard
    assert len(asked) == 7
    payment.refresh_from_db()
    assert payment.status == Status.BOOKED
    assert "Ihre Zahlung ist eingegangen" in client.get(f"/zahlung/{payment.pk}/zurueck/").content.decode()
    assert len(asked) == 7  # booked is final: never asked again


def test_a_notification_beyond_the_limit_is_followed_by_a_poll(version, paypage, client, limit_clock):
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    body = {"transactionId": payment.transaction_id, "status": "BOOKED"}
    for _ in range(6):  # someone who learnt the transaction id spends the minute's asks
        notify(client, body)
    paypage.settle(payment.transaction_id, "BOOKED")
    assert notify(client, body) == 204  # the provider's real one: not asked now, but soon after
    payment.refresh_from_db()
    assert payment.status == Status.BOOKED
    assert payment.events.get(status=Status.BOOKED).source == PaymentEvent.Source.POLL


def test_on_the_database_queue_the_poll_waits_a_minute_and_is_queued_once(
    version, paypage, client, limit_clock, database_queue
):
    from django_tasks_db.models import DBTaskResult

    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    for _ in range(9):
        notify(client, {"transactionId": payment.transaction_id})
    polls = DBTaskResult.objects.filter(task_path="kreiswerk.payments.tasks.payment_poll")
    assert polls.count() == 1
    assert polls.get().run_after > timezone.now() + timedelta(seconds=50)


def test_the_return_page_asks_again_in_the_next_minute(version, paypage, client, settings, limit_clock):
    settings.KREISWERK_PAYMENT_ASKS_PER_MINUTE = 1
    submission = submit(version)
    begin(owning(client, submission), submission)
    payment = Payment.objects.get(submission=submission)
    client.get(f"/zahlung/{payment.pk}/zurueck/")
    paypage.settle(payment.transaction_id, "BOOKED")
    assert "noch nicht bestätigt" in client.get(f"/zahlung/{payment.pk}/zurueck/").content.decode()
    limit_clock.now += 60
    assert "Ihre Zahlung ist eingegangen" in client.get(f"/zahlung/{payment.pk}/zurueck/").content.decode()


def test_a_second_payment_at_another_provider_is_kept_for_a_refund(
    version, paypage, client, settings, django_capture_on_commit_callbacks
):
    submission = submit(version)
    first_start = begin(owning(client, submission), submission)
    settings.KREISWERK_PAYMENT_PROVIDER = SecondProvider.key  # switched while the first pay page is open
    second_start = begin(client, submission)
    first = Payment.objects.get(submission=submission, provider="epaybl")
    second = Payment.objects.get(submission=submission, provider=SecondProvider.key)
    with django_capture_on_commit_callbacks(execute=False) as started:
        assert "Ihre Zahlung ist eingegangen" in back(client, on_pay_page(paypage, first_start, "pay")).content.decode()
        page = back(client, on_pay_page(paypage, second_start, "pay")).content.decode()
    assert "Die Gebühr war bereits bezahlt" in page and "erstatten wir Ihnen" in page
    assert len(started) == 1  # the application goes on once
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.BOOKED, Status.DUPLICATE)
    assert second.booked_at is not None and second.reference.startswith("KZ-")
    assert list(booked_on(timezone.localdate())) == [first, second]  # both sums came in
    assert list(second.events.values_list("status", flat=True)) == ["INITIAL", "DUPLICATE"]
