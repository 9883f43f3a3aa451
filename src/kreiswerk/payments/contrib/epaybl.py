"""XBezahldienste / ePayBL: OAuth2 client credentials, a payment request per ``requestId``, status by pull.

    POST {base}oauth/token                                      client credentials → bearer token
    POST {base}paymenttransaction/{originator}/{endpoint}       PaymentRequest → PaymentTransaction
    GET  {base}paymenttransaction/{originator}/{endpoint}/{id}  → PaymentTransaction (the truth)

The citizen is sent to ``paymentInformation.transactionRedirectUrl`` and comes back to the
request's ``redirectUrl``. The standard spells the total ``grosAmount``.
"""

from __future__ import annotations

import functools
import threading
import time
from decimal import Decimal, InvalidOperation

import httpx
from django.conf import settings

from ..base import Provider, ProviderError, Transaction
from ..models import Payment, Status
from ..registry import register

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Refresh the token this long before the service says it ends.
TOKEN_MARGIN_SECONDS = 30


@functools.cache
def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False, headers={"User-Agent": "kreiswerk"})


class _Token:
    def __init__(self):
        self.lock = threading.Lock()
        self.value = ""
        self.until = 0.0

    def get(self, *, renew: bool = False) -> str:
        with self.lock:
            if renew or not self.value or time.monotonic() >= self.until:
                self.value, lifetime = _token_fetch()
                self.until = time.monotonic() + max(0, lifetime - TOKEN_MARGIN_SECONDS)
            return self.value


def _token_fetch() -> tuple[str, int]:
    try:
        response = _client().post(
            settings.KREISWERK_EPAYBL_TOKEN_URL or settings.KREISWERK_EPAYBL_URL + "oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(settings.KREISWERK_EPAYBL_CLIENT_ID, settings.KREISWERK_EPAYBL_CLIENT_SECRET),
        )
        response.raise_for_status()
        body = response.json()
        return str(body["access_token"]), int(body.get("expires_in", 300))
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise ProviderError(f"token: {type(exc).__name__}") from exc


_token = _Token()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@register
class EpayblProvider(Provider):
    key = "epaybl"

    def configured(self) -> bool:
        return all(
            (
                settings.KREISWERK_EPAYBL_URL,
                settings.KREISWERK_EPAYBL_CLIENT_ID,
                settings.KREISWERK_EPAYBL_CLIENT_SECRET,
                settings.KREISWERK_EPAYBL_ORIGINATOR_ID,
                settings.KREISWERK_EPAYBL_ENDPOINT_ID,
            )
        )

    def _path(self, *parts: str) -> str:
        originator, endpoint = settings.KREISWERK_EPAYBL_ORIGINATOR_ID, settings.KREISWERK_EPAYBL_ENDPOINT_ID
        return "/".join([settings.KREISWERK_EPAYBL_URL.rstrip("/"), "paymenttransaction", originator, endpoint, *parts])

    def _call(self, method: str, url: str, **kwargs) -> dict:
        try:
            response = _client().request(method, url, headers={"Authorization": f"Bearer {_token.get()}"}, **kwargs)
            if response.status_code == 401:  # the token ended early: once more with a fresh one
                response = _client().request(
                    method, url, headers={"Authorization": f"Bearer {_token.get(renew=True)}"}, **kwargs
                )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"{method} {type(exc).__name__}") from exc

    def start(self, *, payment: Payment, return_url: str) -> Transaction:
        submission = payment.submission
        body = {
            "requestId": str(payment.request_id),
            "requestTimestamp": payment.created_at.isoformat(),
            "currency": payment.currency,
            "grosAmount": float(payment.amount),
            "purpose": f"{submission.reference}"[:27],
            "description": ", ".join(item["description"] for item in payment.line_items)[:250],
            "redirectUrl": return_url,
            "items": [
                {
                    "id": item["id"],
                    "reference": submission.reference,
                    "description": item["description"],
                    "quantity": item.get("quantity", 1),
                    "singleNetAmount": float(_money(item["amount"]) / item.get("quantity", 1)),
                    "totalNetAmount": float(_money(item["amount"])),
                    "taxRate": 0,
                    "bookingData": item.get("booking", {}),
                }
                for item in payment.line_items
            ],
        }
        return self._transaction(self._call("POST", self._path(), json=body))

    def status(self, *, payment: Payment) -> Transaction:
        return self._transaction(self._call("GET", self._path(payment.transaction_id)))

    def notification_transaction(self, body: bytes) -> str:
        import json

        try:
            data = json.loads(body)
        except ValueError:
            return ""
        value = data.get("transactionId") if isinstance(data, dict) else None
        return value if isinstance(value, str) and 0 < len(value) <= 64 else ""

    @staticmethod
    def _transaction(data: dict) -> Transaction:
        try:
            info = data["paymentInformation"]
            status = info["status"]
            if status not in Status.values:
                raise ValueError(status)
            request = data.get("paymentRequest") or {}
            amount = request.get("grosAmount") if isinstance(request, dict) else None
            return Transaction(
                transaction_id=str(info["transactionId"]),
                status=status,
                reference=str(info.get("transactionReference") or ""),
                pay_url=str(info.get("transactionRedirectUrl") or ""),
                method=str(info.get("paymentMethod") or ""),
                amount=_money(amount) if amount is not None else None,
                detail=str(info.get("statusDetail") or "")[:300],
            )
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            raise ProviderError(f"answer: {type(exc).__name__}") from exc
