"""OpenID Connect: a citizen through a Keycloak that brokers BundID, and staff single sign-on.

The provider is the test double in devtools, over real HTTP; the tokens are checked by
mozilla-django-oidc plus our issuer and audience checks.
"""

from urllib.parse import urlsplit

import pytest
from devtools.oidc_provider import OIDCProvider
from django.test import Client

from kreiswerk.accounts.views import PENDING_USER
from kreiswerk.identity.models import Citizen, TrustLevel
from kreiswerk.identity.services import SESSION_CITIZEN
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

CLIENT_ID, CLIENT_SECRET = "kreiswerk-buerger", "geheim-" + "o" * 30


@pytest.fixture
def provider(settings):
    service = OIDCProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    settings.KREISWERK_DEV_IDP = False
    settings.KREISWERK_OIDC_CITIZEN_ISSUER = service.url
    settings.KREISWERK_OIDC_CITIZEN_AUTHORIZATION_ENDPOINT = f"{service.url}/authorize"
    settings.KREISWERK_OIDC_CITIZEN_TOKEN_ENDPOINT = f"{service.url}/token"
    settings.KREISWERK_OIDC_CITIZEN_USERINFO_ENDPOINT = f"{service.url}/userinfo"
    settings.KREISWERK_OIDC_CITIZEN_JWKS_ENDPOINT = f"{service.url}/jwks"
    settings.KREISWERK_OIDC_CITIZEN_CLIENT_ID = CLIENT_ID
    settings.KREISWERK_OIDC_CITIZEN_CLIENT_SECRET = CLIENT_SECRET
    yield service
    service.stop()


def begin(client, level="substantiell", next_url="/postfach/") -> str:
    response = client.post("/anmeldung/saml/anmelden/", {"niveau": level, "next": next_url})
    assert response.status_code == 302
    return response["Location"]


def back(client, provider, authorize_url, **options):
    """The provider's redirect back to us, followed by this browser."""
    location = provider.login_url_answer(authorize_url, **options)
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def test_a_citizen_logs_in_through_the_provider_and_is_prefilled(client, provider):
    authorize = begin(client)
    assert authorize.startswith(f"{provider.url}/authorize?")
    assert "acr_values=STORK-QAA-Level-3" in authorize and "code_challenge_method=S256" in authorize
    response = back(client, provider, authorize, acr="STORK-QAA-Level-4")
    assert response.status_code == 302 and response["Location"] == "/postfach/"
    assert client.session[SESSION_CITIZEN]["level"] == TrustLevel.HIGH
    citizen = Citizen.objects.get()
    assert citizen.provider == "oidc"
    assert citizen.attributes["street"] == "Heidestraße" and citizen.attributes["city"] == "Köln"
    assert citizen.attributes["birth_date"] == "1964-08-12"
    assert "Erika Mustermann" in client.get("/postfach/").content.decode()


@pytest.mark.parametrize("fault", ["other_key", "other_audience", "expired", "wrong_nonce", "wrong_issuer", "unsigned"])
def test_a_faulty_id_token_is_refused(client, provider, fault):
    provider.fault = fault
    response = back(client, provider, begin(client))
    assert response.status_code == 403
    assert "nicht bestätigt" in response.content.decode()
    assert SESSION_CITIZEN not in client.session
    assert not Citizen.objects.exists()


def test_a_lower_level_than_asked_is_refused(client, provider):
    response = back(client, provider, begin(client, level="hoch"), acr="STORK-QAA-Level-3")
    assert response.status_code == 403
    assert "mindestens „hoch“" in response.content.decode()
    assert SESSION_CITIZEN not in client.session


def test_the_answer_to_another_browsers_request_is_refused(client, provider):
    authorize = begin(client)
    location = provider.login_url_answer(authorize)
    parts = urlsplit(location)
    other = Client()
    response = other.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 403
    assert SESSION_CITIZEN not in other.session
    # The browser that asked can still use it once, and only once.
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302
    assert Client().get(f"{parts.path}?{parts.query}").status_code == 403


def test_a_replayed_code_is_refused(client, provider):
    authorize = begin(client)
    location = provider.login_url_answer(authorize)
    parts = urlsplit(location)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302
    client.post("/anmeldung/abmelden/")
    assert client.get(f"{parts.path}?{parts.query}").status_code == 403
    assert SESSION_CITIZEN not in client.session


def test_a_cancelled_login_is_refused(client, provider):
    authorize = begin(client)
    query = dict(part.split("=", 1) for part in urlsplit(authorize).query.split("&"))
    response = client.get(f"/anmeldung/oidc/antwort/?error=access_denied&state={query['state']}")
    assert response.status_code == 403
    assert "abgebrochen" in response.content.decode()


def test_the_callback_is_closed_without_a_provider(client):
    assert client.get("/anmeldung/oidc/antwort/?code=x&state=y").status_code == 404


@pytest.fixture
def staff_provider(settings):
    service = OIDCProvider(client_id="kreiswerk-verwaltung", client_secret=CLIENT_SECRET).start()
    settings.OIDC_OP_ISSUER = service.url
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{service.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{service.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{service.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{service.url}/jwks"
    settings.OIDC_RP_CLIENT_ID = "kreiswerk-verwaltung"
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    yield service
    service.stop()


def _staff_sso(client, provider, persona="sachbearbeitung"):
    start = client.get("/verwaltung/sso/anmelden/")
    assert start.status_code == 302
    parts = urlsplit(provider.login_url_answer(start["Location"], persona=persona))
    return client.get(f"{parts.path}?{parts.query}")


def test_staff_sign_on_leads_to_the_second_factor(client, staff_provider, unit):
    user = make_staff("sachbearbeitung")
    page = client.get("/verwaltung/anmelden/").content.decode()
    assert "Mit Single Sign-on anmelden" in page
    response = _staff_sso(client, staff_provider)
    assert response.status_code == 302 and response["Location"].endswith("/verwaltung/anmelden/code/")
    assert client.session[PENDING_USER] == user.pk
    # Not yet inside: the TOTP code decides, as after a password.
    assert client.get("/verwaltung/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_sign_on_for_an_unknown_account_fails_clearly(client, staff_provider):
    response = _staff_sso(client, staff_provider)
    assert response.status_code == 302 and "sso=fehlgeschlagen" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "nicht freigeschaltet" in page
    assert PENDING_USER not in client.session


def test_staff_sign_on_with_a_forged_token_fails(client, staff_provider, unit):
    make_staff("sachbearbeitung")
    staff_provider.fault = "other_audience"
    response = _staff_sso(client, staff_provider)
    assert "sso=fehlgeschlagen" in response["Location"]
    assert PENDING_USER not in client.session


def test_staff_sign_on_is_closed_unless_configured(client):
    assert client.get("/verwaltung/sso/anmelden/").status_code == 404
    assert "Single Sign-on" not in client.get("/verwaltung/anmelden/").content.decode()


def test_staff_sign_on_does_not_enrol_a_second_factor(client, staff_provider, unit):
    """An account without a confirmed authenticator cannot be reached through the provider's username."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_staff("sachbearbeitung")
    TOTPDevice.objects.filter(user=user).delete()
    response = _staff_sso(client, staff_provider)
    assert "sso=fehlgeschlagen" in response["Location"]
    assert PENDING_USER not in client.session


def test_a_password_login_never_runs_the_sign_on_backend(client, staff_provider, unit):
    from kreiswerk.identity.oidc import StaffOIDCBackend

    make_staff("sachbearbeitung")
    request = client.get("/verwaltung/anmelden/?code=abc&state=xyz").wsgi_request
    assert StaffOIDCBackend().authenticate(request, username="sachbearbeitung", password="x") is None
