"""The attributes BundID returns (by OID) and the names kreiswerk prefills forms with."""

from __future__ import annotations

import datetime
import re

from kreiswerk.assistants.fields import ADDRESS_PARTS

# BundID attribute names (urn:oid:…) → our attribute names.
OIDS = {
    "urn:oid:1.3.6.1.4.1.25484.494450.3": "bpk2",
    "urn:oid:2.5.4.42": "given_name",
    "urn:oid:2.5.4.4": "family_name",
    "urn:oid:1.2.40.0.10.2.1.1.225566": "birth_name",
    "urn:oid:1.2.40.0.10.2.1.1.55": "birth_date",
    "urn:oid:1.3.6.1.5.5.7.9.2": "place_of_birth",
    "urn:oid:1.2.40.0.10.2.1.1.225577": "nationality",
    "urn:oid:2.5.4.16": "postal_address",
    "urn:oid:2.5.4.17": "postal_code",
    "urn:oid:2.5.4.7": "city",
    "urn:oid:1.2.40.0.10.2.1.1.225599": "country",
    "urn:oid:0.9.2342.19200300.100.1.3": "email",
    "urn:oid:2.5.4.20": "phone",
    "urn:oid:1.2.40.0.10.2.1.1.261.94": "trust_level",
}
OID_OF = {name: oid for oid, name in OIDS.items()}

# What an assistant's field may be prefilled with (``prefill`` in the definition).
PREFILLABLE = (
    "given_name",
    "family_name",
    "birth_name",
    "birth_date",
    "place_of_birth",
    "nationality",
    "email",
    "phone",
    "address",
)

# Read from the ID document (or certificate) at level substantiell and above, so locked in the form;
# e-mail and phone belong to the account and stay editable.
FROM_DOCUMENT = frozenset(
    {"given_name", "family_name", "birth_name", "birth_date", "place_of_birth", "nationality", "address"}
)

# Requested from BundID; the pseudonym is the one attribute we cannot do without.
REQUESTED = (
    "bpk2",
    "given_name",
    "family_name",
    "birth_date",
    "postal_address",
    "postal_code",
    "city",
    "country",
    "email",
)
REQUIRED = ("bpk2",)

_HOUSE_NUMBER = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")


def normalise(raw: dict[str, str]) -> dict[str, str]:
    """Our attribute names from the provider's; unknown names are dropped, values trimmed."""
    values = {}
    for name, value in raw.items():
        ours = OIDS.get(name, name if name in OID_OF else None)
        if ours and isinstance(value, str) and value.strip():
            values[ours] = " ".join(value.split())[:300]
    if "birth_date" in values:
        values["birth_date"] = _iso_date(values["birth_date"])
    if "postal_address" in values:
        street, number = split_street(values["postal_address"])
        values["street"], values["house_number"] = street, number
    return {key: value for key, value in values.items() if value}


def split_street(text: str) -> tuple[str, str]:
    """„Musterstraße 12a“ → („Musterstraße“, „12a“); a street without number stays whole."""
    match = _HOUSE_NUMBER.match(text.strip())
    if not match:
        return text.strip(), ""
    return match["street"].strip().rstrip(","), re.sub(r"\s+", "", match["number"])


def _iso_date(text: str) -> str:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return ""


def prefill_value(name: str, attributes: dict[str, str]):
    """The value for a field with ``prefill: <name>``, in the field's own answer format; None when unknown."""
    if name == "address":
        parts = {part: attributes.get(part, "") for part in ADDRESS_PARTS}
        return parts if any(parts.values()) else None
    return attributes.get(name) or None


def from_oidc(claims: dict) -> dict[str, str]:
    """Our attribute names from standard OIDC claims (as a Keycloak BundID mapper delivers them)."""
    address = claims.get("address") if isinstance(claims.get("address"), dict) else {}
    birthplace = claims.get("place_of_birth") if isinstance(claims.get("place_of_birth"), dict) else {}
    nationalities = claims.get("nationalities") if isinstance(claims.get("nationalities"), list) else [None]
    raw = {
        "given_name": claims.get("given_name"),
        "family_name": claims.get("family_name"),
        "birth_name": claims.get("birth_family_name"),
        "birth_date": claims.get("birthdate"),
        "place_of_birth": birthplace.get("locality"),
        "nationality": nationalities[0] if nationalities else None,
        "email": claims.get("email"),
        "phone": claims.get("phone_number"),
        "postal_address": address.get("street_address"),
        "postal_code": address.get("postal_code"),
        "city": address.get("locality"),
        "country": address.get("country"),
    }
    return normalise({name: value for name, value in raw.items() if isinstance(value, str)})
