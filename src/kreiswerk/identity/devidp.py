"""An identity provider inside kreiswerk for development and tests, standing in for BundID.

Switched on by ``KREISWERK_DEV_IDP`` (refused together with ``KREISWERK_PRODUCTION``).
It is a real SAML IdP (pysaml2) with its own self-signed key: it reads our signed
AuthnRequest, lets a tester pick a person and the level reached, and answers with a
signed, encrypted assertion carrying BundID's attribute OIDs. Tests use
``response_for`` to build the faulty answers a real IdP or an attacker might send.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import STATUS_AUTHN_FAILED
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from . import attributes, saml
from .keys import key_pair_files
from .models import TrustLevel


@dataclass(frozen=True)
class Persona:
    key: str
    bpk2: str
    values: dict[str, str]

    @property
    def name(self) -> str:
        return f"{self.values['given_name']} {self.values['family_name']}"


PERSONAS = (
    Persona(
        "erika",
        "DEMO-BPK2-ERIKA-MUSTERMANN-0001",
        {
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birth_name": "Gabler",
            "birth_date": "1964-08-12",
            "place_of_birth": "Berlin",
            "nationality": "D",
            "postal_address": "Heidestraße 17",
            "postal_code": "51147",
            "city": "Köln",
            "country": "D",
            "email": "erika.mustermann@example.org",
        },
    ),
    Persona(
        "max",
        "DEMO-BPK2-MAX-MUSTERMANN-0002",
        {
            "given_name": "Max",
            "family_name": "Mustermann",
            "birth_date": "1990-01-31",
            "postal_address": "Marktplatz 1a",
            "postal_code": "73430",
            "city": "Aalen",
            "country": "D",
            "email": "max.mustermann@example.org",
        },
    ),
)


def persona(key: str) -> Persona:
    return next(item for item in PERSONAS if item.key == key)


def entity_id() -> str:
    return f"{settings.KREISWERK_BASE_URL}/anmeldung/test-idp/metadaten/"


def sso_url() -> str:
    return f"{settings.KREISWERK_BASE_URL}/anmeldung/test-idp/sso/"


def key_pair() -> tuple[str, str]:
    return key_pair_files(Path(settings.DATA_DIR) / "identity" / "test-idp", "kreiswerk Test-IdP (nur Entwicklung)")


def _sp_metadata(audience: str) -> str:
    """The metadata of the SP the IdP answers: ours, or (in tests) ours under another entity id."""
    sp_key, sp_cert = saml.sp_key_pair()
    sp = SPConfig()
    sp.load(saml.config_dict(entity=audience, acs=saml.acs_url(), key=sp_key, cert=sp_cert, idp_metadata=None))
    return create_metadata_string(None, config=sp).decode()


def _config(key: str, cert: str, *, lifetime_minutes: int = 5, audience: str | None = None) -> IdPConfig:
    audiences = {saml.entity_id(), audience or saml.entity_id()}
    config = IdPConfig()
    config.load(
        {
            "entityid": entity_id(),
            "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            "key_file": key,
            "cert_file": cert,
            "metadata": {"inline": [_sp_metadata(item) for item in sorted(audiences)]},
            "allow_unknown_attributes": True,
            "delete_tmpfiles": True,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(sso_url(), BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lifetime_minutes},
                            "name_form": NAME_FORMAT_URI,
                            "attribute_restrictions": None,
                        }
                    },
                }
            },
        }
    )
    return config


def metadata_xml() -> str:
    return _metadata(server())


@lru_cache(maxsize=4)
def _metadata(idp: Server) -> str:
    return create_metadata_string(None, config=idp.config).decode()


def server(*, signing_key: tuple[str, str] | None = None, lifetime_minutes: int = 5, audience=None) -> Server:
    key, cert = signing_key or key_pair()
    return _server(key, cert, lifetime_minutes, audience, saml.entity_id(), saml.acs_url(), entity_id())


@lru_cache(maxsize=8)
def _server(key, cert, lifetime_minutes, audience, *_settings_in_effect) -> Server:
    # Building the configuration reads keys and writes metadata: once per combination, not per login.
    return Server(config=_config(key, cert, lifetime_minutes=lifetime_minutes, audience=audience))


def request_read(saml_request: str) -> dict:
    """The parts of a redirect-bound AuthnRequest the login page shows and the answer needs."""
    parsed = server().parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
    message = parsed.message
    requested = None
    context = message.requested_authn_context
    if context is not None and context.authn_context_class_ref:
        requested = TrustLevel.from_class_ref(context.authn_context_class_ref[0].text)
    return {"id": message.id, "issuer": message.issuer.text if message.issuer is not None else "", "level": requested}


def response_for(
    *,
    request_id: str,
    who: Persona,
    level: TrustLevel,
    audience: str | None = None,
    destination: str | None = None,
    sign: bool = True,
    encrypt: bool = True,
    signing_key: tuple[str, str] | None = None,
    lifetime_minutes: int = 5,
) -> str:
    """The base64 SAMLResponse for a login of ``who`` at ``level``; the keyword arguments make faulty ones."""
    idp = server(signing_key=signing_key, lifetime_minutes=lifetime_minutes, audience=audience)
    identity = {attributes.OID_OF[name]: [value] for name, value in who.values.items() if name in attributes.OID_OF}
    identity[attributes.OID_OF["bpk2"]] = [who.bpk2]
    identity[attributes.OID_OF["trust_level"]] = [level.class_ref]
    _sp_key, sp_cert = saml.sp_key_pair()
    response = idp.create_authn_response(
        identity,
        in_response_to=request_id,
        destination=destination or saml.acs_url(),
        sp_entity_id=audience or saml.entity_id(),
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=who.bpk2),
        authn={"class_ref": level.class_ref, "authn_auth": entity_id()},
        sign_assertion=sign,
        sign_response=False,
        encrypt_assertion=encrypt,
        encrypt_cert_assertion=Path(sp_cert).read_text() if encrypt else None,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return base64.b64encode(str(response).encode()).decode()


def failure_for(*, request_id: str) -> str:
    """The answer when the person cancels at the IdP: status AuthnFailed, no assertion."""
    response = server().create_error_response(request_id, saml.acs_url(), (STATUS_AUTHN_FAILED, "abgebrochen"))
    return base64.b64encode(str(response).encode()).decode()
