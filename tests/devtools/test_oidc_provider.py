"""The OpenID Connect test double over real HTTP: discovery, login form, code flow with PKCE, faults."""

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from devtools.oidc_provider import OIDCProvider, signing_key
from joserfc import jwk, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    UnsupportedAlgorithmError,
)

CLIENT_ID, SECRET = "kreiswerk", "geheim-2026"
CALLBACK = "https://kreiswerk.example/anmeldung/zurueck"


@pytest.fixture
def provider():
    service = OIDCProvider(client_id=CLIENT_ID, client_secret=SECRET).start()
    yield service
    service.stop()


@pytest.fixture
def http(provider):
    with httpx.Client(base_url=provider.url, timeout=5) as client:
        yield client


class Login:
    """One authorization request as the product would build it, with its own state, nonce and PKCE pair."""

    def __init__(self, provider: OIDCProvider, **changes):
        self.state, self.nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        self.parameters = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "scope": "openid profile email",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **changes,
        }
        self.url = f"{provider.url}/authorize?{urlencode(self.parameters)}"


def answer_of(location: str) -> dict:
    """The query the provider sent the browser back with; the rest of the URL must be the callback."""
    assert location.split("?")[0] == CALLBACK
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_of(provider: OIDCProvider, login: Login, **choice) -> str:
    answer = answer_of(provider.login_url_answer(login.url, **choice))
    assert answer["state"] == login.state
    return answer["code"]


def swap(http, code: str, login: Login, *, auth=(CLIENT_ID, SECRET), **changes) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": login.verifier}
    return http.post("/token", data={**form, **changes}, auth=auth)


def tokens(provider, http, **choice) -> tuple[Login, dict]:
    login = Login(provider)
    answer = swap(http, code_of(provider, login, **choice), login)
    assert answer.status_code == 200, answer.text
    return login, answer.json()


def verify(http, id_token: str, nonce: str, issuer: str) -> dict:
    """Check an id_token as a relying party has to: signature against /jwks, then iss, aud, exp and nonce."""
    keys = jwk.KeySet.import_key_set(http.get("/jwks").json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    return token.claims


def test_it_describes_itself_in_the_discovery_document(provider, http):
    answer = http.get("/.well-known/openid-configuration")
    assert answer.status_code == 200
    document = answer.json()
    assert document["issuer"] == provider.url == provider.issuer
    for name, path in (
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/logout"),
    ):
        assert document[name] == provider.url + path
    assert document["response_types_supported"] == ["code"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert document["acr_values_supported"] == [f"STORK-QAA-Level-{level}" for level in range(1, 5)]
    [key] = http.get("/jwks").json()["keys"]
    assert (key["kty"], key["kid"], key["alg"]) == ("RSA", signing_key().kid, "RS256")
    assert "d" not in key


def test_it_shows_a_german_login_form_carrying_the_request(provider, http):
    login = Login(provider, acr_values="STORK-QAA-Level-4")
    answer = http.get(login.url)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.text
    assert '<html lang="de">' in page
    assert '<form method="post" action="/authorize">' in page
    for name, value in login.parameters.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    for key in ("erika", "max", "sachbearbeitung"):
        assert f'<label for="persona-{key}">' in page
    assert "<legend>Testperson</legend>" in page
    assert "<legend>Anmeldeverfahren</legend>" in page
    for level, label in (
        (2, "Benutzername und Passwort (Basisregistrierung)"),
        (3, "ELSTER-Zertifikat (substantiell)"),
        (4, "Online-Ausweis (hoch)"),
    ):
        assert f'value="STORK-QAA-Level-{level}"' in page
        assert f'<label for="acr-{level}">{label}</label>' in page
    assert 'value="STORK-QAA-Level-4" checked' in page  # the requested level is preselected
    assert '<button type="submit" name="action" value="login">Anmelden</button>' in page
    assert '<button type="submit" name="action" value="cancel">Abbrechen</button>' in page


def test_it_runs_the_code_flow_with_pkce_through_the_form(provider, http):
    login, answer = tokens(provider, http, persona="max", acr="STORK-QAA-Level-4")
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 300
    claims = verify(http, answer["id_token"], login.nonce, provider.url)
    assert jwt.decode(answer["id_token"], signing_key()).header["kid"] == signing_key().kid
    assert claims["sub"] == "oidc-max-0002"
    assert claims["acr"] == "STORK-QAA-Level-4"
    assert (claims["given_name"], claims["family_name"], claims["birthdate"]) == ("Max", "Mustermann", "1990-01-31")
    assert claims["address"]["locality"] == "Aalen"
    now = time.time()
    assert claims["iat"] <= now < claims["exp"] <= now + 301
    assert claims["auth_time"] <= now
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert userinfo.status_code == 200
    assert userinfo.json() == {**provider.personas["max"], "acr": "STORK-QAA-Level-4"}


def test_it_logs_in_at_once_with_next_login(provider, http):
    provider.next_login = {"persona": "sachbearbeitung", "acr": "STORK-QAA-Level-2"}
    login = Login(provider)
    answer = http.get(login.url)
    assert answer.status_code == 302
    back = answer_of(answer.headers["Location"])
    assert back["state"] == login.state
    token = swap(http, back["code"], login)
    assert token.status_code == 200, token.text
    claims = verify(http, token.json()["id_token"], login.nonce, provider.url)
    assert (claims["sub"], claims["acr"], claims["amr"]) == ("oidc-staff-0003", "STORK-QAA-Level-2", ["pwd", "otp"])


def test_it_accepts_the_client_secret_in_the_form(provider, http):
    login = Login(provider)
    answer = swap(http, code_of(provider, login), login, auth=None, client_id=CLIENT_ID, client_secret=SECRET)
    assert answer.status_code == 200, answer.text
    assert verify(http, answer.json()["id_token"], login.nonce, provider.url)["sub"] == "oidc-erika-0001"


def test_it_refuses_a_used_code(provider, http):
    login = Login(provider)
    code = code_of(provider, login)
    assert swap(http, code, login).status_code == 200
    again = swap(http, code, login)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant"}


def test_it_refuses_an_expired_code(provider, http):
    login = Login(provider)
    code = code_of(provider, login)
    provider.codes[code]["expires"] = time.time() - 1  # instead of waiting 60 s
    assert swap(http, code, login).json() == {"error": "invalid_grant"}


@pytest.mark.parametrize("auth", [(CLIENT_ID, "falsch"), ("andere-anwendung", SECRET), None])
def test_it_refuses_a_wrong_client(provider, http, auth):
    login = Login(provider)
    answer = swap(http, code_of(provider, login), login, auth=auth)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client"}


def test_it_refuses_a_wrong_redirect_uri(provider, http):
    login = Login(provider)
    answer = swap(http, code_of(provider, login), login, redirect_uri="https://angreifer.example/zurueck")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant"}


@pytest.mark.parametrize("verifier", ["falsch-" + "x" * 43, ""])
def test_it_refuses_a_wrong_code_verifier(provider, http, verifier):
    login = Login(provider)
    answer = swap(http, code_of(provider, login), login, code_verifier=verifier)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant"}


def test_it_refuses_userinfo_without_a_valid_token(http):
    for headers in ({}, {"Authorization": "Bearer unbekannt"}, {"Authorization": "Basic eDp5"}):
        answer = http.get("/userinfo", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "invalid_token"}


def test_it_sends_the_citizen_back_with_access_denied_on_cancel(provider, http):
    login = Login(provider)
    answer = http.post("/authorize", data={**login.parameters, "action": "cancel"})
    assert answer.status_code == 302
    assert answer_of(answer.headers["Location"]) == {"error": "access_denied", "state": login.state}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"client_id": "unbekannt"}, "client_id"),
        ({"response_type": "token"}, "response_type"),
        ({"scope": "profile"}, "openid"),
        ({"code_challenge_method": "plain"}, "S256"),
    ],
)
def test_it_refuses_a_bad_authorization_request_in_german(provider, http, changes, problem):
    answer = http.get(Login(provider, **changes).url)
    assert answer.status_code == 400
    assert '<html lang="de">' in answer.text
    assert problem in answer.text
    assert "Location" not in answer.headers


def unverified(id_token: str) -> tuple[dict, dict]:
    """Header and claims of a token, read without any check, to see what a fault changed."""
    header, payload = (json.loads(base64.urlsafe_b64decode(part + "==")) for part in id_token.split(".")[:2])
    return header, payload


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("other_key", BadSignatureError),
        ("unsigned", UnsupportedAlgorithmError),
        ("other_audience", InvalidClaimError),
        ("expired", ExpiredTokenError),
        ("wrong_nonce", InvalidClaimError),
        ("wrong_issuer", InvalidClaimError),
    ],
)
def test_it_issues_a_spoilt_id_token_for_each_fault(provider, http, fault, error):
    provider.fault = fault
    login, answer = tokens(provider, http)
    with pytest.raises(error):
        verify(http, answer["id_token"], login.nonce, provider.url)
    header, claims = unverified(answer["id_token"])
    published = jwk.KeySet.import_key_set(http.get("/jwks").json())
    if fault == "other_key":
        assert header["kid"] == signing_key().kid  # only the signature gives it away
        assert jwt.decode(answer["id_token"], signing_key("unpublished")).claims["nonce"] == login.nonce
    elif fault == "unsigned":
        assert header["alg"] == "none"
        assert answer["id_token"].endswith(".")  # no signature at all
    else:  # correctly signed; only the claim is off
        assert jwt.decode(answer["id_token"], published).claims == claims
        assert {
            "other_audience": claims["aud"] != CLIENT_ID,
            "expired": claims["exp"] < time.time(),
            "wrong_nonce": claims["nonce"] != login.nonce,
            "wrong_issuer": claims["iss"] != provider.url,
        }[fault]
    provider.fault = None
    login, answer = tokens(provider, http)
    assert verify(http, answer["id_token"], login.nonce, provider.url)["sub"] == "oidc-erika-0001"


def test_it_refuses_an_oversized_body(http):
    answer = http.post("/token", content=b"x" * (64 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 413
    assert answer.json() == {"error": "request_too_large"}


def test_it_answers_errors_without_a_traceback(provider, http):
    provider.fault = "unbekannt"  # a test knob set wrong breaks the token endpoint, quietly
    login = Login(provider)
    answer = swap(http, code_of(provider, login), login)
    assert answer.status_code == 500
    assert answer.json() == {"error": "server_error"}
    assert http.get("/nirgends").status_code == 404


def test_it_logs_out(http):
    page = http.get("/logout")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert "Sie sind abgemeldet." in page.text
    back = http.get("/logout", params={"post_logout_redirect_uri": CALLBACK, "state": "s1"})
    assert back.status_code == 302
    assert back.headers["Location"] == f"{CALLBACK}?state=s1"
