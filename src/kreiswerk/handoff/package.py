"""What is handed off for a submission: its data as JSON, the receipt PDF and every attachment.

Built once per attempt from the encrypted store, checked against the version's JSON
Schema before anything leaves the house: a destination never gets data that breaks
the schema its metadata names.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from functools import cached_property

import jsonschema

from kreiswerk.api.representation import schema_uri as schema_uri_of
from kreiswerk.assistants.submission_schema import submission_schema
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.receipt import receipt_pdf_bytes

# Stable ids for the receipt, which is no Attachment row: the same on every attempt.
RECEIPT_NAMESPACE = uuid.UUID("0b6f5d8e-4a51-4c63-9d0c-2f1f3b7c8a10")


class PackageInvalid(Exception):
    """The stored data does not fit its own schema: a defect, never sent."""


@dataclass(frozen=True)
class PackageFile:
    attachment_id: uuid.UUID
    filename: str
    content_type: str
    # FIT-Connect's purpose: "form" for the application as PDF, "attachment" for uploads.
    purpose: str
    content: bytes

    @cached_property
    def sha512(self) -> str:
        return hashlib.sha512(self.content).hexdigest()


@dataclass(frozen=True)
class Package:
    submission: Submission
    data: bytes
    schema_uri: str
    files: list[PackageFile] = field(default_factory=list)

    @cached_property
    def data_sha512(self) -> str:
        return hashlib.sha512(self.data).hexdigest()


def package_build(*, submission: Submission) -> Package:
    version = submission.version
    document = {"answers": submission.answers, "computed": submission.computed}
    schema_uri = schema_uri_of(version)
    validator = jsonschema.Draft202012Validator(submission_schema(version.parsed, schema_id=schema_uri))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "/"
        raise PackageInvalid(f"data does not fit schema at {where}: {error.validator}")
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    receipt = PackageFile(
        attachment_id=uuid.uuid5(RECEIPT_NAMESPACE, str(submission.pk)),
        filename=f"Antrag-{submission.reference}.pdf",
        content_type="application/pdf",
        purpose="form",
        content=receipt_pdf_bytes(submission=submission),
    )
    files = [receipt]
    for attachment in submission.attachments.order_by("uploaded_at", "id"):
        chunks = open_decrypted(attachment.path, bytes(attachment.key))
        try:
            content = b"".join(chunks)
        finally:
            chunks.close()
        files.append(
            PackageFile(
                attachment_id=attachment.pk,
                filename=attachment.filename,
                content_type=attachment.content_type,
                purpose="attachment",
                content=content,
            )
        )
    return Package(submission=submission, data=data, schema_uri=schema_uri, files=files)
