"""What the API sends and takes. Field names are English; codes are those of the Vorgangsart."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, Field

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_text(value):
    # pydantic would also take "0" or 1700000000 as a date; the API promises YYYY-MM-DD only.
    if not isinstance(value, datetime.date) and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_text)]


class Problem(Schema):
    """RFC 9457 problem details with the message in German and English."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    messages: dict[str, str] = Field(description="The detail in every language: de, en.")
    errors: list[dict] | None = None


class Coded(Schema):
    key: str
    title: str


class UnitOut(Schema):
    code: str
    name: str


class CaseTypeOut(Schema):
    key: str
    title: str
    version: int


class CaseSummary(Schema):
    id: uuid.UUID
    reference: str = Field(description="Aktenzeichen")
    case_type: CaseTypeOut
    unit: UnitOut
    status: Coded
    is_open: bool
    result: Coded | None
    received_at: datetime.datetime
    closed_at: datetime.datetime | None
    due_on: datetime.date | None = Field(description="The nearest deadline that is not met yet.")
    assignee: str | None = Field(description="User name of the caseworker, if assigned.")
    submission: uuid.UUID | None = Field(description="The online application the case came from.")


class CasePage(Schema):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PartyOut(Schema):
    role: str
    name: str
    email: str | None
    phone: str | None
    address: dict | None
    channel: str


class DeadlineOut(Schema):
    kind: str
    start: datetime.date
    duration: str = Field(description="ISO 8601 duration, e.g. P3M")
    due_on: datetime.date | None
    met_at: datetime.datetime | None


class VersionOut(Schema):
    id: uuid.UUID
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime.datetime
    content: str = Field(description="Path of the content download.")


class DocumentOut(Schema):
    id: uuid.UUID
    kind: str
    direction: str
    title: str
    created_at: datetime.datetime
    versions: list[VersionOut]


class CaseDetail(CaseSummary):
    documents_complete_on: datetime.date | None
    parties: list[PartyOut]
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut]
    transitions: list[Coded] = Field(description="Statuses the case may move to from its current status.")


class StatusIn(Schema):
    status: str = Field(min_length=1, max_length=63, description="Key of a status of the Vorgangsart.")


class AttachmentOut(Schema):
    id: uuid.UUID
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    content: str = Field(description="Path of the content download.")


class AssistantOut(Schema):
    slug: str
    title: str
    version: int = Field(description="The published version.")
    leika: str = Field(description="LeiKa key of the service, if given.")
    unit: UnitOut
    data_schema: str = Field(description="Path of the JSON Schema of its submission data.")


class SubmissionSummary(Schema):
    id: uuid.UUID
    reference: str
    assistant: str = Field(description="Slug of the Antragsassistent.")
    assistant_version: int
    unit: UnitOut
    submitted_at: datetime.datetime
    language: str
    case: uuid.UUID | None


class SubmissionPage(Schema):
    items: list[SubmissionSummary]
    next_cursor: str | None


class SubmissionDetail(SubmissionSummary):
    data_schema: str = Field(description="Path of the JSON Schema the answers follow.")
    answers: dict
    computed: dict
    attachments: list[AttachmentOut]
