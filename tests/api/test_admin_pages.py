"""Administrators manage API clients on staff pages: create, grant, rotate, revoke, deactivate."""

import re

import pytest
from django.urls import reverse

from kreiswerk.api import services
from kreiswerk.api.models import ApiClient, ApiGrant, ApiToken
from kreiswerk.audit.models import AuditEntry
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.services import mandant_create, unit_create
from tests.api.conftest import api_client_with, http
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"
TOKEN = re.compile(r"kw1\.[0-9a-f]{12}\.[A-Za-z0-9_-]{40,}")
HINT = "Nur jetzt sichtbar – bitte sicher im Fachverfahren hinterlegen"


def shown_token(response) -> str:
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    assert HINT in html
    assert "no-store" in response["Cache-Control"]
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def create(client, **overrides):
    data = {
        "name": "Gewerbe-Fachverfahren",
        "slug": "gewerbe-fv",
        "unit": OrganisationalUnit.objects.get(code="gewerbe").pk,
        "scopes": ["cases:read", "submissions:read"],
        **overrides,
    }
    return client.post(reverse("api_clients:create"), data)


def newest_token_id(client: ApiClient) -> int:
    return ApiToken.objects.filter(client=client).order_by("-pk").values_list("pk", flat=True).first() or 0


def rotate(browser, client: ApiClient, grace: str):
    url = reverse("api_clients:rotate", args=[client.pk])
    return browser.post(url, {"grace": grace, "stand": newest_token_id(client)})


@pytest.fixture
def admin_browser(staff_client, administrator):
    return staff_client(administrator)


@pytest.fixture
def created(admin_browser, unit):
    """A client created through the page, and the token the page showed."""
    token = shown_token(create(admin_browser))
    return ApiClient.objects.get(slug="gewerbe-fv"), token


def test_it_creates_a_client_whose_token_is_shown_once_and_works(admin_browser, administrator, created):
    client, token = created
    assert client.name == "Gewerbe-Fachverfahren" and client.mandant.slug == "musterkreis"
    assert set(client.grants.values_list("unit__code", "scope")) == {
        ("gewerbe", "cases:read"),
        ("gewerbe", "submissions:read"),
    }
    assert http(token).get(CASES).status_code == 200
    assert http(token).get(CASES, {"unit": "gewerbe"}).status_code == 200
    actions = set(AuditEntry.objects.filter(actor_id=administrator.pk).values_list("action", flat=True))
    assert {"api.client_create", "api.grant_add", "api.token_issue"} <= actions

    _version, prefix, secret = token.split(".")
    for url in (reverse("api_clients:list"), reverse("api_clients:detail", args=[client.pk])):
        page = admin_browser.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert prefix in html and "gewerbe-fv" in html and "Sachgebiet Gewerbe" in html
        assert secret not in html and not TOKEN.search(html) and HINT not in html


def test_the_list_shows_clients_grants_and_tokens_but_never_a_secret(admin_browser, mandant, unit):
    client, token = api_client_with(mandant, "statistik", [("ordnungsamt", "cases:read")])
    services.api_tokens_revoke(client=client, prefix=token.split(".")[1])
    second = services.api_token_issue(client=client)
    html = admin_browser.get(reverse("api_clients:list")).content.decode()
    assert "Fachverfahren statistik" in html and "statistik" in html and "aktiv" in html
    assert "Amt für öffentliche Ordnung" in html and "Vorgänge und ihre Dokumente lesen" in html
    assert token.split(".")[1] in html and second.split(".")[1] in html and "widerrufen" in html
    for secret in (token.split(".")[2], second.split(".")[2]):
        assert secret not in html
    assert not TOKEN.search(html)


def test_rotation_shows_a_new_token_and_sofort_ends_the_old_one(admin_browser, created):
    client, old = created
    new = shown_token(rotate(admin_browser, client, "0"))
    assert new != old
    assert http(new).get(CASES).status_code == 200
    assert http(old).get(CASES).status_code == 401


def test_rotation_with_a_grace_period_keeps_the_old_token_for_now(admin_browser, created):
    client, old = created
    response = rotate(admin_browser, client, "24h")
    new = shown_token(response)
    assert "Die bisherigen Tokens gelten noch bis" in response.content.decode()
    assert http(old).get(CASES).status_code == 200
    assert http(new).get(CASES).status_code == 200
    assert ApiToken.objects.get(prefix=old.split(".")[1]).expires_at is not None


def test_a_repeated_rotation_post_does_not_issue_a_second_token(admin_browser, created):
    client, _old = created
    data = {"grace": "0", "stand": newest_token_id(client)}
    url = reverse("api_clients:rotate", args=[client.pk])
    new = shown_token(admin_browser.post(url, data))
    response = admin_browser.post(url, data, follow=True)  # the browser's "reload" of the token page
    assert "inzwischen schon erneuert" in response.content.decode()
    assert ApiToken.objects.filter(client=client).count() == 2
    assert http(new).get(CASES).status_code == 200


def test_bad_rotation_input_is_a_form_error(admin_browser, created):
    client, _token = created
    url = reverse("api_clients:rotate", args=[client.pk])
    for data in ({}, {"grace": "ewig", "stand": "1"}, {"grace": "0", "stand": "x" * 500}):
        response = admin_browser.post(url, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Es gibt ein Problem" in html and not TOKEN.search(html)
    assert ApiToken.objects.filter(client=client).count() == 1


def test_revoking_one_token_ends_its_access(admin_browser, created):
    client, token = created
    other = services.api_token_issue(client=client)
    response = admin_browser.post(reverse("api_clients:revoke", args=[client.pk]), {"prefix": token.split(".")[1]})
    assert response.status_code == 302
    assert http(token).get(CASES).status_code == 401
    assert http(other).get(CASES).status_code == 200
    again = admin_browser.post(
        reverse("api_clients:revoke", args=[client.pk]), {"prefix": token.split(".")[1]}, follow=True
    )
    assert "schon widerrufen" in again.content.decode()


def test_deactivating_asks_first_then_ends_all_access(admin_browser, created):
    client, token = created
    url = reverse("api_clients:deactivate", args=[client.pk])
    confirm = admin_browser.get(url)
    assert confirm.status_code == 200 and "sperren?" in confirm.content.decode()
    assert http(token).get(CASES).status_code == 200  # asking changes nothing

    response = admin_browser.post(url, follow=True)
    assert response.status_code == 200 and "gesperrt" in response.content.decode()
    client.refresh_from_db()
    assert not client.is_active
    assert http(token).get(CASES).status_code == 401
    refused = admin_browser.post(reverse("api_clients:rotate", args=[client.pk]), {"grace": "0", "stand": "0"})
    assert refused.status_code == 302 and ApiToken.objects.filter(client=client, revoked_at=None).count() == 0


def test_grants_are_added_and_removed(admin_browser, created):
    client, token = created
    ordnungsamt = OrganisationalUnit.objects.get(code="ordnungsamt")
    url = reverse("api_clients:grant_add", args=[client.pk])
    assert admin_browser.post(url, {"unit": ordnungsamt.pk, "scopes": ["cases:write"]}).status_code == 302
    assert client.grants.filter(unit=ordnungsamt, scope="cases:write").exists()

    grant = client.grants.get(unit__code="gewerbe", scope="cases:read")
    removed = admin_browser.post(reverse("api_clients:grant_remove", args=[client.pk]), {"grant": grant.pk})
    assert removed.status_code == 302
    assert not ApiGrant.objects.filter(pk=grant.pk).exists()
    assert http(token).get(CASES).status_code == 403  # cases:read is gone everywhere


def test_bad_input_gets_german_errors_and_creates_nothing(admin_browser, mandant, unit):
    cases = [
        ({"name": "", "slug": "", "unit": "", "scopes": []}, ["Bitte geben Sie eine Bezeichnung ein."]),
        ({"slug": "Gewerbe FV!"}, ["Das Kürzel darf nur Kleinbuchstaben"]),
        ({"scopes": ["alles:darf"]}, ["Bitte wählen Sie mindestens eine Berechtigung."]),
        ({"unit": "x" * 200}, ["Bitte wählen Sie eine Organisationseinheit, die Sie verwalten."]),
        ({"unit": "9" * 30}, ["Bitte wählen Sie eine Organisationseinheit, die Sie verwalten."]),
        ({"name": "x" * 151}, ["höchstens 150 Zeichen"]),
    ]
    for overrides, messages in cases:
        response = create(admin_browser, **overrides)
        assert response.status_code == 200, overrides
        html = response.content.decode()
        assert "Es gibt ein Problem" in html and 'class="kern-error"' in html, overrides
        for message in messages:
            assert message in html, (overrides, message)
    assert not ApiClient.objects.exists()

    shown_token(create(admin_browser))
    duplicate = create(admin_browser, name="Noch eins")
    assert "Einen API-Zugang mit dem Kürzel „gewerbe-fv“ gibt es schon." in duplicate.content.decode()
    assert ApiClient.objects.count() == 1


def test_a_caseworker_gets_the_german_403(staff_client, caseworker, mandant, unit):
    client, _token = api_client_with(mandant, "fv", [("gewerbe", "cases:read")])
    browser = staff_client(caseworker)
    for name, args in (("list", []), ("create", []), ("detail", [client.pk]), ("deactivate", [client.pk])):
        response = browser.get(reverse(f"api_clients:{name}", args=args))
        assert response.status_code == 403, name
        assert "Kein Zugriff" in response.content.decode()
    assert browser.post(reverse("api_clients:deactivate", args=[client.pk])).status_code == 403
    assert create(browser).status_code == 403
    assert ApiClient.objects.get(pk=client.pk).is_active and ApiClient.objects.count() == 1
    home = browser.get(reverse("accounts:home")).content.decode()
    assert reverse("api_clients:list") not in home


def test_administrators_find_the_pages_in_the_header_and_on_the_home_page(admin_browser):
    home = admin_browser.get(reverse("accounts:home")).content.decode()
    assert home.count(f'href="{reverse("api_clients:list")}"') == 2


@pytest.fixture
def youth_admin(other_unit):
    return make_staff("jugendadmin", unit=other_unit, role=Role.ADMIN)


def test_an_administrator_cannot_grant_outside_his_subtree(staff_client, youth_admin, unit):
    browser = staff_client(youth_admin)
    form = browser.get(reverse("api_clients:create")).content.decode()
    assert "Jugendamt" in form and "Sachgebiet Gewerbe" not in form

    response = create(browser)  # gewerbe lies in dez2, not under the Jugendamt
    assert response.status_code == 200
    assert "Bitte wählen Sie eine Organisationseinheit, die Sie verwalten." in response.content.decode()
    assert not ApiClient.objects.exists() and not ApiToken.objects.exists()

    shown_token(create(browser, unit=OrganisationalUnit.objects.get(code="jugendamt").pk))
    client = ApiClient.objects.get()
    refused = browser.post(
        reverse("api_clients:grant_add", args=[client.pk]), {"unit": unit.pk, "scopes": ["cases:read"]}
    )
    assert refused.status_code == 200 and "Es gibt ein Problem" in refused.content.decode()
    assert set(client.grants.values_list("unit__code", flat=True)) == {"jugendamt"}


def test_grants_outside_his_units_are_read_only_and_block_new_tokens(staff_client, youth_admin, mandant, unit):
    client, token = api_client_with(mandant, "fv", [("gewerbe", "cases:read"), ("jugendamt", "cases:read")])
    browser = staff_client(youth_admin)
    html = browser.get(reverse("api_clients:detail", args=[client.pk])).content.decode()
    assert "Sachgebiet Gewerbe" in html and "außerhalb Ihrer Einheiten" in html
    assert reverse("api_clients:rotate", args=[client.pk]) not in html
    assert html.count('name="grant"') == 1  # only the Jugendamt grant has a button

    foreign = client.grants.get(unit=unit)
    browser.post(reverse("api_clients:grant_remove", args=[client.pk]), {"grant": foreign.pk})
    assert ApiGrant.objects.filter(pk=foreign.pk).exists()

    # A new token would carry the Gewerbe grant to him: refused.
    response = rotate(browser, client, "24h")
    assert response.status_code == 302 and ApiToken.objects.filter(client=client).count() == 1
    assert http(token).get(CASES).status_code == 200

    own = client.grants.get(unit__code="jugendamt")
    assert browser.post(reverse("api_clients:grant_remove", args=[client.pk]), {"grant": own.pk}).status_code == 302
    assert not ApiGrant.objects.filter(pk=own.pk).exists()


def test_clients_of_another_mandant_stay_hidden(staff_client, mandant, unit):
    other = mandant_create(slug="gemeinde", name="Gemeinde Beispiel", kind="gemeinde", reference_prefix="GB")
    rathaus = unit_create(mandant=other, code="rathaus", name="Rathaus", kind="amt")
    foreign_admin = make_staff("gemeindeadmin", unit=rathaus, role=Role.ADMIN)
    client, token = api_client_with(mandant, "fv", [("gewerbe", "cases:read")])
    browser = staff_client(foreign_admin)
    assert "Fachverfahren fv" not in browser.get(reverse("api_clients:list")).content.decode()
    for name in ("detail", "deactivate"):
        assert browser.get(reverse(f"api_clients:{name}", args=[client.pk])).status_code == 404
    assert browser.post(reverse("api_clients:deactivate", args=[client.pk])).status_code == 404
    prefix = token.split(".")[1]
    assert browser.post(reverse("api_clients:revoke", args=[client.pk]), {"prefix": prefix}).status_code == 404
    assert http(token).get(CASES).status_code == 200


def test_garbage_never_gives_a_server_error(admin_browser, created):
    admin_browser.raise_request_exception = False
    client, token = created
    garbage = ["x" * 10_000, "\x00", "9" * 30, "-1", "1e999", "' OR 1=1 --", "😀" * 500]
    posts = {
        "create": ({}, ["name", "slug", "unit", "scopes"]),
        "grant_add": ([client.pk], ["unit", "scopes"]),
        "grant_remove": ([client.pk], ["grant"]),
        "rotate": ([client.pk], ["grace", "stand"]),
        "revoke": ([client.pk], ["prefix"]),
    }
    for name, (args, fields) in posts.items():
        url = reverse(f"api_clients:{name}", args=args)
        for value in garbage:
            response = admin_browser.post(url, dict.fromkeys(fields, value))
            assert response.status_code < 500, (name, value[:10])
        assert admin_browser.post(url, {field: ["1", "\x00"] for field in fields}).status_code < 500, name
    assert http(token).get(CASES).status_code == 200
    assert ApiClient.objects.count() == 1
