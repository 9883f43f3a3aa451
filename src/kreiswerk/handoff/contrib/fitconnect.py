"""FIT-Connect style: metadata and data and every attachment as compact JWE for the destination's key.

Metadata follow the FIT-Connect metadata schema 1.0.0 (content structure with SHA-512
hashes of the unencrypted parts, submission schema, attachments with purpose and id).
Where FIT-Connect announces, uploads and submits in three calls, one POST carries the
same pieces, so a delivery arrives whole or not at all; ``submissionId`` (the delivery's
id, also sent as ``Idempotency-Key``) lets the endpoint recognise a repeat.
"""

from __future__ import annotations

import functools
import json
import warnings
from decimal import Decimal
from pathlib import Path

import jsonschema
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from kreiswerk.assistants.definition import localized
from kreiswerk.submissions.receipt import TIME_ZONE
from kreiswerk.submissions.tasks import confirmation_address

from ..base import Channel, Outcome, Refused
from ..models import Delivery, Destination
from ..package import Package, PackageInvalid
from ..registry import register
from ..transport import post_delivery, url_problem

METADATA_SCHEMA = "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"
KEY_ALGORITHM = "RSA-OAEP-256"
CONTENT_ALGORITHM = "A256GCM"
# FIT-Connect's payment methods; XBezahldienste reports the same names.
PAYMENT_METHODS = {"GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "INVOICE", "OTHER"}
MIN_KEY_BITS = 4096  # what FIT-Connect requires of a destination's encryption key
REGISTRY = jwe.JWERegistry(algorithms=[KEY_ALGORITHM, CONTENT_ALGORITHM])
METADATA_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "fitconnect-metadata-1.0.0.schema.json"


def _multiple_of(validator, divisor, instance, schema):
    """``multipleOf`` in decimal arithmetic: 19.99 is a multiple of 0.01, whatever binary floats say."""
    if validator.is_type(instance, "number") and Decimal(str(instance)) % Decimal(str(divisor)) != 0:
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


MetadataValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"multipleOf": _multiple_of})


@functools.cache
def metadata_validator():
    schema = json.loads(METADATA_SCHEMA_FILE.read_text(encoding="utf-8"))
    return MetadataValidator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def public_key_load(text: str) -> RSAKey:
    """The destination's public key from its JWK; ``ValueError`` with a German reason otherwise."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(_("Der Schlüssel ist kein JSON Web Key (JWK).")) from None
    if not isinstance(data, dict) or data.get("kty") != "RSA":
        raise ValueError(_("Der Schlüssel muss ein RSA-Schlüssel im JWK-Format sein.")) from None
    if "d" in data:
        raise ValueError(_("Das ist ein privater Schlüssel. Hinterlegen Sie nur den öffentlichen Schlüssel."))
    if data.get("use", "enc") != "enc" or data.get("alg", KEY_ALGORITHM) != KEY_ALGORITHM:
        raise ValueError(_("Der Schlüssel muss für die Verschlüsselung mit RSA-OAEP-256 bestimmt sein."))
    if not data.get("kid"):
        raise ValueError(_("Dem Schlüssel fehlt die Schlüssel-ID (kid)."))
    try:
        with warnings.catch_warnings():  # a short key gets the German refusal below, not a warning
            warnings.simplefilter("ignore")
            key = RSAKey.import_key(data)
    except (JoseError, ValueError, TypeError):
        raise ValueError(_("Der Schlüssel lässt sich nicht lesen.")) from None
    if key.public_key.key_size < MIN_KEY_BITS:
        raise ValueError(_("Der Schlüssel muss mindestens %(bits)s Bit lang sein.") % {"bits": MIN_KEY_BITS})
    return key


def encrypt(plaintext: bytes, key: RSAKey, *, content_type: str) -> str:
    header = {"alg": KEY_ALGORITHM, "enc": CONTENT_ALGORITHM, "kid": key.kid, "cty": content_type}
    return jwe.encrypt_compact(header, plaintext, key, registry=REGISTRY)


def metadata_build(package: Package) -> dict:
    submission = package.submission
    definition = submission.version.parsed
    metadata: dict = {
        "$schema": METADATA_SCHEMA,
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": package.data_sha512},
                "submissionSchema": {"schemaUri": package.schema_uri, "mimeType": "application/json"},
            },
            "attachments": [
                {
                    "hash": {"type": "sha512", "content": item.sha512},
                    "purpose": item.purpose,
                    "filename": item.filename,
                    "mimeType": item.content_type,
                    "attachmentId": str(item.attachment_id),
                }
                for item in package.files
            ],
        },
        "additionalReferenceInfo": {
            "senderReference": submission.reference,
            "applicationDate": timezone.localtime(submission.submitted_at, TIME_ZONE).date().isoformat(),
        },
    }
    if definition.leika:
        metadata["publicServiceType"] = {
            "name": str(localized(definition.title, "de")),
            "identifier": f"urn:de:fim:leika:leistung:{definition.leika}",
        }
    address = confirmation_address(submission)
    if address:
        metadata["replyChannel"] = {"eMail": {"address": address}}
    payment = submission.payments.filter(status="BOOKED").first()
    if payment is not None:
        metadata["paymentInformation"] = payment_information(payment)
    error = jsonschema.exceptions.best_match(metadata_validator().iter_errors(metadata))
    if error is not None:
        raise PackageInvalid(f"metadata break the FIT-Connect schema at {error.json_path}: {error.validator}")
    return metadata


def payment_information(payment) -> dict:
    """The booked payment as FIT-Connect's ``paymentInformation``."""
    information = {
        "transactionReference": payment.reference or str(payment.request_id),
        "transactionId": payment.transaction_id or str(payment.request_id),
        "paymentMethod": payment.method if payment.method in PAYMENT_METHODS else "OTHER",
        "status": payment.status,
        "grossAmount": float(payment.amount),
    }
    if payment.booked_at:
        information["transactionTimestamp"] = payment.booked_at.isoformat()
    return information


def envelope_build(*, delivery: Delivery, package: Package, key: RSAKey) -> dict:
    """The request body: everything but ids and the service type is encrypted."""
    body: dict = {
        "submissionId": str(delivery.pk),
        "encryptedMetadata": encrypt(
            json.dumps(metadata_build(package), ensure_ascii=False).encode(), key, content_type="application/json"
        ),
        "encryptedData": encrypt(package.data, key, content_type="application/json"),
        "attachments": [
            {
                "attachmentId": str(item.attachment_id),
                "encryptedContent": encrypt(item.content, key, content_type=item.content_type),
            }
            for item in package.files
        ],
    }
    if delivery.destination.destination_id:
        body["destinationId"] = str(delivery.destination.destination_id)
    leika = package.submission.version.parsed.leika
    if leika:
        body["serviceType"] = {"identifier": f"urn:de:fim:leika:leistung:{leika}"}
    return body


@register
class FitConnectChannel(Channel):
    kind = Destination.Kind.FITCONNECT

    def clean(self, destination: Destination) -> dict[str, str]:
        errors = {}
        problem = (
            url_problem(destination.url) if destination.url else _("Bitte geben Sie die Adresse des Zustellpunkts an.")
        )
        if problem:
            errors["url"] = problem
        try:
            public_key_load(destination.public_key)
        except ValueError as exc:
            errors["public_key"] = str(exc)
        return errors

    def deliver(self, *, delivery: Delivery, package: Package) -> Outcome:
        try:
            key = public_key_load(delivery.destination.public_key)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        body = json.dumps(envelope_build(delivery=delivery, package=package, key=key)).encode()
        return post_delivery(delivery, body=body)
