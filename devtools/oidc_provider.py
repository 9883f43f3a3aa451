"""A test double of an OpenID Connect provider: Keycloak brokering BundID, and the staff login.

It speaks real HTTP, like the Keycloak a county runs:

- ``GET /.well-known/openid-configuration`` describes it; ``GET /jwks`` holds the public signing key;
- ``GET /authorize`` shows a form to choose a test person and a login method (the method sets the
  ``acr``, the trust level); its ``POST`` sends the browser back to ``redirect_uri`` with a code,
  or with ``error=access_denied`` when cancelled;
- ``POST /token`` swaps a code (single-use, 60 s, PKCE S256) for an access token and an RS256 id_token;
- ``GET /userinfo`` answers the person's claims to the access token; ``GET /logout`` ends the session.

Tests steer it with two attributes, in effect until set back to None: ``next_login`` skips the form,
``fault`` spoils every id_token issued in one of the ways a relying party has to notice (see ``FAULTS``).

Run it by hand with ``python -m devtools.oidc_provider``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import hashlib
import html
import json
import secrets
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import httpx
from joserfc import jwk, jwt

from devtools.service import LocalService, send

CODE_LIFETIME_SECONDS = 60
TOKEN_LIFETIME_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
KEY_ID = "kreiswerk-test-signing"
ACR_LEVELS = [f"STORK-QAA-Level-{level}" for level in range(1, 5)]
METHODS = {
    "STORK-QAA-Level-2": "Benutzername und Passwort (Basisregistrierung)",
    "STORK-QAA-Level-3": "ELSTER-Zertifikat (substantiell)",
    "STORK-QAA-Level-4": "Online-Ausweis (hoch)",
}
FAULTS = {"other_key", "other_audience", "expired", "wrong_nonce", "wrong_issuer", "unsigned"}
# What the login form carries over from the authorization request in hidden fields.
AUTHORIZE_PARAMETERS = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values")
PKCE_PARAMETERS = ("code_challenge", "code_challenge_method")

# Standard OIDC claim names, as a Keycloak mapper for BundID delivers them.
PERSONAS = {
    "erika": {
        "sub": "oidc-erika-0001",
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birthdate": "1964-08-12",
        "email": "erika.mustermann@example.org",
        "email_verified": True,
        "address": {"street_address": "Heidestraße 17", "postal_code": "51147", "locality": "Köln", "country": "DE"},
        "preferred_username": "erika.mustermann",
    },
    "max": {
        "sub": "oidc-max-0002",
        "given_name": "Max",
        "family_name": "Mustermann",
        "birthdate": "1990-01-31",
        "email": "max.mustermann@example.org",
        "address": {"street_address": "Marktplatz 1a", "postal_code": "73430", "locality": "Aalen", "country": "DE"},
        "preferred_username": "max.mustermann",
    },
    "sachbearbeitung": {
        "sub": "oidc-staff-0003",
        "preferred_username": "sachbearbeitung",
        "given_name": "Sabine",
        "family_name": "Sachbearbeiterin",
        "email": "sachbearbeitung@musterkreis.example",
        "amr": ["pwd", "otp"],
    },
}


_keys: dict[str, jwk.RSAKey] = {}
_keys_lock = threading.Lock()


def signing_key(name: str = "published") -> jwk.RSAKey:
    """One key per name and process: RSA generation is slow, and a restart should not change the JWKS.

    "published" is the one in /jwks; "unpublished" signs the ``other_key`` fault with the same kid.
    """
    with _keys_lock:
        if name not in _keys:
            parameters = {"kid": KEY_ID, "use": "sig", "alg": "RS256"}
            _keys[name] = jwk.RSAKey.generate_key(2048, parameters=parameters, auto_kid=False)
        return _keys[name]


class Refused(Exception):
    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status, self.error, self.headers = status, error, headers or {}


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)} – Test-Anmeldedienst</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n<p><strong>Testumgebung:</strong> Dieser Anmeldedienst ahmt "
        f"BundID und die Anmeldung für Beschäftigte nur nach.</p>\n{body}\n</main>\n</body>\n</html>\n"
    )


def with_query(url: str, parameters: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({key: value for key, value in parameters.items() if value})


class OIDCProvider(LocalService):
    """The identity provider; ``start()`` serves it on a port of 127.0.0.1, ``issuer`` is its ``url``."""

    def __init__(self, *, client_id: str, client_secret: str):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.personas: dict[str, dict] = copy.deepcopy(PERSONAS)
        self.next_login: dict | None = None  # {"persona": ..., "acr": ...}: /authorize answers without the form
        self.fault: str | None = None  # one of FAULTS: how the id_tokens issued from now on are spoilt
        self.codes: dict[str, dict] = {}  # code -> what the login decided, until swapped or expired
        self.tokens: dict[str, dict] = {}  # access token -> {"expires": ..., "claims": ...}

    @property
    def issuer(self) -> str:
        return self.url

    # --- serving ---------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        try:
            given = handler.headers.get("Content-Length") or "0"
            length = int(given) if given.isdigit() else MAX_BODY_BYTES + 1  # unreadable counts as too large
            if length > MAX_BODY_BYTES:
                # The body stays unread, so the connection ends; saying so keeps the client from reusing it.
                raise Refused(413, "request_too_large", {"Connection": "close"})
            body = handler.rfile.read(length)
            target = urlsplit(handler.path)
            query = {key: values[0] for key, values in parse_qs(target.query).items()}
            form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
            route = (method, target.path)
            if route == ("GET", "/.well-known/openid-configuration"):
                self._json(handler, 200, self.discovery())
            elif route == ("GET", "/jwks"):
                self._json(handler, 200, {"keys": [signing_key().as_dict(private=False)]})
            elif target.path == "/authorize":
                self._authorize(handler, query if method == "GET" else form, method)
            elif route == ("POST", "/token"):
                self._json(handler, 200, self.token(form, handler.headers), {"Pragma": "no-cache"})
            elif target.path == "/userinfo":
                self._json(handler, 200, self.userinfo(handler.headers))
            elif route == ("GET", "/logout"):
                self._logout(handler, query)
            else:
                raise Refused(404, "not_found")
        except Refused as exc:
            self._json(handler, exc.status, {"error": exc.error}, exc.headers)
        except Exception:  # a double answers, it does not hand out tracebacks
            self._json(handler, 500, {"error": "server_error"}, {"Connection": "close"})

    def _json(self, handler, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        send(handler, status, json.dumps(payload).encode(), "application/json", headers)

    def _html(self, handler, status: int, text: str) -> None:
        send(handler, status, text.encode(), "text/html; charset=utf-8")

    def _redirect(self, handler, location: str) -> None:
        send(handler, 302, b"", "text/plain; charset=utf-8", {"Location": location})

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "acr_values_supported": ACR_LEVELS,
        }

    # --- authorize -------------------------------------------------------------------------

    def _authorize_problem(self, request: dict) -> str:
        """What is wrong with an authorization request, in German; empty when nothing is."""
        target = urlsplit(request.get("redirect_uri", ""))
        if request.get("client_id") != self.client_id:
            return "Die Anwendung (client_id) ist nicht bekannt."
        if target.scheme not in ("http", "https") or not target.netloc:
            return "Die Rücksprungadresse (redirect_uri) fehlt oder ist keine http- oder https-Adresse."
        if request.get("response_type") != "code":
            return "Nur response_type=code wird unterstützt."
        if "openid" not in request.get("scope", "").split():
            return "Der scope muss openid enthalten."
        if request.get("code_challenge") and request.get("code_challenge_method") != "S256":
            return "Nur code_challenge_method=S256 wird unterstützt."
        return ""

    def _authorize(self, handler, request: dict, method: str) -> None:
        problem = self._authorize_problem(request)
        if problem:
            self._html(handler, 400, page("Anmeldung nicht möglich", f"<p>{html.escape(problem)}</p>"))
            return
        if method == "GET" and self.next_login is None:
            self._html(handler, 200, self._login_form(request))
            return
        choice = self.next_login if method == "GET" else request
        persona = choice.get("persona", "erika")
        acr = choice.get("acr", "STORK-QAA-Level-3")
        back = {"state": request.get("state", "")}
        if method == "POST" and request.get("action") == "cancel":
            self._redirect(handler, with_query(request["redirect_uri"], {"error": "access_denied", **back}))
            return
        if persona not in self.personas or acr not in ACR_LEVELS or request.get("action", "login") != "login":
            text = "<p>Bitte eine Testperson und ein Anmeldeverfahren wählen.</p>"
            self._html(handler, 400, page("Ungültige Eingabe", text))
            return
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self.codes = {known: entry for known, entry in self.codes.items() if entry["expires"] > now}
            self.codes[code] = {
                "expires": now + CODE_LIFETIME_SECONDS,
                "auth_time": int(now),
                "persona": persona,
                "acr": acr,
                **{name: request.get(name, "") for name in ("client_id", "redirect_uri", "nonce", "code_challenge")},
            }
        self._redirect(handler, with_query(request["redirect_uri"], {"code": code, **back}))

    def _login_form(self, request: dict) -> str:
        esc = html.escape
        wanted = request.get("acr_values", "").split()
        preselected = next((acr for acr in wanted if acr in METHODS), "STORK-QAA-Level-3")
        parts = ['<form method="post" action="/authorize">']
        for name in (*AUTHORIZE_PARAMETERS, *PKCE_PARAMETERS):
            if name in request:
                parts.append(f'<input type="hidden" name="{name}" value="{esc(request[name])}">')
        parts.append("<fieldset>\n<legend>Testperson</legend>")
        for index, (key, claims) in enumerate(self.personas.items()):
            label = f"{claims.get('given_name', '')} {claims.get('family_name', '')} ({key})".strip()
            checked = " checked" if index == 0 else ""
            parts.append(
                f'<div><input type="radio" id="persona-{esc(key)}" name="persona" value="{esc(key)}"{checked}>'
                f' <label for="persona-{esc(key)}">{esc(label)}</label></div>'
            )
        parts.append("</fieldset>\n<fieldset>\n<legend>Anmeldeverfahren</legend>")
        for acr, label in METHODS.items():
            checked = " checked" if acr == preselected else ""
            parts.append(
                f'<div><input type="radio" id="acr-{acr[-1]}" name="acr" value="{acr}"{checked}>'
                f' <label for="acr-{acr[-1]}">{esc(label)}</label></div>'
            )
        parts += [
            "</fieldset>",
            '<button type="submit" name="action" value="login">Anmelden</button>',
            '<button type="submit" name="action" value="cancel">Abbrechen</button>',
            "</form>",
        ]
        return page("Anmelden", "\n".join(parts))

    def login_url_answer(self, authorize_url: str, *, persona: str = "erika", acr: str = "STORK-QAA-Level-3") -> str:
        """Helper for tests: submit the login form for this authorize URL; the redirect_uri URL with code and state."""
        request = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        form = {**request, "persona": persona, "acr": acr, "action": "login"}
        answer = httpx.post(f"{self.url}/authorize", data=form, timeout=5)
        if answer.status_code != 302:
            raise RuntimeError(f"authorize answered {answer.status_code}: {answer.text}")
        return answer.headers["Location"]

    # --- token and userinfo ----------------------------------------------------------------

    def _client_authenticated(self, form: dict, headers) -> bool:
        given_id, given_secret = form.get("client_id"), form.get("client_secret")
        authorization = headers.get("Authorization") or ""
        if authorization[:6].lower() == "basic ":
            given_id = given_secret = None
            with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
                pair = base64.b64decode(authorization[6:].strip(), validate=True).decode()
                # RFC 6749 2.3.1: both halves are form-urlencoded before Basic encoding.
                given_id, given_secret = (unquote_plus(half) for half in pair.split(":", 1))
        return (
            given_id is not None
            and given_secret is not None
            and secrets.compare_digest(given_id.encode(), self.client_id.encode())
            and secrets.compare_digest(given_secret.encode(), self.client_secret.encode())
        )

    def token(self, form: dict, headers) -> dict:
        if not self._client_authenticated(form, headers):
            raise Refused(401, "invalid_client", {"WWW-Authenticate": 'Basic realm="oidc"'})
        if form.get("grant_type") != "authorization_code":
            raise Refused(400, "unsupported_grant_type")
        with self._lock:
            entry = self.codes.pop(form.get("code", ""), None)  # single-use, even when the swap fails
        if entry is None or entry["expires"] <= time.time() or entry["redirect_uri"] != form.get("redirect_uri"):
            raise Refused(400, "invalid_grant")
        if entry["code_challenge"]:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != entry["code_challenge"]:
                raise Refused(400, "invalid_grant")
        persona = self.personas[entry["persona"]]
        claims = {**persona, "acr": entry["acr"]}
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self.tokens = {known: item for known, item in self.tokens.items() if item["expires"] > now}
            self.tokens[access_token] = {"expires": now + TOKEN_LIFETIME_SECONDS, "claims": copy.deepcopy(claims)}
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "id_token": self._id_token(claims, entry, int(now)),
            "scope": "openid",
        }

    def _id_token(self, claims: dict, entry: dict, now: int) -> str:
        fault = self.fault
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        payload = {
            **claims,
            "iss": "http://127.0.0.1:1/falscher-aussteller" if fault == "wrong_issuer" else self.issuer,
            "aud": "eine-andere-anwendung" if fault == "other_audience" else self.client_id,
            "azp": self.client_id,
            "iat": now - 600 if fault == "expired" else now,
            "exp": now - 300 if fault == "expired" else now + TOKEN_LIFETIME_SECONDS,
            "auth_time": entry["auth_time"],
        }
        if entry["nonce"] or fault == "wrong_nonce":
            payload["nonce"] = "eine-andere-nonce" if fault == "wrong_nonce" else entry["nonce"]
        if fault == "unsigned":
            with warnings.catch_warnings():  # joserfc rightly warns about "none"; here it is the point
                warnings.simplefilter("ignore")
                return jwt.encode({"alg": "none"}, payload, None, algorithms=["none"])
        # "other_key" keeps the published kid, so only the signature check can catch it.
        key = signing_key("unpublished" if fault == "other_key" else "published")
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, payload, key)

    def userinfo(self, headers) -> dict:
        authorization = headers.get("Authorization") or ""
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        with self._lock:
            item = self.tokens.get(token) if token else None
            if item is not None and item["expires"] > time.time():
                return copy.deepcopy(item["claims"])
        raise Refused(401, "invalid_token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # --- logout ----------------------------------------------------------------------------

    def _logout(self, handler, query: dict) -> None:
        target = query.get("post_logout_redirect_uri", "")
        if urlsplit(target).scheme in ("http", "https") and urlsplit(target).netloc:
            self._redirect(handler, with_query(target, {"state": query.get("state", "")}))
            return
        self._html(handler, 200, page("Abgemeldet", "<p>Sie sind abgemeldet.</p>"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8096)
    parser.add_argument("--client-id", default="kreiswerk")
    parser.add_argument("--client-secret", required=True)
    options = parser.parse_args()
    provider = OIDCProvider(client_id=options.client_id, client_secret=options.client_secret)
    provider.port = options.port
    provider.start()
    print(f"issuer {provider.issuer} ({provider.issuer}/.well-known/openid-configuration); Ctrl-C ends", flush=True)  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        provider.stop()


if __name__ == "__main__":
    main()
