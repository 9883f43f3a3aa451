"""The receipt (Eingangsbestätigung): an archivable, accessible PDF of what arrived.

The PDF is PDF/A-2a, rendered by WeasyPrint from ``submissions/receipt_pdf.html``:

* PDF/A-2 is the archival format German e-records guidance asks for
  (e-Akte, TR-ESOR); unlike PDF/A-1 it allows transparency and PDF 1.7, and
  unlike PDF/A-3 it forbids arbitrary embedded files, which a receipt never needs.
* Conformance level "a" (accessible) requires a tagged logical structure, Unicode
  text and a document language, so WeasyPrint switches ``pdf_tags`` on for it.
  PDF/A-4 has no level "a" (its variants do not force tagging), and WeasyPrint
  takes only one ``pdf_variant``, so PDF/UA-1 is not claimed in addition: the
  tagging is the same that WeasyPrint would write for it.
* PDF/A needs every font embedded: the receipt uses KERN's Fira Sans when the
  static files hold it (``make static`` copies it from node_modules) and DejaVu
  Sans (Debian's fonts-dejavu-core) otherwise; WeasyPrint embeds subsets of both.

The receipt is always German (the official language, § 23 VwVfG), whatever
language the citizen used. It is stored encrypted like an upload; the database
holds the path and the key header.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kreiswerk.assistants import evaluation, fields
from kreiswerk.assistants.definition import Definition, Element, localized
from kreiswerk.crypto import files as encrypted_files
from kreiswerk.tenancy.models import OrganisationalUnit

from .links import status_url
from .models import Submission

logger = logging.getLogger(__name__)

__all__ = [
    "PDF_VARIANT",
    "RECEIPT_NAMESPACE",
    "receipt_context",
    "receipt_ensure",
    "receipt_pdf_bytes",
    "receipt_pdf_render",
]

PDF_VARIANT = "pdf/a-2a"
RECEIPT_NAMESPACE = "receipts"
RECEIPT_LANGUAGE = "de"
TIME_ZONE = ZoneInfo("Europe/Berlin")

# KERN's Fira Sans as ``make static`` copies it; (CSS weight, static path).
_FIRA_SANS = (
    (400, "vendor/kern/fonts/fira-sans/FiraSans-Regular.woff2"),
    (700, "vendor/kern/fonts/fira-sans/FiraSans-Bold.woff2"),
)


# --- rendering ------------------------------------------------------------------------------


def receipt_pdf_render(*, submission: Submission) -> bytes:
    """Render the receipt of ``submission`` as PDF/A-2a bytes (nothing is stored)."""
    with translation.override(RECEIPT_LANGUAGE):
        return pdfa_render(template="submissions/receipt_pdf.html", context=receipt_context(submission))


def pdfa_render(*, template: str, context: dict) -> bytes:
    """Render ``template`` to tagged PDF/A-2a; call it with the document's language active."""
    return pdfa_from_html(render_to_string(template, context))


def pdfa_from_html(html: str, *, resources: dict[str, bytes] | None = None) -> bytes:
    """Tagged PDF/A-2a from ``html`` in KERN's Fira Sans (where installed; else DejaVu Sans).

    The document may load only the bundled fonts and the given ``resources`` (URL → bytes).
    """
    fonts = _bundled_fonts()
    faces = "".join(
        f'@font-face {{ font-family: "Fira Sans"; src: url("{url}"); font-weight: {weight}; font-style: normal; }}'
        for url, (weight, _path) in fonts.items()
    )
    font_config = FontConfiguration()
    document = HTML(string=html, url_fetcher=_ClosedFetcher(fonts, resources or {}))
    stylesheets = [CSS(string=faces, font_config=font_config, url_fetcher=_ClosedFetcher(fonts, {}))] if faces else []
    return document.write_pdf(stylesheets=stylesheets, font_config=font_config, pdf_variant=PDF_VARIANT, pdf_tags=True)


def _bundled_fonts() -> dict[str, tuple[int, Path]]:
    """``{file URL: (weight, path)}`` of the Fira Sans files present; empty if not installed."""
    found = {}
    for weight, name in _FIRA_SANS:
        path = finders.find(name)
        if not path:
            return {}
        path = Path(path).resolve()
        found[path.as_uri()] = (weight, path)
    return found


class _ClosedFetcher(URLFetcher):
    """Loads only the font files and resources it was given: our PDFs never fetch anything else.

    Answers are escaped by the templates, so they cannot add URLs; this is the second line.
    """

    def __init__(self, fonts: dict[str, tuple[int, Path]], resources: dict[str, bytes]):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self._fonts = fonts
        self._resources = resources

    def fetch(self, url, headers=None):
        if url in self._resources:
            return URLFetcherResponse(url, self._resources[url])
        entry = self._fonts.get(url)
        if entry is None:
            raise ValueError("A PDF of ours loads no external resources.")
        return URLFetcherResponse(url, _font_sfnt(entry[1]))


@functools.lru_cache(maxsize=8)
def _font_sfnt(path: Path) -> bytes:
    """The font as plain TrueType/OpenType, unpacked from WOFF2 once per process.

    WeasyPrint would otherwise decompress the WOFF2 file on every PDF, which took longer
    than laying out a short receipt.
    """
    font = TTFont(path)
    font.flavor = None
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


# --- content --------------------------------------------------------------------------------


def receipt_context(submission: Submission) -> dict[str, Any]:
    """Everything the template shows; call with the receipt language active."""
    definition: Definition = submission.version.parsed
    answers = submission.answers
    computed_values = submission.computed
    attachments = list(submission.attachments.order_by("uploaded_at", "id"))
    file_names = {str(attachment.pk): attachment.filename for attachment in attachments}
    local = timezone.localtime(submission.submitted_at, TIME_ZONE)
    title = localized(definition.title, RECEIPT_LANGUAGE)

    computed = []
    fee = ""
    for item in definition.computed:
        value = _computed_display(item.key, item.type, computed_values.get(item.key))
        computed.append({"label": localized(item.label, RECEIPT_LANGUAGE), "value": value})
        if item.key == definition.fee:
            fee = value

    return {
        "submission": submission,
        "mandant": submission.mandant,
        "unit_name": unit_chain(submission.unit),
        "title": title,
        "document_title": _("Eingangsbestätigung %(reference)s – %(title)s")
        % {"reference": submission.reference, "title": title},
        "version_number": submission.version.number,
        "reference": submission.reference,
        "submitted_date": date_format(local, "d.m.Y"),
        "submitted_time": date_format(local, "H:i"),
        "submitted_iso": local.isoformat(timespec="seconds"),
        "created_iso": timezone.localtime(timezone.now(), TIME_ZONE).isoformat(timespec="seconds"),
        "steps": answer_sections(definition, answers, files=file_names),
        "computed": computed,
        "fee": fee,
        "attachments": [
            {
                "name": attachment.filename,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "sha256": attachment.sha256,
            }
            for attachment in attachments
        ],
        "is_test": submission.is_test,
        "status_link": status_url(submission.pk),
    }


def unit_chain(unit: OrganisationalUnit) -> str:
    """The unit and the units above it, nearest first: "Sachgebiet Gewerbe, Amt für …"."""
    ids = [int(part) for part in (unit.path or "").strip("/").split("/") if part.isdigit()]
    if len(ids) <= 1:
        return unit.name
    names = dict(OrganisationalUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
    return ", ".join(names[pk] for pk in reversed(ids) if pk in names) or unit.name


def _computed_display(key: str, kind: str, value: Any) -> str:
    if value is None or value == "":
        return _("nicht berechnet")
    try:
        shown = fields.display(Element(key=key, type=kind), value, language=RECEIPT_LANGUAGE)
        return shown or str(value)
    except (ArithmeticError, TypeError, ValueError):
        return str(value)


def answer_sections(definition: Definition, answers: dict, *, files: dict[str, str]) -> list[dict]:
    """Per visible step its title and a flat list of blocks for the template.

    Blocks are ``{"kind": ...}`` with kind ``heading`` (level, text), ``rows`` (label/value
    pairs for one table), ``section_start``/``section_end`` (a group), ``list_start``/
    ``list_end`` (a repeat) and ``item_start``/``item_end`` (one of its entries). The
    template turns each into markup; a flat list keeps it free of recursive includes.
    """
    data = evaluation.rule_data(definition, answers)
    return [
        {
            "title": localized(step.title, RECEIPT_LANGUAGE),
            "blocks": _blocks(step.elements, answers, data, files, level=4),
        }
        for step in evaluation.visible_steps(definition, answers)
    ]


def _blocks(elements, answers: dict, data: dict, files: dict, *, level: int) -> list[dict]:
    blocks: list[dict] = []
    rows: list[dict] = []

    def flush() -> None:
        if rows:
            blocks.append({"kind": "rows", "rows": list(rows)})
            rows.clear()

    for element in elements:
        if not evaluation.element_visible(element, data):
            continue
        label = localized(element.label, RECEIPT_LANGUAGE)
        if element.type == "group":
            inner = _blocks(element.elements, answers, data, files, level=level + 1)
            if inner:
                flush()
                blocks.append({"kind": "section_start"})
                blocks.append(_heading(level, label))
                blocks.extend(inner)
                blocks.append({"kind": "section_end"})
        elif element.type == "repeat":
            items = [item for item in answers.get(element.key) or [] if isinstance(item, dict)]
            if not items:
                rows.append({"label": label, "value": _("keine Einträge")})
                continue
            flush()
            blocks.append(_heading(level, label))
            blocks.append({"kind": "list_start"})
            item_label = localized(element.item_label, RECEIPT_LANGUAGE) or _("Eintrag")
            for number, item in enumerate(items, start=1):
                item_data = {**data, **_typed_item(element, item)}
                blocks.append({"kind": "item_start"})
                blocks.append(_heading(level + 1, f"{item_label} {number}"))
                blocks.extend(_blocks(element.elements, item, item_data, files, level=level + 2))
                blocks.append({"kind": "item_end"})
            blocks.append({"kind": "list_end"})
        elif element.is_input:
            value = _display(element, answers.get(element.key), files)
            rows.append({"label": label, "value": value})
    flush()
    return blocks


def _typed_item(element: Element, item: dict) -> dict:
    """One repeat entry as rules see it (as evaluation does for visibility in entries)."""
    children = [leaf for child in element.elements for leaf in child.inputs()]
    return {child.key: fields.rule_value(child, item.get(child.key)) for child in children}


def _display(element: Element, value: Any, files: dict[str, str]) -> str:
    if element.type == "repeat":  # only inside a repeat, which the definition forbids
        return _("keine Angabe")
    shown = fields.display(element, value, language=RECEIPT_LANGUAGE, files=files)
    return shown or _("keine Angabe")


def _heading(level: int, text: str) -> dict:
    return {"kind": "heading", "level": min(level, 6), "text": text}


# --- storage --------------------------------------------------------------------------------


def receipt_ensure(*, submission: Submission) -> Submission:
    """Render and store the receipt unless it is stored already; returns the submission.

    Rendering happens outside any transaction (it takes a moment and would hold
    the database lock); the path is then set only if it is still empty, so two
    concurrent runs keep exactly one receipt and the loser deletes its file.
    """
    if not submission.receipt_path:  # the instance may predate the job's run
        submission.refresh_from_db(fields=["receipt_path", "receipt_key"])
    if submission.receipt_path:
        return submission
    pdf = receipt_pdf_render(submission=submission)
    stored = encrypted_files.store_encrypted([pdf], namespace=RECEIPT_NAMESPACE)
    try:
        with transaction.atomic():
            won = Submission.objects.filter(pk=submission.pk, receipt_path="").update(
                receipt_path=stored.path, receipt_key=stored.key_header
            )
    except BaseException:
        encrypted_files.delete_stored(stored.path)
        raise
    if won:
        submission.receipt_path = stored.path
        submission.receipt_key = stored.key_header
        logger.info("receipt stored for submission %s", submission.pk)
    else:
        encrypted_files.delete_stored(stored.path)
        submission.refresh_from_db(fields=["receipt_path", "receipt_key"])
    return submission


def receipt_pdf_bytes(*, submission: Submission) -> bytes:
    """The stored receipt, decrypted; rendered and stored first if the job has not run yet."""
    submission = receipt_ensure(submission=submission)
    chunks = encrypted_files.open_decrypted(submission.receipt_path, bytes(submission.receipt_key))
    try:
        return b"".join(chunks)
    finally:
        chunks.close()
