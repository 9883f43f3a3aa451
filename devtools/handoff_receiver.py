"""A reference receiver for kreiswerk's hand-off: what a Fachverfahren does with what it gets.

It speaks real HTTP and checks everything it is sent, with nothing but the standards:

- ``POST /fitconnect`` decrypts the metadata, data and attachments (compact JWE,
  RSA-OAEP-256 + A256GCM) with its private key, validates the metadata against the
  FIT-Connect metadata schema 1.0.0, checks every SHA-512 hash and, when it knows the
  submission schema named in the metadata, the data against it;
- ``POST /webhook`` checks the HMAC-SHA512 signature over ``timestamp.body`` and
  refuses a timestamp more than five minutes away.

A repeat of an accepted submission (same ``Idempotency-Key``) is answered like the
first and stored once. Run it by hand with ``python -m devtools.handoff_receiver``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import jsonschema
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from devtools.service import LocalService, send

METADATA_SCHEMA = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "kreiswerk"
    / "handoff"
    / "schemas"
    / "fitconnect-metadata-1.0.0.schema.json"
)
MAX_AGE_SECONDS = 300
JWE_REGISTRY = jwe.JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
# joserfc refuses ciphertexts over 64 KiB by default (a 48 KiB file); a Fachverfahren takes
# every upload the product accepts, so room for 64 MiB of plaintext in base64url.
JWE_REGISTRY.max_ciphertext_length = 4 * (64 * 1024 * 1024) // 3 + 4


def _multiple_of(validator, divisor, instance, schema):
    # Binary floats would call 19.99 no multiple of 0.01; money is checked in decimal.
    if validator.is_type(instance, "number") and Decimal(str(instance)) % Decimal(str(divisor)) != 0:
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


DecimalValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"multipleOf": _multiple_of})


class Rejected(Exception):
    def __init__(self, status: int, title: str, detail: str = ""):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


@dataclass
class Received:
    key: str
    kind: str  # "fitconnect" | "webhook"
    metadata: dict | None
    data: dict
    attachments: dict[str, bytes] = field(default_factory=dict)
    repeats: int = 0


def key_generate(kid: str = "kreiswerk-test") -> RSAKey:
    """A fresh 4096-bit key pair (FIT-Connect's minimum) for encryption with RSA-OAEP-256."""
    return RSAKey.generate_key(4096, parameters={"kid": kid, "use": "enc", "alg": "RSA-OAEP-256"}, private=True)


class Receiver(LocalService):
    """The receiving side; ``start()`` serves it on a port of 127.0.0.1, ``stop()`` takes it away."""

    def __init__(
        self,
        *,
        keys: list[RSAKey] | None = None,
        webhook_secret: str = "",
        submission_schemas: dict[str, dict] | None = None,
    ):
        super().__init__()
        self.keys = KeySet(keys or [])
        self.webhook_secret = webhook_secret
        self.submission_schemas = submission_schemas or {}
        self.metadata_validator = DecimalValidator(
            json.loads(METADATA_SCHEMA.read_text(encoding="utf-8")),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        self.received: dict[str, Received] = {}
        self.rejected: list[Rejected] = []
        # Answers to drop after storing: the sender sees a broken connection, as after a crash.
        self.lose_answers = 0

    # --- serving ---------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        try:
            if method != "POST":
                raise Rejected(405, "Method Not Allowed")
            if handler.path == "/fitconnect":
                status, answer = self.fitconnect(body, handler.headers)
            elif handler.path == "/webhook":
                status, answer = self.webhook(body, handler.headers)
            else:
                raise Rejected(404, "Not Found")
        except Rejected as exc:
            with self._lock:
                self.rejected.append(exc)
            self._answer(handler, exc.status, {"title": exc.title, "detail": exc.detail}, "application/problem+json")
            return
        with self._lock:
            lose = self.lose_answers > 0
            self.lose_answers -= int(lose)
        if lose:
            handler.close_connection = True
            handler.connection.shutdown(2)  # stored, but the answer never leaves
            return
        self._answer(handler, status, answer, "application/json")

    @staticmethod
    def _answer(handler, status: int, payload: dict, content_type: str) -> None:
        send(handler, status, json.dumps(payload).encode(), content_type)

    # --- checking --------------------------------------------------------------------------

    def _remember(self, received: Received) -> tuple[int, dict]:
        with self._lock:
            known = self.received.get(received.key)
            if known is not None:
                known.repeats += 1
            else:
                self.received[received.key] = received
        return 200, {"submissionId": received.key, "status": "accepted"}

    def _decrypt(self, token: object, what: str) -> bytes:
        if not isinstance(token, str):
            raise Rejected(422, f"{what} fehlt")
        try:
            return jwe.decrypt_compact(token, self.keys, registry=JWE_REGISTRY).plaintext
        except (JoseError, ValueError) as exc:
            raise Rejected(422, f"{what} lässt sich nicht entschlüsseln", type(exc).__name__) from None

    def fitconnect(self, body: bytes, headers) -> tuple[int, dict]:
        try:
            envelope = json.loads(body)
        except ValueError:
            raise Rejected(400, "Kein JSON") from None
        key = headers.get("Idempotency-Key") or ""
        if not key or envelope.get("submissionId") != key:
            raise Rejected(400, "submissionId und Idempotency-Key fehlen oder weichen ab")
        metadata = json.loads(self._decrypt(envelope.get("encryptedMetadata"), "Metadaten"))
        problems = sorted(self.metadata_validator.iter_errors(metadata), key=lambda error: error.json_path)
        if problems:
            raise Rejected(422, "Metadaten verletzen das FIT-Connect-Schema", problems[0].message)
        structure = metadata["contentStructure"]
        data = self._decrypt(envelope.get("encryptedData"), "Fachdaten")
        if hashlib.sha512(data).hexdigest() != structure["data"]["hash"]["content"]:
            raise Rejected(422, "Hashwert der Fachdaten stimmt nicht")
        document = json.loads(data)
        schema = self.submission_schemas.get(structure["data"]["submissionSchema"]["schemaUri"])
        if schema is not None:
            error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(document))
            if error is not None:
                raise Rejected(422, "Fachdaten verletzen das Fachdatenschema", error.message)
        sent = {item.get("attachmentId"): item.get("encryptedContent") for item in envelope.get("attachments", [])}
        announced = {item["attachmentId"]: item for item in structure["attachments"]}
        if set(sent) != set(announced):
            raise Rejected(422, "Anlagen weichen von den Metadaten ab")
        attachments = {}
        for attachment_id, item in announced.items():
            content = self._decrypt(sent[attachment_id], f"Anlage {attachment_id}")
            if hashlib.sha512(content).hexdigest() != item["hash"]["content"]:
                raise Rejected(422, f"Hashwert der Anlage {attachment_id} stimmt nicht")
            attachments[attachment_id] = content
        return self._remember(
            Received(key=key, kind="fitconnect", metadata=metadata, data=document, attachments=attachments)
        )

    def webhook(self, body: bytes, headers) -> tuple[int, dict]:
        stamp = headers.get("Callback-Timestamp") or ""
        given = headers.get("Callback-Authentication") or ""
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_AGE_SECONDS:
            raise Rejected(401, "Zeitstempel fehlt oder ist zu alt")
        expected = hmac.new(self.webhook_secret.encode(), stamp.encode() + b"." + body, hashlib.sha512).hexdigest()
        if not self.webhook_secret or not hmac.compare_digest(expected, given):
            raise Rejected(401, "Signatur ungültig")
        try:
            payload = json.loads(body)
            data = json.dumps(payload["data"], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
            claimed = payload["data_sha512"]
            # The signed id, not a header outside the signature: a replayed body is stored once.
            key = str(payload["id"])
        except (ValueError, KeyError, TypeError):
            raise Rejected(422, "Kein gültiger Webhook-Inhalt") from None
        if hashlib.sha512(data).hexdigest() != claimed:
            raise Rejected(422, "Hashwert der Fachdaten stimmt nicht")
        return self._remember(Received(key=key, kind="webhook", metadata=None, data=payload))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--key", type=Path, help="private key as JWK; created (with its public half beside) if missing")
    parser.add_argument("--secret", default="", help="the webhook's shared secret")
    options = parser.parse_args()
    keys = []
    if options.key:
        if not options.key.exists():
            key = key_generate()
            options.key.write_text(json.dumps(key.as_dict(private=True)))
            options.key.with_suffix(".public.json").write_text(json.dumps(key.as_dict(private=False)))
        keys.append(RSAKey.import_key(json.loads(options.key.read_text())))
    receiver = Receiver(keys=keys, webhook_secret=options.secret)
    receiver.port = options.port
    receiver.start()
    print(f"receiving on {receiver.url}/fitconnect and {receiver.url}/webhook; Ctrl-C ends")  # noqa: T201
    shown: set[str] = set()
    refusals = 0
    try:
        while True:
            time.sleep(2)
            for item in list(receiver.received.values()):
                if item.key not in shown:
                    shown.add(item.key)
                    print(f"{item.kind} {item.key}: accepted, {len(item.attachments)} files")  # noqa: T201
            for refusal in receiver.rejected[refusals:]:
                print(f"refused with {refusal.status}: {refusal.title} {refusal.detail}")  # noqa: T201
            refusals = len(receiver.rejected)
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
