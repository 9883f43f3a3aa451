"""The hand-over package of an Akte: a ZIP with every document version and an xdomea-style manifest.

Layout (flat, as xdomea packages are)::

    <process id>_Aussonderung.Aussonderung.0503.xml   the manifest
    <version id>.<ext>                                  every document version as stored (decrypted)
    <version id>_pdfa.pdf                               a PDF/A-2a rendition of every image version

File names inside the ZIP never contain user input; the original names are in the
manifest. What is PDF/A: the receipt (rendered by kreiswerk as PDF/A-2a), the
renditions of images (rendered here with WeasyPrint, same variant and tagging as the
receipt) and any other PDF whose uncompressed XMP metadata claims PDF/A (recorded as
a claim, not verified). Everything else is kept as it arrived, with its format
recorded. The manifest follows the structure of xdomea 3.x ``Aussonderung.Aussonderung.0503``
(Kopf, Schriftgutobjekt → Akte → Akteninhalt → Vorgang → Dokument → Version → Format →
Primaerdokument) in kreiswerk's own namespace, with size and SHA-256 of every file; it is
not validated against the xdomea schema.

Files are decrypted chunk by chunk into the ZIP (zip64, written to a file object), so a
big Akte never sits in memory; only an image being converted is held whole.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

import pikepdf
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from lxml import etree
from PIL import Image

from kreiswerk.cases.models import Akte, Case, Document, DocumentVersion
from kreiswerk.crypto.envelope import DecryptionError
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.receipt import PDF_VARIANT, pdfa_from_html

NAMESPACE = "urn:kreiswerk:aussonderung:1"
FORMAT = "kreiswerk-abgabe/1"
MODELLED_ON = "xdomea 3.1.0 Aussonderung.Aussonderung.0503"
MESSAGE = "Aussonderung.Aussonderung.0503"

# Images WeasyPrint (through Pillow) can place on a PDF/A page.
CONVERTIBLE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"}
# The largest image converted (pixels, bytes); larger ones stay originals only.
MAX_IMAGE_PIXELS = 80_000_000
MAX_IMAGE_BYTES = 50 * 1024 * 1024
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/heic": "heic",
    "image/heif": "heif",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/xml": "xml",
    "application/xml": "xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# Already compressed: stored, not deflated again.
COMPRESSIBLE = {"txt", "csv", "xml", "bin"}
# xdomea's Aussonderungsart: A archivwürdig, B bewerten (offer), V vernichten.
DISPOSAL_CODES = {Case.Disposal.ARCHIVE: "A", Case.Disposal.OFFER: "B", Case.Disposal.DESTROY: "V"}

# A PDF or image up to this size is held in memory while it is checked; larger ones go to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


class PackageError(Exception):
    """The package cannot be built (a file is missing or does not match its checksum)."""


@dataclass
class _Written:
    name: str
    size: int
    sha256: str


@dataclass
class _VersionEntry:
    version: DocumentVersion
    original: _Written
    format_version: str
    is_pdfa: bool
    rendition: _Written | None = None
    conversion_failed: bool = False


@dataclass
class PackageSummary:
    """What went into the package: file count, bytes and every version with its format."""

    manifest_name: str
    files: int = 0
    entries: list[_VersionEntry] = field(default_factory=list)


def package_filename(process_id: uuid.UUID) -> str:
    return f"{process_id}_{MESSAGE}.zip"


def manifest_filename(process_id: uuid.UUID) -> str:
    return f"{process_id}_{MESSAGE}.xml"


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")


# --- writing ----------------------------------------------------------------------------------


def akte_package_write(
    *,
    akte: Akte,
    process_id: uuid.UUID,
    target: BinaryIO,
    sender_unit_name: str = "",
    decisions: dict | None = None,
) -> PackageSummary:
    """Write the ZIP of ``akte`` (all its cases) to ``target``; raises PackageError on a bad file.

    ``decisions`` maps case ids to the archive's decision code (A or V); without one, a
    case carries its Vorgangsart's proposal.
    """
    cases = list(akte.cases.select_related("case_type", "version", "unit", "mandant").order_by("received_at", "pk"))
    summary = PackageSummary(manifest_name=manifest_filename(process_id))
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        per_case = []
        for case in cases:
            documents = []
            for document in case.documents.order_by("created_at", "pk"):
                entries = [
                    _version_write(archive, version, document)
                    for version in DocumentVersion.objects.filter(document=document).order_by("number")
                ]
                summary.entries.extend(entries)
                documents.append((document, entries))
            per_case.append((case, documents))
        manifest = manifest_build(
            akte=akte,
            process_id=process_id,
            cases=per_case,
            sender_unit_name=sender_unit_name,
            decisions=decisions or {},
        )
        archive.writestr(
            zipfile.ZipInfo(summary.manifest_name, date_time=_zip_time()),
            manifest,
            compress_type=zipfile.ZIP_DEFLATED,
        )
    summary.files = sum(1 + (entry.rendition is not None) for entry in summary.entries) + 1
    return summary


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = timezone.localtime()
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second)


def _open_entry(archive: zipfile.ZipFile, name: str):
    extension = name.rsplit(".", 1)[-1]
    info = zipfile.ZipInfo(name, date_time=_zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED if extension in COMPRESSIBLE else zipfile.ZIP_STORED
    return archive.open(info, "w", force_zip64=True)


def _version_write(archive: zipfile.ZipFile, version: DocumentVersion, document: Document) -> _VersionEntry:
    """Copy one version into the ZIP (checking its SHA-256); a PDF's format is read, an image converted."""
    name = f"{version.pk}.{extension_for(version.content_type)}"
    is_pdf = version.content_type == "application/pdf"
    with contextlib.ExitStack() as stack:
        # A PDF is read back for its PDF/A claim, an image for its conversion: both need the bytes again.
        kept = None
        if is_pdf or _convertible(version):
            kept = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
        size, sha256 = _copy_checked(archive, name, version, kept)
        entry = _VersionEntry(version=version, original=_Written(name, size, sha256), format_version="", is_pdfa=False)
        if kept is None:
            return entry
        kept.seek(0)
        if is_pdf:
            entry.format_version, entry.is_pdfa = pdf_format(kept)
            return entry
        pdf = image_pdfa_render(kept.read(), title=f"{document.get_kind_display()} {version.number}")
    if pdf is None:
        entry.conversion_failed = True
        return entry
    rendition_name = f"{version.pk}_pdfa.pdf"
    with _open_entry(archive, rendition_name) as handle:
        handle.write(pdf)
    entry.rendition = _Written(rendition_name, len(pdf), hashlib.sha256(pdf).hexdigest())
    return entry


def _copy_checked(archive: zipfile.ZipFile, name: str, version: DocumentVersion, kept) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        chunks = open_decrypted(version.path, bytes(version.key))
    except (FileNotFoundError, ValueError, TypeError, DecryptionError) as exc:
        raise PackageError(f"document version {version.pk}: file unavailable ({type(exc).__name__})") from None
    try:
        with _open_entry(archive, name) as handle:
            for chunk in chunks:
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if kept is not None:
                    kept.write(chunk)
    except DecryptionError:
        raise PackageError(f"document version {version.pk}: cannot be decrypted") from None
    finally:
        chunks.close()
    if digest.hexdigest() != version.sha256:
        raise PackageError(f"document version {version.pk}: checksum does not match")
    return size, digest.hexdigest()


def _convertible(version: DocumentVersion) -> bool:
    return version.content_type in CONVERTIBLE_IMAGES and version.size <= MAX_IMAGE_BYTES


def pdf_format(stream: BinaryIO) -> tuple[str, bool]:
    """("PDF/A-2a", True) when the XMP metadata claims PDF/A (a claim, not validated), else ("PDF 1.7", False)."""
    try:
        with pikepdf.open(stream) as pdf:
            metadata = pdf.open_metadata()
            part = str(metadata.get("pdfaid:part") or "").strip()
            conformance = str(metadata.get("pdfaid:conformance") or "").strip().lower()
            version = str(pdf.pdf_version)
    except Exception:  # qpdf reports damaged files in many ways; the original stays, its format unknown
        return "PDF (nicht lesbar)", False
    if part in {"1", "2", "3", "4"}:
        return f"PDF/A-{part}{conformance}", True
    return f"PDF {version}", False


# --- PDF/A renditions of images ---------------------------------------------------------------

_IMAGE_URL = "file:///kreiswerk/aussonderung/bild"


def image_pdfa_render(data: bytes, *, title: str) -> bytes | None:
    """One A4 page with the image, as tagged PDF/A-2a; None if the image cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return None
            image.verify()
    except Exception:  # Pillow raises many kinds for broken or hostile images
        return None
    page = (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        "<style>@page { size: A4; margin: 10mm } body { margin: 0 }"
        "img { display: block; margin: 0 auto; max-width: 190mm; max-height: 277mm; object-fit: contain }"
        f'</style></head><body><img src="{_IMAGE_URL}" alt="{escape(title)}"></body></html>'
    )
    try:
        pdf = pdfa_from_html(page, resources={_IMAGE_URL: data})
    except Exception:  # WeasyPrint and Pillow: any failure leaves the original as the only format
        return None
    # WeasyPrint replaces an image it cannot load by its alt text: that is no rendition.
    return pdf if b"/Image" in pdf else None


# --- manifest ---------------------------------------------------------------------------------


# Characters XML 1.0 cannot carry (a title or file name might hold one); lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _element(parent, tag: str, text=None, **attributes):
    node = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attributes)
    if text is not None:
        node.text = _NOT_XML.sub("\ufffd", str(text))
    return node


def _code(parent, tag: str, code: str):
    node = _element(parent, tag)
    _element(node, "code", code)
    return node


def _date(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _moment(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _laufzeit(parent, start, end) -> None:
    node = _element(parent, "Laufzeit")
    if start:
        _element(node, "Beginn", start)
    if end:
        _element(node, "Ende", end)


def manifest_build(
    *, akte: Akte, process_id: uuid.UUID, cases: list, sender_unit_name: str = "", decisions: dict
) -> bytes:
    """The manifest XML (UTF-8) for ``cases``: [(case, [(document, [_VersionEntry])])]."""
    root = etree.Element(f"{{{NAMESPACE}}}{MESSAGE}", nsmap={None: NAMESPACE}, format=FORMAT, vorbild=MODELLED_ON)
    head = _element(root, "Kopf")
    _element(head, "ProzessID", process_id)
    _code(head, "Nachrichtentyp", "0503")
    _element(head, "Erstellungszeitpunkt", _moment(timezone.now()))
    sender = _element(head, "Absender")
    institution = _element(sender, "Institution")
    _element(institution, "Name", akte.mandant.name)
    _element(institution, "Kurzbezeichnung", akte.mandant.reference_prefix)
    if sender_unit_name:
        _element(sender, "Organisationseinheit", sender_unit_name)
    receiver = _element(head, "Empfaenger")
    _element(_element(receiver, "Institution"), "Name", settings.KREISWERK_ARCHIVE_NAME)
    system = _element(head, "SendendesSystem")
    _element(system, "Produktname", "kreiswerk")
    _element(head, "Importbestaetigung", "true")

    body = _element(root, "Schriftgutobjekt")
    file_node = _element(body, "Akte")
    _element(_element(file_node, "Identifikation"), "ID", akte.pk)
    metadata = _element(file_node, "AllgemeineMetadaten")
    _element(metadata, "Betreff", akte.title)
    _element(metadata, "Kennzeichen", akte.reference)
    if akte.filing_position_id:
        position = _element(metadata, "Aktenplaneinheit")
        _element(position, "Kennzeichen", akte.filing_position.number)
        _element(position, "Inhalt", akte.filing_position.title)
    codes = {case.pk: decisions.get(case.pk) or DISPOSAL_CODES.get(case.disposal, "B") for case, _d in cases}
    archival = _element(file_node, "ArchivspezifischeMetadaten")
    overall = next((code for code in ("A", "B", "V") if code in codes.values()), "B")
    _code(_element(archival, "Aussonderungsart"), "Aussonderungsart", overall)
    _laufzeit(
        file_node,
        _date(min((case.received_at for case, _d in cases), default=akte.opened_at)),
        _date(akte.closed_at),
    )
    content = _element(file_node, "Akteninhalt")
    for case, documents in cases:
        _case_element(content, case, documents, code=codes[case.pk])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _case_element(parent, case: Case, documents: list, *, code: str) -> None:
    node = _element(parent, "Vorgang")
    _element(_element(node, "Identifikation"), "ID", case.pk)
    metadata = _element(node, "AllgemeineMetadaten")
    _element(metadata, "Betreff", case.case_type.title)
    _element(metadata, "Kennzeichen", case.reference)
    archival = _element(node, "ArchivspezifischeMetadaten")
    _code(_element(archival, "Aussonderungsart"), "Aussonderungsart", code)
    _code(archival, "Bewertungsvorschlag", DISPOSAL_CODES.get(case.disposal, "B"))
    if case.retention_until:
        _element(archival, "AufzubewahrenBis", case.retention_until.isoformat())
    _laufzeit(node, _date(case.received_at), _date(case.closed_at))
    _element(node, "Typ", case.case_type.key)
    result = case.result_definition
    if result is not None:
        _element(node, "Ergebnis", result.title)
    for document, entries in documents:
        _document_element(node, document, entries)


def _document_element(parent, document: Document, entries: list[_VersionEntry]) -> None:
    node = _element(parent, "Dokument")
    _element(_element(node, "Identifikation"), "ID", document.pk)
    _element(_element(node, "AllgemeineMetadaten"), "Betreff", document.title)
    _element(node, "Typ", document.get_kind_display())
    if document.direction == Document.Direction.INCOMING:
        _element(node, "Posteingangsdatum", _date(document.created_at))
    elif document.direction == Document.Direction.OUTGOING:
        _element(node, "Postausgangsdatum", _date(document.created_at))
    for entry in entries:
        version = _element(node, "Version")
        _element(version, "Nummer", entry.version.number)
        _format_element(
            version,
            written=entry.original,
            content_type=entry.version.content_type,
            format_version=entry.format_version,
            is_pdfa=entry.is_pdfa,
            role="Original",
            original_name=entry.version.filename,
            created=entry.version.created_at,
            conversion_failed=entry.conversion_failed,
        )
        if entry.rendition is not None:
            _format_element(
                version,
                written=entry.rendition,
                content_type="application/pdf",
                format_version=_variant_label(),
                is_pdfa=True,
                role="Archivfassung",
                original_name="",
                created=timezone.now(),
            )


def _variant_label() -> str:
    part, _, level = PDF_VARIANT.partition("-")
    return f"{part.upper()}-{level}"


def _format_element(
    parent,
    *,
    written: _Written,
    content_type: str,
    format_version: str,
    is_pdfa: bool,
    role: str,
    original_name: str,
    created: datetime.datetime,
    conversion_failed: bool = False,
) -> None:
    node = _element(parent, "Format")
    _code(node, "Name", written.name.rsplit(".", 1)[-1])
    _element(node, "SonstigerName", content_type)
    if format_version:
        _element(node, "Version", format_version)
    primary = _element(node, "Primaerdokument")
    _element(primary, "Dateiname", written.name)
    if original_name:
        _element(primary, "DateinameOriginal", original_name)
    _element(primary, "DatumUhrzeit", _moment(created))
    _element(primary, "Groesse", written.size)
    _element(primary, "Pruefsumme", written.sha256, algorithmus="SHA-256")
    _element(node, "Fassung", role)
    _element(node, "PDFA", "true" if is_pdfa else "false")
    if conversion_failed:
        _element(node, "Hinweis", "Umwandlung in PDF/A nicht möglich; nur das Original ist enthalten.")
