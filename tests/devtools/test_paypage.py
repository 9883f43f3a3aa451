"""The payment test double over real HTTP: tokens, transactions, the pay page and notifications."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from devtools.paypage import PayPage

CLIENT_ID, SECRET = "kreiswerk", "geheim-2026"
BASE = "/paymenttransaction/kreis-mk/gebuehren"
RETURN = "https://kreiswerk.example/zahlung/zurueck/abc123"


def payment_request(**changes) -> dict:
    request = {
        "requestId": "antrag-0001",
        "requestTimestamp": "2026-03-01T10:00:00Z",
        "currency": "EUR",
        "grosAmount": 26.00,
        "purpose": "Gewerbeanmeldung MK-2026-0001",
        "description": "Gebühr für die Gewerbeanmeldung",
        "redirectUrl": RETURN,
        "items": [
            {
                "id": "1",
                "reference": "GEB-GEW-01",
                "description": "Gebühr Gewerbeanmeldung",
                "quantity": 1,
                "singleNetAmount": 20.00,
                "totalNetAmount": 20.00,
                "taxRate": 0,
                "bookingData": {"haushaltsstelle": "1.1.2.01"},
            },
            {"id": "2", "description": "Auslagen", "quantity": 2, "singleNetAmount": 3.00, "totalNetAmount": 6.00},
        ],
    }
    request.update(changes)
    return request


@pytest.fixture
def paypage():
    service = PayPage(CLIENT_ID, SECRET).start()
    yield service
    service.stop()


@pytest.fixture
def http(paypage):
    with httpx.Client(base_url=paypage.url, timeout=5) as client:
        yield client


@pytest.fixture
def bearer(http) -> dict:
    answer = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET))
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def created(http, bearer) -> dict:
    answer = http.post(BASE, json=payment_request(), headers=bearer)
    assert answer.status_code == 200, answer.text
    return answer.json()


class Notifications:
    """A tiny product endpoint that records the JSON it is sent."""

    def __init__(self, answer_status: int = 204):
        self.received: list[dict] = []
        self.arrived = threading.Event()
        notifications = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                notifications.received.append(json.loads(body))
                self.send_response(answer_status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                notifications.arrived.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/zahlung/benachrichtigung"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notifications():
    receiver = Notifications()
    yield receiver
    receiver.close()


# --- token ---------------------------------------------------------------------------------


def test_token_with_basic_or_form_credentials(http):
    basic = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET))
    form = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET},
    )
    for answer in (basic, form):
        assert answer.status_code == 200
        body = answer.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 300
        assert body["access_token"]
    assert basic.json()["access_token"] != form.json()["access_token"]


def test_token_refused(http):
    wrong = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "falsch"))
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client"}
    missing = http.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 401
    assert missing.json() == {"error": "invalid_client"}
    grant = http.post("/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, SECRET))
    assert grant.status_code == 400
    assert grant.json() == {"error": "unsupported_grant_type"}


def test_bearer_required(paypage, http, bearer):
    for headers in ({}, {"Authorization": "Bearer unbekannt"}, {"Authorization": "Basic eDp5"}):
        answer = http.post(BASE, json=payment_request(), headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "invalid_token"}
    assert http.get(f"{BASE}/irgendwas").status_code == 401
    token = bearer["Authorization"].split()[1]
    paypage.tokens[token] = 0  # expired
    assert http.post(BASE, json=payment_request(), headers=bearer).status_code == 401
    assert paypage.transactions == {}


# --- transactions --------------------------------------------------------------------------


def test_create_transaction(paypage, created):
    info = created["paymentInformation"]
    assert created["paymentRequest"] == payment_request()
    assert info["status"] == "INITIAL"
    assert info["transactionReference"].startswith("KZ-20")
    assert info["transactionReference"].endswith("-000001")
    assert info["transactionUrl"] == f"{paypage.url}{BASE}/{info['transactionId']}"
    assert info["transactionRedirectUrl"] == f"{paypage.url}/pay/{info['transactionId']}"
    assert info["transactionTimestamp"].endswith("Z")
    assert paypage.transactions[info["transactionId"]] == created


def test_repeat_is_idempotent_and_other_amount_conflicts(paypage, http, bearer, created):
    again = http.post(BASE, json=payment_request(), headers=bearer)
    assert again.status_code == 200
    assert again.json()["paymentInformation"] == created["paymentInformation"]
    conflict = http.post(BASE, json=payment_request(grosAmount=27.00, items=[]), headers=bearer)
    assert conflict.status_code == 409
    assert conflict.json() == {"error": "conflict"}
    # Another endpoint is another namespace for requestIds.
    other = http.post("/paymenttransaction/kreis-mk/anderes", json=payment_request(), headers=bearer)
    assert other.status_code == 200
    assert other.json()["paymentInformation"]["transactionId"] != created["paymentInformation"]["transactionId"]
    assert other.json()["paymentInformation"]["transactionReference"].endswith("-000002")
    assert len(paypage.transactions) == 2


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"grosAmount": 25.00}, "totalNetAmount"),
        ({"grosAmount": 0, "items": []}, "grosAmount"),
        ({"grosAmount": 26.001, "items": []}, "grosAmount"),
        ({"grosAmount": "26.00", "items": []}, "grosAmount"),
        ({"currency": "USD"}, "currency"),
        ({"requestId": ""}, "requestId"),
        ({"requestId": "x" * 65}, "requestId"),
        ({"redirectUrl": "javascript:alert(1)"}, "redirectUrl"),
        ({"purpose": None}, "purpose"),
        ({"grossAmount": 26.00}, "grossAmount"),
        ({"items": [{"id": "1", "totalNetAmount": 26.00, "quantity": 1.5}]}, "quantity"),
    ],
)
def test_invalid_request(paypage, http, bearer, changes, detail):
    answer = http.post(BASE, json=payment_request(**changes), headers=bearer)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert detail in answer.json()["detail"]
    assert paypage.transactions == {}


def test_unit_price_may_have_more_decimals(http, bearer):
    item = {"id": "1", "quantity": 3, "singleNetAmount": 10 / 3, "totalNetAmount": 10.00}
    answer = http.post(BASE, json=payment_request(grosAmount=10.00, items=[item]), headers=bearer)
    assert answer.status_code == 200, answer.text


def test_missing_fields_and_broken_json(http, bearer):
    request = payment_request()
    del request["redirectUrl"]
    answer = http.post(BASE, json=request, headers=bearer)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "detail": "redirectUrl fehlt"}
    broken = http.post(BASE, content=b"{kein json", headers={**bearer, "Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["error"] == "invalid_request"


def test_get_status(paypage, http, bearer, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    answer = http.get(f"{BASE}/{transaction_id}", headers=bearer)
    assert answer.status_code == 200
    assert answer.json() == created
    paypage.settle(transaction_id, "BOOKED", "PAYPAL")
    info = http.get(f"{BASE}/{transaction_id}", headers=bearer).json()["paymentInformation"]
    assert (info["status"], info["paymentMethod"]) == ("BOOKED", "PAYPAL")
    for path in (f"{BASE}/unbekannt", f"/paymenttransaction/kreis-mk/anderes/{transaction_id}"):
        missing = http.get(path, headers=bearer)
        assert missing.status_code == 404
        assert missing.json() == {"error": "not_found"}


# --- pay page ------------------------------------------------------------------------------


def test_pay_page(http, created):
    answer = http.get(f"/pay/{created['paymentInformation']['transactionId']}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.text
    assert '<html lang="de">' in page
    assert "<title>" in page
    assert "<h1>Bezahlen (Testzahlstelle)</h1>" in page
    assert "Testzahlstelle, die den Bezahldienst" in page
    assert "Gewerbeanmeldung MK-2026-0001" in page
    assert "26,00 €" in page
    assert "<caption>Positionen</caption>" in page
    assert "Gebühr Gewerbeanmeldung" in page
    assert "<legend>Zahlungsart</legend>" in page
    for value, label in (("CREDITCARD", "Kreditkarte"), ("PAYPAL", "PayPal"), ("GIROPAY", "Wero")):
        assert f'value="{value}"' in page
        assert label in page
    for value, label in (
        ("pay", "Bezahlen"),
        ("fail", "Zahlung scheitern lassen"),
        ("cancel", "Abbrechen"),
        ("timeout", "Zeit ablaufen lassen"),
    ):
        assert f'<button type="submit" name="action" value="{value}">{label}</button>' in page
    assert page.count("<form") == 1
    assert f'action="/pay/{created["paymentInformation"]["transactionId"]}"' in page


def test_pay_page_escapes_and_formats_large_amounts(http, bearer):
    request = payment_request(grosAmount=1234.5, items=[], purpose="<script>alert(1)</script>")
    created = http.post(BASE, json=request, headers=bearer).json()
    page = http.get(f"/pay/{created['paymentInformation']['transactionId']}").text
    assert "1.234,50 €" in page
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_pay_page_unknown(http):
    answer = http.get("/pay/unbekannt")
    assert answer.status_code == 404
    assert '<html lang="de">' in answer.text
    assert http.post("/pay/unbekannt", data={"action": "pay"}).status_code == 404


def test_pay_books_and_redirects_unchanged(paypage, http, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    answer = http.post(f"/pay/{transaction_id}", data={"action": "pay", "method": "GIROPAY"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == RETURN
    info = paypage.transactions[transaction_id]["paymentInformation"]
    assert (info["status"], info["paymentMethod"]) == ("BOOKED", "GIROPAY")
    assert info["transactionTimestamp"] >= created["paymentInformation"]["transactionTimestamp"]


def test_pay_default_method(paypage, http, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    assert http.post(f"/pay/{transaction_id}", data={"action": "pay"}).status_code == 303
    assert paypage.transactions[transaction_id]["paymentInformation"]["paymentMethod"] == "CREDITCARD"


@pytest.mark.parametrize(("action", "status"), [("fail", "FAILED"), ("cancel", "CANCELED")])
def test_fail_and_cancel_redirect(paypage, http, created, action, status):
    transaction_id = created["paymentInformation"]["transactionId"]
    answer = http.post(f"/pay/{transaction_id}", data={"action": action, "method": "PAYPAL"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == RETURN
    info = paypage.transactions[transaction_id]["paymentInformation"]
    assert info["status"] == status
    assert "paymentMethod" not in info
    if status == "FAILED":
        assert info["statusDetail"] == "Zahlung abgelehnt"


def test_timeout_stays_initial_without_redirect(paypage, http, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    answer = http.post(f"/pay/{transaction_id}", data={"action": "timeout"})
    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert "Die Sitzung ist abgelaufen." in answer.text
    assert paypage.transactions[transaction_id]["paymentInformation"]["status"] == "INITIAL"
    # The citizen may still pay afterwards.
    assert http.post(f"/pay/{transaction_id}", data={"action": "pay"}).status_code == 303


def test_settled_transaction_stays_settled(paypage, http, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    http.post(f"/pay/{transaction_id}", data={"action": "pay"})
    before = dict(paypage.transactions[transaction_id]["paymentInformation"])
    again = http.post(f"/pay/{transaction_id}", data={"action": "cancel"})
    assert again.status_code == 303
    assert again.headers["Location"] == RETURN
    assert paypage.transactions[transaction_id]["paymentInformation"] == before
    page = http.get(f"/pay/{transaction_id}").text
    assert "bereits abgeschlossen" in page
    assert f'href="{RETURN}"' in page
    assert "<form" not in page


def test_invalid_form_input(paypage, http, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    assert http.post(f"/pay/{transaction_id}", data={"action": "pay", "method": "BITCOIN"}).status_code == 400
    assert http.post(f"/pay/{transaction_id}", data={}).status_code == 400
    assert paypage.transactions[transaction_id]["paymentInformation"]["status"] == "INITIAL"


# --- notifications and hooks ---------------------------------------------------------------


def test_notification_after_payment(paypage, http, created, notifications):
    paypage.notify_url = notifications.url
    transaction_id = created["paymentInformation"]["transactionId"]
    http.post(f"/pay/{transaction_id}", data={"action": "pay"})
    assert notifications.arrived.wait(5)
    assert notifications.received == [{"transactionId": transaction_id, "status": "BOOKED"}]


def test_no_notification_without_change(paypage, http, created, notifications):
    paypage.notify_url = notifications.url
    transaction_id = created["paymentInformation"]["transactionId"]
    http.post(f"/pay/{transaction_id}", data={"action": "timeout"})
    paypage.settle(transaction_id, "CANCELED")
    http.post(f"/pay/{transaction_id}", data={"action": "pay"})  # settled: nothing changes
    assert not notifications.arrived.wait(0.5)
    assert paypage.notify(transaction_id) == 204  # the replay, synchronous
    assert notifications.received == [{"transactionId": transaction_id, "status": "CANCELED"}]


def test_notification_errors_are_ignored(paypage, http, created):
    paypage.notify_url = "http://127.0.0.1:9/nirgends"
    transaction_id = created["paymentInformation"]["transactionId"]
    assert http.post(f"/pay/{transaction_id}", data={"action": "fail"}).status_code == 303
    assert paypage.transactions[transaction_id]["paymentInformation"]["status"] == "FAILED"


def test_settle_hook(paypage, created):
    transaction_id = created["paymentInformation"]["transactionId"]
    settled = paypage.settle(transaction_id, "FAILED")
    assert settled["paymentInformation"]["statusDetail"] == "Zahlung abgelehnt"
    with pytest.raises(ValueError):
        paypage.settle(transaction_id, "PAYED")
    with pytest.raises(KeyError):
        paypage.settle("unbekannt", "BOOKED")


def test_restart_on_same_port_keeps_state(paypage, created):
    port = paypage.port
    paypage.stop()
    paypage.start()
    assert paypage.port == port
    with httpx.Client(base_url=paypage.url, timeout=5) as client:
        answer = client.get(f"/pay/{created['paymentInformation']['transactionId']}")
    assert answer.status_code == 200
    assert paypage.requests >= 3
