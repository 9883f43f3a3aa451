"""Bearer tokens and scopes: who calls, and in which units it may do what it asks."""

from __future__ import annotations

from ninja.security import HttpBearer

from .models import ApiClient
from .services import api_client_acting_as, api_client_authenticate


class ScopeMissing(Exception):
    """The client holds the scope an operation needs in no unit at all."""

    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope


class BearerToken(HttpBearer):
    openapi_description = "Token eines API-Zugangs: `Authorization: Bearer kw1.<prefix>.<secret>`"

    def authenticate(self, request, token: str) -> ApiClient | None:
        return api_client_authenticate(token)


def acting(request, scope: str):
    """The caller's account with the units of ``scope``; a 403 when it holds the scope nowhere.

    A client that holds the scope, but not in the unit of the object asked for, gets a
    404 from the visibility check instead: the object's existence is not revealed.
    """
    user = api_client_acting_as(request.auth, scope)
    if user is None:
        raise ScopeMissing(scope)
    return user
