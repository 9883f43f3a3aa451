"""The interface every hand-off channel implements (FIT-Connect, webhook, e-mail).

A channel delivers one package to one destination. It answers with an ``Outcome``
or raises ``Unreachable`` (worth another attempt: network down, 5xx, 429) or
``Refused`` (the destination said no for good: a 4xx, a broken configuration).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from .models import Delivery, Destination
from .package import Package


@dataclass(frozen=True)
class Outcome:
    # True when the destination itself confirmed that it took the submission.
    confirmed: bool
    http_status: int | None = None
    detail: str = ""


class DeliveryProblem(Exception):
    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class Unreachable(DeliveryProblem):
    """Try again later."""


class Refused(DeliveryProblem):
    """Trying again will not help; a person has to look."""


class Channel(ABC):
    kind: str

    @abstractmethod
    def clean(self, destination: Destination) -> dict[str, str]:
        """Errors of the destination's settings for this channel, by field name (German)."""

    @abstractmethod
    def deliver(self, *, delivery: Delivery, package: Package) -> Outcome:
        """Hand the package over; idempotent for the same ``delivery.id``."""
