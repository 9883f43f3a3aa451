"""Demo Aussonderung for ``kreiswerk demo``: a few old, closed cases whose retention ran out.

They are opened years back, taken through their statuses and closed like any case,
then dated back (closure and retention) as if the closure had happened then. Each gets
a small PDF (a Vermerk) and some a photo, so a hand-over shows an original PDF and a PDF/A
rendition of an image. Idempotent: a Vorgangsart that already has cases received in
the year named below gets none for that line.
"""

from __future__ import annotations

import datetime
import io
import random

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from kreiswerk.cases import services as case_services
from kreiswerk.cases.models import Akte, Case, CaseTypeVersion, Document, Party
from kreiswerk.crypto.files import store_encrypted

from .services import disposal_reviews_list

# (Mandant slug, Vorgangsart key, result key, year received, how many, with a photo)
EXPIRED = (
    ("musterkreis", "gewerbeanmeldung", "bewilligt", 2013, 3, True),
    ("musterkreis", "gewerbeanmeldung", "zurueckgenommen", 2018, 2, False),
    ("musterkreis", "informationszugang", "abgelehnt", 2017, 1, False),
    ("musterkreis", "reitkennzeichen", "erledigt", 2019, 2, True),
    ("musterstadt", "hundeanmeldung", "veranlagt", 2012, 2, False),
)
NAMES = ["Hannelore Berger", "Karl-Heinz Vogt", "Sabine Krämer", "Dieter Lang", "Monika Hahn", "Uwe Schuster"]
NAMES += ["Petra Keller", "Jürgen Frank", "Gisela Roth", "Horst Beck"]

# A minimal one-page PDF 1.4 (not PDF/A): the hand-over keeps it as it is and says so.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _photo(seed: int) -> bytes:
    image = Image.new("RGB", (640, 420), (220, 228, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40 + seed % 60, 60, 600, 360), outline=(30, 60, 110), width=6)
    draw.ellipse((200, 120, 440, 300), fill=(120, 160, 90))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _document(case: Case, *, title: str, filename: str, content: bytes, content_type: str, kind: str) -> None:
    case_services.document_add(
        case=case,
        kind=kind,
        direction=Document.Direction.INCOMING if kind == Document.Kind.ATTACHMENT else Document.Direction.INTERNAL,
        title=title,
        filename=filename,
        content_type=content_type,
        stored=store_encrypted([content], namespace="documents"),
    )


def _close(case: Case, result: str) -> Case:
    """Take the case through its statuses to a final one and close it with ``result``."""
    definition = case.definition
    for _step in range(len(definition.statuses)):
        status = case.status_definition
        if status is not None and status.final:
            break
        following = definition.transitions.get(case.status, ())
        if not following:
            break
        for item in case_services.open_checklist_items(case):
            case = case_services.checklist_check(case=case, item=item.key, actor=None)
        case = case_services.case_status_change(case=case, status=following[0], actor=None)
    for item in case_services.open_checklist_items(case):
        case = case_services.checklist_check(case=case, item=item.key, actor=None)
    return case_services.case_close(case=case, result=result, actor=None)


def demo_expired_cases_generate(*, seed: int = 2026) -> tuple[int, int]:
    """Old closed cases with expired retention, then the review listing; returns (cases, reviews)."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - invented demo data
    created = 0
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        for slug, key, result_key, year, count, with_photo in EXPIRED:
            version = CaseTypeVersion.objects.filter(
                case_type__mandant__slug=slug, case_type__key=key, state=CaseTypeVersion.State.PUBLISHED
            ).first()
            if version is None or version.parsed.result(result_key) is None:
                continue
            if Case.objects.filter(case_type=version.case_type, received_at__year=year).exists():
                continue
            for index in range(count):
                received = datetime.datetime(year, rng.randint(1, 10), rng.randint(1, 28), 9, 30, tzinfo=tz)
                case = case_services.case_open(version=version, received_at=received)
                case_services.party_add(case=case, role=Party.Role.APPLICANT, name=rng.choice(NAMES))
                _document(
                    case,
                    title="Aktenvermerk",
                    filename=f"Vermerk-{index + 1}.pdf",
                    content=_PDF,
                    content_type="application/pdf",
                    kind=Document.Kind.INTERNAL,
                )
                if with_photo:
                    _document(
                        case,
                        title="Foto",
                        filename=f"foto-{index + 1}.png",
                        content=_photo(index),
                        content_type="image/png",
                        kind=Document.Kind.ATTACHMENT,
                    )
                case = _close(case, result_key)
                # Back-date the closure as if it had happened a few weeks after receipt.
                closed = received + datetime.timedelta(days=rng.randint(14, 60))
                until = case_services.retention_until(closed_on=closed.date(), result=version.parsed.result(result_key))
                Case.objects.filter(pk=case.pk).update(closed_at=closed, retention_until=until)
                Akte.objects.filter(pk=case.akte_id).update(closed_at=closed)
                created += 1
    return created, len(disposal_reviews_list())
