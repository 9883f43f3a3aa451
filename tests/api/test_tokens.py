"""A Fachverfahren authenticates with a bearer token that is stored only as a hash and can be rotated."""

import datetime

import pytest
from django.core.management import call_command

from kreiswerk.api import services
from kreiswerk.api.models import ApiClient, ApiToken
from kreiswerk.audit.models import AuditEntry
from tests.api.conftest import api_client_with, http

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"


def test_it_keeps_only_a_hash_of_the_secret(fachverfahren):
    client, token = fachverfahren
    _version, prefix, secret = token.split(".")
    stored = ApiToken.objects.get(client=client)
    assert stored.prefix == prefix
    assert secret not in stored.digest and len(stored.digest) == 64
    assert not client.user.has_usable_password()
    assert http(token).get(CASES).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer kw1.abc", "Bearer kw1.000000000000.wrong", "Basic dXNlcjpwYXNz", "Bearer kw2.a.b"],
)
def test_it_refuses_a_request_without_a_valid_token_in_both_languages(fachverfahren, header):
    response = http(language="en").get(CASES, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["code"] == "unauthenticated"
    assert body["detail"] == body["messages"]["en"] != body["messages"]["de"]
    assert "Token" in body["messages"]["de"]


def test_a_tampered_secret_with_a_real_prefix_is_refused(fachverfahren):
    _client, token = fachverfahren
    assert http(token[:-2] + ("AA" if not token.endswith("AA") else "BB")).get(CASES).status_code == 401


def test_rotation_keeps_the_old_token_for_the_grace_period_only(fachverfahren):
    client, old = fachverfahren
    new = services.api_token_issue(client=client, grace=datetime.timedelta(hours=1))
    assert http(old).get(CASES).status_code == 200
    assert http(new).get(CASES).status_code == 200

    ApiToken.objects.filter(client=client, expires_at__isnull=False).update(
        expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert http(old).get(CASES).status_code == 401
    assert http(new).get(CASES).status_code == 200


def test_revoking_and_deactivating_end_access_at_once(fachverfahren):
    client, token = fachverfahren
    second = services.api_token_issue(client=client)
    prefix = second.split(".")[1]
    assert services.api_tokens_revoke(client=client, prefix=prefix) == 1
    assert http(second).get(CASES).status_code == 401
    assert http(token).get(CASES).status_code == 200

    services.api_client_deactivate(client=client)
    assert http(token).get(CASES).status_code == 401
    with pytest.raises(services.ApiClientRefused):
        services.api_token_issue(client=client)


def test_a_client_cannot_be_granted_a_unit_of_another_mandant(mandant, unit):
    from kreiswerk.tenancy.services import mandant_create, unit_create

    other = mandant_create(slug="gemeinde", name="Gemeinde", kind="gemeinde", reference_prefix="GE")
    foreign = unit_create(mandant=other, code="bauamt", name="Bauamt", kind="amt")
    client, _token = api_client_with(mandant, "fv", [])
    with pytest.raises(services.ApiClientRefused):
        services.api_grant_add(client=client, unit=foreign, scope="cases:read")


def test_the_command_line_creates_rotates_lists_and_revokes(mandant, unit, capsys):
    call_command("api", "create", "gewerbe-fv", "--name", "Gewerbe-Fachverfahren", "--grant", "gewerbe=cases:read")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("kw1.")
    assert http(token).get(CASES).status_code == 200

    call_command("api", "rotate", "gewerbe-fv", "--grace-hours", "0")
    rotated = capsys.readouterr().out.strip().splitlines()[-1]
    assert http(rotated).get(CASES).status_code == 200
    assert http(token).get(CASES).status_code == 401

    call_command("api", "list")
    listing = capsys.readouterr().out
    assert "gewerbe-fv" in listing and "cases:read" in listing and rotated.split(".")[2] not in listing

    call_command("api", "revoke", "gewerbe-fv")
    assert http(rotated).get(CASES).status_code == 401
    client = ApiClient.objects.get(slug="gewerbe-fv")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"api.client_create", "api.grant_add", "api.token_issue", "api.token_revoke"} <= actions
    assert client.user.username == "api.gewerbe-fv"
