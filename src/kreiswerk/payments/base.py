"""The interface of a payment provider: start, redirect, status, notification, refund.

A provider speaks to one payment service. The product trusts only what ``status`` fetches
from the service itself: never the browser's return, never a notification's content
(a notification only names the transaction to ask about).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from .models import Payment


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    status: str
    reference: str = ""
    pay_url: str = ""
    method: str = ""
    amount: Decimal | None = None
    detail: str = ""


class ProviderError(Exception):
    """The service did not answer usefully; asking again later may help."""


class Provider(ABC):
    key: str

    @abstractmethod
    def configured(self) -> bool:
        """Whether the settings name this provider's service completely."""

    @abstractmethod
    def start(self, *, payment: Payment, return_url: str) -> Transaction:
        """Create the transaction for ``payment`` (idempotent by ``payment.request_id``)."""

    @abstractmethod
    def status(self, *, payment: Payment) -> Transaction:
        """The transaction as the service sees it now."""

    @abstractmethod
    def notification_transaction(self, body: bytes) -> str:
        """The transaction id a notification names, or "" if it names none."""
