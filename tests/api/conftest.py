"""API clients with grants, and a test client that sends their token."""

import pytest
from django.test import Client

from kreiswerk.api import services
from kreiswerk.tenancy.models import OrganisationalUnit
from tests.cases.conftest import assistant_version, case_type_version, open_case  # noqa: F401


def api_client_with(mandant, slug: str, grants: list[tuple[str, str]]):
    """A client holding ``(unit code, scope)`` grants, and a fresh token of it."""
    client = services.api_client_create(mandant=mandant, slug=slug, name=f"Fachverfahren {slug}")
    for code, scope in grants:
        services.api_grant_add(client=client, unit=OrganisationalUnit.objects.get(code=code), scope=scope)
    return client, services.api_token_issue(client=client)


def http(token: str | None = None, language: str = "de") -> Client:
    headers = {"Accept-Language": language}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client(headers=headers)


@pytest.fixture
def fachverfahren(mandant, unit):
    """A Fachverfahren that reads and writes the cases of Sachgebiet Gewerbe and reads its submissions."""
    return api_client_with(
        mandant, "gewerbe-fv", [("gewerbe", "cases:read"), ("gewerbe", "cases:write"), ("gewerbe", "submissions:read")]
    )


@pytest.fixture
def api(fachverfahren) -> Client:
    return http(fachverfahren[1])
