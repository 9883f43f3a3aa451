"""A test double of the public e-payment service (XBezahldienste / ePayBL): token, transaction, pay page.

It speaks real HTTP, like the payment platform a county is connected to:

- ``POST /oauth/token`` issues bearer tokens (client credentials, 300 s) to the one client it knows;
- ``POST /paymenttransaction/{originatorId}/{endpointId}`` checks a PaymentRequest and opens a
  transaction (``INITIAL``) with a Kassenzeichen; a repeat with the same ``requestId`` is answered
  with the same transaction, one with another amount is refused with 409;
- ``GET /paymenttransaction/{originatorId}/{endpointId}/{transactionId}`` tells its current state;
- ``GET /pay/{transactionId}`` is the page a citizen is sent to; its buttons pay, fail, cancel or
  let the session run out, and all but the last send the citizen back to the ``redirectUrl``
  unchanged. A change of status is announced to ``notify_url`` (when set) in the background.

Run it by hand with ``python -m devtools.paypage``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import html
import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, unquote, unquote_plus, urlsplit

import httpx

from devtools.service import LocalService, send

TOKEN_LIFETIME_SECONDS = 300
NOTIFY_TIMEOUT_SECONDS = 5
MAX_BODY_BYTES = 1024 * 1024
CENT = Decimal("0.01")

METHODS = {"CREDITCARD": "Kreditkarte", "PAYPAL": "PayPal", "GIROPAY": "Wero (giropay-Nachfolger)"}
# XBezahldienste has no enum value for Wero yet; GIROPAY stands in for it.
SETTLED = {"BOOKED": "bezahlt", "FAILED": "gescheitert", "CANCELED": "abgebrochen"}
STATUSES = {"INITIAL", *SETTLED}
ACTIONS = {"pay": "BOOKED", "fail": "FAILED", "cancel": "CANCELED"}
STATUS_DETAILS = {"FAILED": "Zahlung abgelehnt"}

REQUEST_FIELDS = {
    "requestId",
    "requestTimestamp",
    "currency",
    "grosAmount",
    "purpose",
    "description",
    "redirectUrl",
    "items",
}
ITEM_FIELDS = {
    "id": str,
    "reference": str,
    "description": str,
    "quantity": int,
    "singleNetAmount": Decimal,
    "totalNetAmount": Decimal,
    "taxRate": Decimal,
    "bookingData": dict,
}


class Refused(Exception):
    def __init__(self, status: int, error: str, detail: str = "", headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers or {}

    def payload(self) -> dict:
        return {"error": self.error, "detail": self.detail} if self.detail else {"error": self.error}


def invalid(detail: str) -> Refused:
    return Refused(400, "invalid_request", detail)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount_parse(value: object, name: str, *, positive: bool = False) -> Decimal:
    """A JSON number with at most two decimals (and above zero when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{name} muss eine Zahl sein")
    amount = Decimal(str(value))
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise invalid(f"{name} darf höchstens zwei Nachkommastellen haben")
    if positive and amount <= 0:
        raise invalid(f"{name} muss größer als 0 sein")
    return amount


def euro(value: object) -> str:
    """German style: ``1.234,50 €``."""
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " €"


def request_validate(body: bytes) -> dict:
    """The PaymentRequest, parsed and checked; :class:`Refused` (400) says what is wrong."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise invalid("Kein gültiges JSON") from None
    if not isinstance(request, dict):
        raise invalid("Der PaymentRequest muss ein JSON-Objekt sein")
    unknown = sorted(set(request) - REQUEST_FIELDS)
    if unknown:
        raise invalid(f"Unbekanntes Feld: {unknown[0]}")
    for name in ("requestId", "currency", "grosAmount", "purpose", "redirectUrl"):
        if name not in request:
            raise invalid(f"{name} fehlt")
    for name in ("requestId", "requestTimestamp", "currency", "purpose", "description", "redirectUrl"):
        if name in request and not isinstance(request[name], str):
            raise invalid(f"{name} muss eine Zeichenkette sein")
    if not 1 <= len(request["requestId"]) <= 64:
        raise invalid("requestId muss 1 bis 64 Zeichen lang sein")
    if request["currency"] != "EUR":
        raise invalid("currency muss EUR sein")
    total = amount_parse(request["grosAmount"], "grosAmount", positive=True)
    if not request["purpose"].strip():
        raise invalid("purpose ist leer")
    target = urlsplit(request["redirectUrl"])
    if target.scheme not in ("http", "https") or not target.netloc:
        raise invalid("redirectUrl muss eine http- oder https-URL sein")
    items = request.get("items", [])
    if not isinstance(items, list):
        raise invalid("items muss eine Liste sein")
    if items:  # an empty list counts as none given
        net = Decimal(0)
        for index, item in enumerate(items):
            where = f"items[{index}]"
            if not isinstance(item, dict):
                raise invalid(f"{where} muss ein JSON-Objekt sein")
            unknown = sorted(set(item) - set(ITEM_FIELDS))
            if unknown:
                raise invalid(f"Unbekanntes Feld: {where}.{unknown[0]}")
            if "totalNetAmount" not in item:
                raise invalid(f"{where}.totalNetAmount fehlt")
            for name, kind in ITEM_FIELDS.items():
                if name not in item:
                    continue
                value, label = item[name], f"{where}.{name}"
                if name == "totalNetAmount":
                    net += amount_parse(value, label)
                elif kind is Decimal:
                    # A unit price or rate may have more decimals (10,00 € for three); only the total counts.
                    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                        raise invalid(f"{label} muss eine Zahl ab 0 sein")
                elif kind is int:
                    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                        raise invalid(f"{label} muss eine ganze Zahl ab 1 sein")
                elif kind is dict:
                    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
                        raise invalid(f"{label} muss ein Objekt mit Zeichenketten als Werten sein")
                elif not isinstance(value, str):
                    raise invalid(f"{label} muss eine Zeichenkette sein")
        if net != total:
            raise invalid(f"Die Summe der totalNetAmount ({net}) weicht von grosAmount ({total}) ab")
    return request


# --- pages ---------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; background: #fff; }
.hinweis { border-left: 0.3rem solid #8a5a00; background: #fff4e0; padding: 0.5rem 1rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
caption { text-align: left; font-weight: bold; }
th, td { border-bottom: 1px solid #767676; padding: 0.25rem 0.5rem; text-align: left; }
td.betrag, th.betrag { text-align: right; }
fieldset { margin: 1rem 0; }
button { font: inherit; margin: 0.25rem 0.5rem 0.25rem 0; padding: 0.4rem 0.8rem; }
:focus-visible { outline: 3px solid #0050a0; outline-offset: 2px; }
"""


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request, no 404 in the browser's console
        f"<title>{html.escape(title)} – Testzahlstelle</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


NOTE = (
    '<p class="hinweis"><strong>Testumgebung:</strong> Dies ist eine Testzahlstelle, die den Bezahldienst '
    "nur nachahmt. Es wird kein Geld bewegt.</p>"
)


def pay_page(transaction: dict) -> str:
    request, info = transaction["paymentRequest"], transaction["paymentInformation"]
    esc = html.escape
    parts = [
        "<h1>Bezahlen (Testzahlstelle)</h1>",
        NOTE,
        "<dl>",
        f"<dt>Verwendungszweck</dt><dd>{esc(request['purpose'])}</dd>",
    ]
    if request.get("description"):
        parts.append(f"<dt>Beschreibung</dt><dd>{esc(request['description'])}</dd>")
    parts += [
        f"<dt>Kassenzeichen</dt><dd>{esc(info['transactionReference'])}</dd>",
        f"<dt>Betrag</dt><dd>{esc(euro(request['grosAmount']))}</dd>",
        "</dl>",
    ]
    if request.get("items"):
        parts.append(
            "<table>\n<caption>Positionen</caption>\n<thead><tr>"
            '<th scope="col">Bezeichnung</th><th scope="col">Menge</th>'
            '<th scope="col" class="betrag">Einzelbetrag</th><th scope="col" class="betrag">Gesamtbetrag</th>'
            "</tr></thead>\n<tbody>"
        )
        for item in request["items"]:
            name = item.get("description") or item.get("reference") or item.get("id") or "Position"
            single = euro(item["singleNetAmount"]) if "singleNetAmount" in item else ""
            parts.append(
                f"<tr><td>{esc(name)}</td><td>{esc(str(item.get('quantity', 1)))}</td>"
                f'<td class="betrag">{esc(single)}</td><td class="betrag">{esc(euro(item["totalNetAmount"]))}</td></tr>'
            )
        parts.append("</tbody>\n</table>")
    if info["status"] in SETTLED:
        parts.append(
            f"<p>Diese Zahlung ist bereits abgeschlossen: {SETTLED[info['status']]}.</p>"
            f'<p><a href="{esc(request["redirectUrl"])}">Zurück zum Antrag</a></p>'
        )
        return page("Zahlung abgeschlossen", "\n".join(parts))
    action = esc(f"/pay/{info['transactionId']}")
    parts.append(f'<form method="post" action="{action}">\n<fieldset>\n<legend>Zahlungsart</legend>')
    for value, label in METHODS.items():
        checked = " checked" if value == "CREDITCARD" else ""
        parts.append(
            f'<div><input type="radio" id="method-{value.lower()}" name="method" value="{value}"{checked}>'
            f' <label for="method-{value.lower()}">{esc(label)}</label></div>'
        )
    parts += [
        "</fieldset>",
        '<button type="submit" name="action" value="pay">Bezahlen</button>',
        '<button type="submit" name="action" value="fail">Zahlung scheitern lassen</button>',
        '<button type="submit" name="action" value="cancel">Abbrechen</button>',
        '<button type="submit" name="action" value="timeout">Zeit ablaufen lassen</button>',
        "</form>",
    ]
    return page("Bezahlen", "\n".join(parts))


def message_page(title: str, text: str, link: tuple[str, str] | None = None) -> str:
    body = f"<h1>{html.escape(title)}</h1>\n{NOTE}\n<p>{html.escape(text)}</p>"
    if link:
        body += f'\n<p><a href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>'
    return page(title, body)


# --- the service ---------------------------------------------------------------------------


class PayPage(LocalService):
    """The payment platform; ``start()`` serves it on a port of 127.0.0.1, ``stop()`` takes it away."""

    def __init__(self, client_id: str, client_secret: str, notify_url: str = ""):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.notify_url = notify_url
        self.transactions: dict[str, dict] = {}
        self.tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self._owners: dict[str, tuple[str, str]] = {}  # transactionId -> (originatorId, endpointId)
        self._by_request: dict[tuple[str, str, str], str] = {}  # (originator, endpoint, requestId) -> id
        self._counter = 0

    # --- serving ---------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            # The body stays unread, so the connection ends; saying so keeps the client from reusing it.
            self._json(handler, 413, {"error": "invalid_request", "detail": "Zu groß"}, {"Connection": "close"})
            return
        body = handler.rfile.read(length)
        parts = [unquote(part) for part in urlsplit(handler.path).path.split("/")[1:]]
        try:
            if parts == ["oauth", "token"] and method == "POST":
                self._json(handler, 200, self.token(body, handler.headers), {"Pragma": "no-cache"})
            elif len(parts) == 3 and parts[0] == "paymenttransaction" and all(parts) and method == "POST":
                self._bearer(handler.headers)
                self._json(handler, 200, self.create(parts[1], parts[2], body))
            elif len(parts) == 4 and parts[0] == "paymenttransaction" and method == "GET":
                self._bearer(handler.headers)
                self._json(handler, 200, self.fetch(parts[1], parts[2], parts[3]))
            elif len(parts) == 2 and parts[0] == "pay" and method == "GET":
                self._pay_get(handler, parts[1])
            elif len(parts) == 2 and parts[0] == "pay" and method == "POST":
                self._pay_post(handler, parts[1], body)
            else:
                raise Refused(404, "not_found")
        except Refused as exc:
            self._json(handler, exc.status, exc.payload(), exc.headers)

    def _json(self, handler, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        send(handler, status, json.dumps(payload).encode(), "application/json", headers)

    def _html(self, handler, status: int, text: str) -> None:
        send(handler, status, text.encode(), "text/html; charset=utf-8")

    def _redirect(self, handler, location: str) -> None:
        send(handler, 303, b"", "text/plain; charset=utf-8", {"Location": location})

    # --- token -----------------------------------------------------------------------------

    def token(self, body: bytes, headers) -> dict:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        given_id = given_secret = None
        authorization = headers.get("Authorization") or ""
        if authorization[:6].lower() == "basic ":
            try:
                pair = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            if ":" in pair:
                # RFC 6749 2.3.1: both halves are form-urlencoded before Basic encoding.
                given_id, given_secret = (unquote_plus(half) for half in pair.split(":", 1))
        else:
            given_id = (form.get("client_id") or [None])[0]
            given_secret = (form.get("client_secret") or [None])[0]
        if (
            given_id is None
            or given_secret is None
            or not secrets.compare_digest(given_id.encode(), self.client_id.encode())
            or not secrets.compare_digest(given_secret.encode(), self.client_secret.encode())
        ):
            raise Refused(401, "invalid_client", headers={"WWW-Authenticate": 'Basic realm="paypage"'})
        if (form.get("grant_type") or [""])[0] != "client_credentials":
            raise Refused(400, "unsupported_grant_type")
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self.tokens = {known: until for known, until in self.tokens.items() if until > now}
            self.tokens[token] = now + TOKEN_LIFETIME_SECONDS
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS}

    def _bearer(self, headers) -> None:
        authorization = headers.get("Authorization") or ""
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        with self._lock:
            valid = bool(token) and self.tokens.get(token, 0) > time.time()
        if not valid:
            raise Refused(401, "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # --- transactions ----------------------------------------------------------------------

    def create(self, originator: str, endpoint: str, body: bytes) -> dict:
        request = request_validate(body)
        key = (originator, endpoint, request["requestId"])
        with self._lock:
            known = self._by_request.get(key)
            if known is not None:
                transaction = self.transactions[known]
                sent = Decimal(str(transaction["paymentRequest"]["grosAmount"]))
                if sent != Decimal(str(request["grosAmount"])):
                    raise Refused(409, "conflict")
                return copy.deepcopy(transaction)
            self._counter += 1
            transaction_id = str(uuid.uuid4())
            stamp = now_iso()
            transaction = {
                "paymentRequest": request,
                "paymentInformation": {
                    "transactionId": transaction_id,
                    "transactionReference": f"KZ-{stamp[:4]}-{self._counter:06d}",
                    "transactionUrl": (
                        f"{self.url}/paymenttransaction/{quote(originator, safe='')}/{quote(endpoint, safe='')}"
                        f"/{transaction_id}"
                    ),
                    "transactionRedirectUrl": f"{self.url}/pay/{transaction_id}",
                    "transactionTimestamp": stamp,
                    "status": "INITIAL",
                },
            }
            self.transactions[transaction_id] = transaction
            self._owners[transaction_id] = (originator, endpoint)
            self._by_request[key] = transaction_id
            return copy.deepcopy(transaction)

    def fetch(self, originator: str, endpoint: str, transaction_id: str) -> dict:
        with self._lock:
            if self._owners.get(transaction_id) != (originator, endpoint):
                raise Refused(404, "not_found")
            return copy.deepcopy(self.transactions[transaction_id])

    def _change(self, transaction_id: str, status: str, method: str) -> None:
        """Set the status, the time and what goes with them; the caller holds the lock."""
        info = self.transactions[transaction_id]["paymentInformation"]
        info["status"] = status
        info["transactionTimestamp"] = now_iso()
        info.pop("paymentMethod", None)
        info.pop("statusDetail", None)
        if status == "BOOKED":
            info["paymentMethod"] = method
        if status in STATUS_DETAILS:
            info["statusDetail"] = STATUS_DETAILS[status]

    def _pay_get(self, handler, transaction_id: str) -> None:
        with self._lock:
            transaction = copy.deepcopy(self.transactions.get(transaction_id))
        if transaction is None:
            self._html(handler, 404, message_page("Zahlung nicht gefunden", "Diese Zahlung ist nicht bekannt."))
            return
        self._html(handler, 200, pay_page(transaction))

    def _pay_post(self, handler, transaction_id: str, body: bytes) -> None:
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("action") or [""])[0]
        method = (form.get("method") or ["CREDITCARD"])[0]
        with self._lock:
            transaction = self.transactions.get(transaction_id)
            redirect = transaction["paymentRequest"]["redirectUrl"] if transaction else ""
            if transaction is None:
                changed = "unknown"
            elif transaction["paymentInformation"]["status"] in SETTLED:
                changed = None  # nothing changes; back to the product
            elif action == "timeout":
                changed = "timeout"
            elif action not in ACTIONS or method not in METHODS:
                changed = "invalid"
            else:
                changed = ACTIONS[action]
                self._change(transaction_id, changed, method)
        if changed == "unknown":
            self._html(handler, 404, message_page("Zahlung nicht gefunden", "Diese Zahlung ist nicht bekannt."))
            return
        if changed == "timeout":
            text = "Die Sitzung ist abgelaufen."
            self._html(handler, 200, message_page("Sitzung abgelaufen", text, (f"/pay/{transaction_id}", "Neu laden")))
            return
        if changed == "invalid":
            text = "Bitte eine der Schaltflächen und eine Zahlungsart wählen."
            self._html(handler, 400, message_page("Ungültige Eingabe", text, (f"/pay/{transaction_id}", "Zurück")))
            return
        if changed is not None and self.notify_url:
            threading.Thread(target=self._notify_quietly, args=(transaction_id, changed), daemon=True).start()
        self._redirect(handler, redirect)

    # --- notification ----------------------------------------------------------------------

    def _post_notification(self, transaction_id: str, status: str) -> int:
        answer = httpx.post(
            self.notify_url,
            json={"transactionId": transaction_id, "status": status},
            timeout=NOTIFY_TIMEOUT_SECONDS,
        )
        return answer.status_code

    def _notify_quietly(self, transaction_id: str, status: str) -> None:
        # No retry: a product that missed it has to ask (GET) itself.
        with contextlib.suppress(Exception):
            self._post_notification(transaction_id, status)

    # --- test hooks ------------------------------------------------------------------------

    def settle(self, transaction_id: str, status: str, method: str = "CREDITCARD") -> dict:
        """Set the status as the pay page would, without a notification; also over a settled one."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if method not in METHODS:
            raise ValueError(f"unknown payment method {method!r}")
        with self._lock:
            if transaction_id not in self.transactions:
                raise KeyError(transaction_id)
            self._change(transaction_id, status, method)
            return copy.deepcopy(self.transactions[transaction_id])

    def notify(self, transaction_id: str) -> int:
        """Send the notification of the current status now; the HTTP status the product answered."""
        if not self.notify_url:
            raise RuntimeError("no notify_url set")
        with self._lock:
            status = self.transactions[transaction_id]["paymentInformation"]["status"]
        return self._post_notification(transaction_id, status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--client-id", default="kreiswerk")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--notify-url", default="", help="where status changes are POSTed as JSON")
    options = parser.parse_args()
    paypage = PayPage(options.client_id, options.client_secret, options.notify_url)
    paypage.port = options.port
    paypage.start()
    print(  # noqa: T201
        f"paying on {paypage.url} (token: {paypage.url}/oauth/token, "
        f"transactions: {paypage.url}/paymenttransaction/<originatorId>/<endpointId>); Ctrl-C ends",
        flush=True,
    )
    shown: dict[str, str] = {}
    try:
        while True:
            time.sleep(2)
            with paypage._lock:
                states = {key: item["paymentInformation"]["status"] for key, item in paypage.transactions.items()}
            for key, status in states.items():
                if shown.get(key) != status:
                    shown[key] = status
                    print(f"{key}: {status}", flush=True)  # noqa: T201
    except KeyboardInterrupt:
        paypage.stop()


if __name__ == "__main__":
    main()
