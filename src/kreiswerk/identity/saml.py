"""BundID over SAML 2.0: our service provider's configuration, the AuthnRequest and the check of the answer.

pysaml2 does the XML signature and encryption work (with Debian's ``xmlsec1``); this
module decides what we ask for (trust level, the AKDB extension with the requested
attributes) and what we accept: a signed, encrypted assertion for our entity id,
answering one request of ours, not expired, at the level that request asked for.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import logging
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, ExtensionElement
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef
from saml2.samlp import Extensions, RequestedAuthnContext
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from . import attributes
from .keys import key_pair_files
from .models import TrustLevel

logger = logging.getLogger(__name__)

PROVIDER = "bundid"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
AKDB_NS = "https://www.akdb.de/request/2018/09"
CLASSIC_UI_NS = "https://www.akdb.de/request/2018/09/classic-ui/v1"
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
# Defused parsing for the one look we take before pysaml2 checks the signature.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
MAX_RESPONSE_BYTES = 512 * 1024


class LoginRefused(Exception):
    """A login answer we do not accept; ``message`` is for the citizen, ``reason`` for the log."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    """A verified answer: who logged in, at which level, with which attributes."""

    subject: str
    level: TrustLevel
    attributes: dict[str, str]
    # SAML only: the assertion, remembered until it expires so that it counts once.
    assertion_id: str = ""
    valid_until: datetime.datetime | None = None


def enabled() -> bool:
    return bool(settings.KREISWERK_SAML_IDP_METADATA) or settings.KREISWERK_DEV_IDP


def entity_id() -> str:
    return settings.KREISWERK_SAML_ENTITY_ID or f"{settings.KREISWERK_BASE_URL}/anmeldung/saml/metadaten/"


def acs_url() -> str:
    return f"{settings.KREISWERK_BASE_URL}/anmeldung/saml/antwort/"


def sp_key_pair() -> tuple[str, str]:
    if settings.KREISWERK_SAML_SP_KEY and settings.KREISWERK_SAML_SP_CERT:
        return settings.KREISWERK_SAML_SP_KEY, settings.KREISWERK_SAML_SP_CERT
    if settings.PRODUCTION:
        raise ImproperlyConfigured("KREISWERK_SAML_SP_KEY and KREISWERK_SAML_SP_CERT must be set in production.")
    return key_pair_files(Path(settings.DATA_DIR) / "identity" / "sp", "kreiswerk SAML SP (development)")


def _idp_metadata() -> str:
    if settings.KREISWERK_SAML_IDP_METADATA:
        return Path(settings.KREISWERK_SAML_IDP_METADATA).read_text(encoding="utf-8")
    from . import devidp  # only when the development IdP is switched on

    return devidp.metadata_xml()


def config_dict(*, entity: str, acs: str, key: str, cert: str, idp_metadata: str | None) -> dict:
    return {
        "entityid": entity,
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
        "metadata": {"inline": [idp_metadata]} if idp_metadata else {},
        # Clocks of two servers; a minute is what BundID's own guidance tolerates.
        "accepted_time_diff": 60,
        "allow_unknown_attributes": True,
        "delete_tmpfiles": True,
        "service": {
            "sp": {
                "name": "kreiswerk",
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }


@lru_cache(maxsize=4)
def _config(entity: str, acs: str, key: str, cert: str, idp_metadata: str) -> SPConfig:
    config = SPConfig()
    config.load(config_dict(entity=entity, acs=acs, key=key, cert=cert, idp_metadata=idp_metadata))
    return config


def client() -> Saml2Client:
    key, cert = sp_key_pair()
    return Saml2Client(config=_config(entity_id(), acs_url(), key, cert, _idp_metadata()))


def sp_metadata() -> str:
    """Our metadata for BundID's registration: entity id, ACS, signing and encryption certificate."""
    key, cert = sp_key_pair()
    config = SPConfig()
    config.load(config_dict(entity=entity_id(), acs=acs_url(), key=key, cert=cert, idp_metadata=None))
    return create_metadata_string(None, config=config, valid=24 * 365).decode()


def _akdb_extension() -> Extensions:
    requested = [
        ExtensionElement(
            "RequestedAttribute",
            namespace=AKDB_NS,
            attributes={
                "Name": attributes.OID_OF[name],
                "RequiredAttribute": "true" if name in attributes.REQUIRED else "false",
            },
        )
        for name in attributes.REQUESTED
    ]
    children = [ExtensionElement("RequestedAttributes", namespace=AKDB_NS, children=requested)]
    display = [
        ExtensionElement(tag, namespace=CLASSIC_UI_NS, text=value)
        for tag, value in (
            ("OrganizationDisplayName", settings.KREISWERK_SAML_ORGANIZATION_NAME),
            ("OnlineServiceId", settings.KREISWERK_SAML_ONLINE_SERVICE_ID),
        )
        if value
    ]
    if display:
        version = ExtensionElement("Version", namespace=CLASSIC_UI_NS, children=display)
        children.append(ExtensionElement("DisplayInformation", namespace=AKDB_NS, children=[version]))
    request = ExtensionElement(
        "AuthenticationRequest", namespace=AKDB_NS, attributes={"Version": "2"}, children=children
    )
    return Extensions(extension_elements=[request])


def idp_entity_id() -> str:
    providers = client().metadata.identity_providers()
    if len(providers) != 1:
        raise ImproperlyConfigured("The IdP metadata must describe exactly one identity provider.")
    return providers[0]


def authn_request(*, level: TrustLevel) -> tuple[str, str]:
    """A signed AuthnRequest for at least ``level``; returns its id and the URL to send the browser to."""
    saml_client = client()
    context = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=level.class_ref)], comparison="minimum"
    )
    request_id, info = saml_client.prepare_for_authenticate(
        entityid=idp_entity_id(),
        binding=BINDING_HTTP_REDIRECT,
        extensions=_akdb_extension(),
        requested_authn_context=context,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    location = dict(info["headers"])["Location"]
    return request_id, location


def peek(saml_response: str) -> tuple[str, bool]:
    """The request id an answer claims to answer, and whether its assertion is encrypted.

    Read before any signature check, only to find the request; nothing else is trusted from it.
    """
    if not saml_response or len(saml_response) > MAX_RESPONSE_BYTES:
        raise LoginRefused(_unreadable(), reason="size")
    try:
        root = etree.fromstring(base64.b64decode(saml_response, validate=False), _PARSER)
    except (binascii.Error, ValueError, etree.XMLSyntaxError) as exc:
        raise LoginRefused(_unreadable(), reason="unparsable") from exc
    if root.tag != f"{{{PROTOCOL_NS}}}Response":
        raise LoginRefused(_unreadable(), reason="not_a_response")
    encrypted = root.find(f"{{{ASSERTION_NS}}}EncryptedAssertion") is not None
    plain = root.find(f"{{{ASSERTION_NS}}}Assertion") is not None
    return root.get("InResponseTo") or "", encrypted and not plain


def _unreadable() -> str:
    return _("Die Antwort des Anmeldedienstes konnte nicht gelesen werden. Bitte melden Sie sich erneut an.")


def answer_verify(saml_response: str, *, request_id: str) -> Answer:
    """Check an answer to request ``request_id`` completely; raises LoginRefused otherwise."""
    refused = _("Die Anmeldung konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.")
    _claimed, encrypted = peek(saml_response)
    try:
        response = client().parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: request_id}
        )
    except Exception as exc:  # pysaml2 raises a zoo of types; every one of them means "not accepted"
        status = type(exc).__name__
        if status.startswith("Status"):
            message = _("Die Anmeldung wurde abgebrochen oder vom Anmeldedienst abgelehnt.")
            raise LoginRefused(message, reason=status) from exc
        raise LoginRefused(refused, reason=f"{status}: {exc}") from exc
    if response is None or response.assertion is None:
        raise LoginRefused(refused, reason="no_assertion")
    # BundID encrypts every assertion for us; a readable one did not come that way.
    if not encrypted:
        raise LoginRefused(refused, reason="assertion_not_encrypted")
    assertion = response.assertion
    # The Response wrapper is not signed, so its InResponseTo proves nothing on its own: the signed
    # assertion must name this request in every bearer confirmation, and come from our IdP.
    confirmations = [item for item in assertion.subject.subject_confirmation if item.method == BEARER]
    if response.in_response_to != request_id or not confirmations:
        raise LoginRefused(refused, reason="in_response_to")
    for confirmation in confirmations:
        data = confirmation.subject_confirmation_data
        if data is None or data.in_response_to != request_id:
            raise LoginRefused(refused, reason="assertion_for_another_request")
    if not assertion.id or assertion.issuer is None or assertion.issuer.text != idp_entity_id():
        raise LoginRefused(refused, reason="issuer")
    levels = [TrustLevel.from_class_ref(class_ref) for class_ref, *_rest in response.authn_info()]
    values = _attribute_values(assertion)
    reported = values.get(attributes.OID_OF["trust_level"], "")
    if not levels or None in levels or (reported and TrustLevel.from_class_ref(reported) is None):
        raise LoginRefused(refused, reason="no_level")
    known = [*levels, *([TrustLevel.from_class_ref(reported)] if reported else [])]
    found = attributes.normalise(values)
    subject = found.get("bpk2") or (response.name_id.text if response.name_id is not None else "")
    if not subject:
        raise LoginRefused(refused, reason="no_subject")
    found.pop("bpk2", None)
    found.pop("trust_level", None)
    # Where the context and the attribute disagree, the lower one is what was proven.
    return Answer(
        subject=subject,
        level=min(known),
        attributes=found,
        assertion_id=assertion.id,
        valid_until=_valid_until(assertion),
    )


def _valid_until(assertion) -> datetime.datetime:
    """Until when the assertion could be presented again (its conditions, else the request's life)."""
    moments = [assertion.conditions.not_on_or_after] if assertion.conditions is not None else []
    moments += [
        item.subject_confirmation_data.not_on_or_after
        for item in assertion.subject.subject_confirmation
        if item.subject_confirmation_data is not None
    ]
    parsed = [parse_datetime(moment) for moment in moments if moment]
    parsed = [moment for moment in parsed if moment is not None]
    fallback = timezone.now() + datetime.timedelta(hours=1)
    return max(parsed, default=fallback) + datetime.timedelta(minutes=2)


def _attribute_values(assertion) -> dict[str, str]:
    values = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            texts = [value.text for value in attribute.attribute_value if value.text]
            if texts:
                values[attribute.name.replace("urn:oid: ", "urn:oid:")] = texts[0]
    return values


def sso_origins() -> list[str]:
    """Where our login forms lead on to (through a redirect), for CSP ``form-action``."""
    if not enabled():
        return []
    saml_client = client()
    origins = []
    for provider in saml_client.metadata.identity_providers():
        for service in saml_client.metadata.single_sign_on_service(provider, BINDING_HTTP_REDIRECT):
            parts = urlsplit(service["location"])
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))
