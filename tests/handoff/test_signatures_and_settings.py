"""Webhook signatures hold against tampering and replay; destinations refuse settings that would leak."""

import json
import time

import httpx
import pytest
from devtools.handoff_receiver import key_generate
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.handoff import services
from kreiswerk.handoff.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

from .conftest import SECRET

BODY = json.dumps({"id": "d-1", "data": {"answers": {"x": 1}}, "data_sha512": ""}).encode()


def _post(receiver, body: bytes, *, timestamp: int, signed_body: bytes | None = None, secret: str = SECRET):
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp=timestamp, body=signed_body if signed_body is not None else body),
        "Idempotency-Key": "d-1",
    }
    return httpx.post(receiver.url + "/webhook", content=body, headers=headers)


def _signed_payload() -> bytes:
    import hashlib

    data = {"answers": {"x": 1}}
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({"id": "d-1", "data": data, "data_sha512": hashlib.sha512(canonical).hexdigest()}).encode()


def test_the_receiver_takes_a_fresh_signed_body(receiver):
    assert _post(receiver, _signed_payload(), timestamp=int(time.time())).status_code == 200


def test_a_tampered_body_is_refused(receiver):
    body = _signed_payload()
    tampered = body.replace(b'"x": 1', b'"x": 2')
    response = _post(receiver, tampered, timestamp=int(time.time()), signed_body=body)
    assert response.status_code == 401 and response.json()["title"] == "Signatur ungültig"
    assert receiver.received == {}


def test_an_old_timestamp_is_refused_even_when_signed(receiver):
    response = _post(receiver, _signed_payload(), timestamp=int(time.time()) - 301)
    assert response.status_code == 401 and "Zeitstempel" in response.json()["title"]
    assert receiver.received == {}


def test_another_secret_is_refused(receiver):
    response = _post(receiver, _signed_payload(), timestamp=int(time.time()), secret="anderes-" + "z" * 40)
    assert response.status_code == 401


@given(body=st.binary(max_size=200), timestamp=st.integers(min_value=0, max_value=2**40), flip=st.integers(0, 127))
def test_any_change_to_body_or_timestamp_changes_the_signature(body, timestamp, flip):
    original = signature(SECRET, timestamp=timestamp, body=body)
    assert len(original) == 128
    assert signature(SECRET, timestamp=timestamp + 1, body=body) != original
    changed = bytes([*body, flip]) if not body else bytes([body[0] ^ (flip or 1), *body[1:]])
    assert signature(SECRET, timestamp=timestamp, body=changed) != original


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "webhook", "url": "http://fachverfahren.example/hook", "secret": SECRET}, "url", "https"),
        ({"kind": "webhook", "url": "https://user:pw@fv.example/hook", "secret": SECRET}, "url", "Zugangsdaten"),
        ({"kind": "webhook", "url": "https://fv.example/hook", "secret": "kurz"}, "secret", "mindestens 32"),
        ({"kind": "webhook", "url": "", "secret": SECRET}, "url", "Adresse"),
        ({"kind": "email", "email": "kein-postfach"}, "email", "Funktionspostfach"),
        ({"kind": "fitconnect", "url": "https://fv.example/submissions", "public_key": "{}"}, "public_key", "RSA"),
        ({"kind": "fitconnect", "url": "https://fv.example/submissions", "public_key": "x"}, "public_key", "JWK"),
    ],
)
def test_destination_settings_are_checked(version, fields, field, message):
    with pytest.raises(ValidationError) as error:
        services.destination_create(assistant=version.assistant, name="Ziel", **fields)
    assert message in " ".join(error.value.message_dict[field])


@pytest.mark.django_db
def test_a_private_key_a_short_key_and_a_key_without_id_are_refused(version, receiver_key):
    private = receiver_key.as_dict(private=True)
    public = receiver_key.as_dict(private=False)
    short = key_generate().as_dict(private=False)
    short.update({"n": public["n"][:200]})  # 1200 bits
    cases = [
        (private, "privater Schlüssel"),
        ({key: value for key, value in public.items() if key != "kid"}, "kid"),
        ({**public, "alg": "RSA1_5"}, "RSA-OAEP-256"),
        (short, "4096 Bit"),
    ]
    for jwk, message in cases:
        with pytest.raises(ValidationError) as error:
            services.destination_create(
                assistant=version.assistant,
                name="FV",
                kind="fitconnect",
                url="https://fv.example/submissions",
                public_key=json.dumps(jwk),
            )
        assert message in " ".join(error.value.message_dict["public_key"]), jwk


@pytest.mark.django_db
def test_one_name_per_assistant(version, webhook):
    with pytest.raises(ValidationError) as error:
        services.destination_create(
            assistant=version.assistant, name="Statistik", kind="email", email="statistik@kreis.example"
        )
    assert "schon ein Übergabeziel" in error.value.message_dict["name"][0]


def test_every_cent_amount_fits_the_fitconnect_metadata_schema():
    from kreiswerk.handoff.contrib.fitconnect import metadata_validator

    validator = metadata_validator()
    for cents in range(1, 10_001):
        metadata = {
            "contentStructure": {"attachments": []},
            "paymentInformation": {
                "transactionReference": "KZ-1",
                "transactionId": "t-1",
                "paymentMethod": "PAYPAL",
                "status": "BOOKED",
                "grossAmount": cents / 100,
            },
        }
        assert not list(validator.iter_errors(metadata)), cents / 100
    wrong = {**metadata, "paymentInformation": {**metadata["paymentInformation"], "grossAmount": 19.999}}
    assert list(validator.iter_errors(wrong))
