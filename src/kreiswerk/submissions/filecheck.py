"""Content checks for uploaded attachments.

The type of a file is decided by its content (libmagic via python-magic),
never by its name or the Content-Type the browser sent. The name only has to
agree with the content: a ``.pdf`` whose content is HTML or an executable is
refused.

Assistant definitions name allowed types by the short keys of ``FILE_TYPES``
("pdf", "jpeg", ...). ``check_file`` returns a ``CheckedFile`` or raises
``FileRejected`` with a German message for the applicant.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import magic
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# How much of a file libmagic gets when we hand it bytes ourselves.
SNIFF_BYTES = 1024 * 1024
# Zip containers (docx, xlsx, odt, ods): bounds for looking inside.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_MARKER_BYTES = 512 * 1024

_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ZIP_EOCD = b"PK\x05\x06"


class FileRejected(Exception):
    """An uploaded file is not accepted; ``message`` is shown to the applicant."""

    default_message = _("Die Datei wurde nicht angenommen.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class FileType:
    key: str
    label: object  # lazy translation
    mimes: frozenset[str]
    extensions: tuple[str, ...]  # lower case, without dot; the first one is canonical
    container: bool = False  # decided by looking inside a zip container


def _ft(key, label, mimes, extensions, container=False) -> FileType:
    return FileType(key, label, frozenset(mimes), tuple(extensions), container)


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."

FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        _ft("pdf", "PDF", ["application/pdf"], ["pdf"]),
        _ft("jpeg", "JPEG", ["image/jpeg"], ["jpg", "jpeg", "jpe"]),
        _ft("png", "PNG", ["image/png"], ["png"]),
        _ft("heic", "HEIC", ["image/heic", "image/heif"], ["heic", "heif"]),
        _ft("tiff", "TIFF", ["image/tiff"], ["tif", "tiff"]),
        # Plain text is plain text; a CSV or XML file without tell-tale
        # structure is reported as text/plain and accepted under its name.
        _ft("txt", _("Text"), ["text/plain"], ["txt"]),
        _ft("csv", "CSV", ["text/csv", "application/csv", "text/plain"], ["csv"]),
        _ft("xml", "XML", ["text/xml", "application/xml", "text/plain"], ["xml"]),
        _ft("docx", _("Word (DOCX)"), [_OOXML + "wordprocessingml.document"], ["docx"], True),
        _ft("xlsx", _("Excel (XLSX)"), [_OOXML + "spreadsheetml.sheet"], ["xlsx"], True),
        _ft("odt", _("OpenDocument-Text (ODT)"), [_ODF + "text"], ["odt"], True),
        _ft("ods", _("OpenDocument-Tabelle (ODS)"), [_ODF + "spreadsheet"], ["ods"], True),
    )
}

# The one type a MIME type stands for when nothing else is known.
_PRIMARY_BY_MIME = {
    "text/plain": "txt",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/xml": "xml",
    "application/xml": "xml",
}
for _type in FILE_TYPES.values():
    for _mime in _type.mimes:
        _PRIMARY_BY_MIME.setdefault(_mime, _type.key)

# Main part content types in [Content_Types].xml; macro-enabled variants
# (docm, xlsm) have other content types and are therefore not recognised.
_OOXML_MAIN = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_ODF_MIMETYPE = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


@dataclass(frozen=True)
class CheckedFile:
    type_key: str
    mime: str
    extension: str  # lower case, without dot: the name's own if it fits, else the canonical one


def validate_type_keys(keys) -> list[str]:
    """Return ``keys`` as a list; raise ValueError for unknown keys (assistant definitions)."""
    keys = list(keys)
    unknown = [key for key in keys if key not in FILE_TYPES]
    if unknown:
        raise ValueError(f"Unbekannte Dateitypen: {', '.join(unknown)}")
    return keys


def type_labels(keys) -> str:
    """Human-readable list such as "PDF, JPEG" for messages and help texts."""
    return ", ".join(str(FILE_TYPES[key].label) for key in validate_type_keys(keys))


def accept_attribute(keys) -> str:
    """Value for ``<input type=file accept=...>``: a hint for browsers, not a check."""
    items: list[str] = []
    for key in validate_type_keys(keys):
        items += [f".{ext}" for ext in FILE_TYPES[key].extensions]
    return ",".join(dict.fromkeys(items))


def _normalise_mime(value: str) -> str:
    # libmagic sometimes appends details ("application/x-executable, no program header").
    return value.split(";", 1)[0].split(",", 1)[0].strip().lower()


def _extension(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    return ext.lower() if dot and stem.strip(". ") and ext else ""


def _zip_entry_count(fileobj) -> int | None:
    """Entries announced in the end-of-central-directory record, read before zipfile does."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    tail_size = min(size, 22 + 0xFFFF)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    pos = tail.rfind(_ZIP_EOCD)
    if pos < 0 or len(tail) - pos < 22:
        return None
    (total,) = struct.unpack("<H", tail[pos + 10 : pos + 12])
    if total == 0xFFFF:  # zip64: not needed for office documents
        return None
    return total


def _zip_container_type(fileobj) -> str | None:
    """docx/xlsx/odt/ods by the marker files inside a zip, or None."""
    try:
        entries = _zip_entry_count(fileobj)
        if entries is None or entries > ZIP_MAX_ENTRIES:
            return None
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                return None
            names = {info.filename: info for info in infos}
            lowered = [name.lower() for name in names]

            def read(name: str) -> bytes | None:
                info = names.get(name)
                if info is None or info.file_size > ZIP_MAX_MARKER_BYTES:
                    return None
                with archive.open(info) as member:
                    return member.read(ZIP_MAX_MARKER_BYTES + 1)[:ZIP_MAX_MARKER_BYTES]

            content_types = read("[Content_Types].xml")
            if content_types is not None:
                if any(name.endswith("vbaproject.bin") for name in lowered):
                    return None  # macros
                found = {key for marker, key in _OOXML_MAIN.items() if marker in content_types}
                part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
                if len(found) == 1:
                    (key,) = found
                    return key if part[key] in names else None
                return None
            mimetype = read("mimetype")
            if mimetype is not None:
                if any(name.startswith(("basic/", "scripts/")) for name in lowered):
                    return None  # macros
                key = _ODF_MIMETYPE.get(mimetype.strip())
                return key if key and "content.xml" in names else None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ):
        return None
    return None


def _detect(source) -> tuple[str | None, str]:
    """(type key or None, MIME type reported by libmagic) for a path or leading bytes."""
    if isinstance(source, bytes | bytearray | memoryview):
        head = bytes(source[:SNIFF_BYTES])
        if not head:
            return None, "application/x-empty"
        mime = _normalise_mime(magic.from_buffer(head, mime=True))
        if head.startswith(_ZIP_LOCAL_HEADER):
            return _zip_container_type(io.BytesIO(bytes(source))), mime
        return _PRIMARY_BY_MIME.get(mime), mime

    path = os.fspath(source)
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        if not head:
            return None, "application/x-empty"
        mime = _normalise_mime(magic.from_buffer(head, mime=True))
        if head.startswith(_ZIP_LOCAL_HEADER):
            # A zip container is whatever its marker files say, whatever libmagic guessed.
            return _zip_container_type(handle), mime
    return _PRIMARY_BY_MIME.get(mime), mime


def detect_type(path_or_first_bytes) -> str | None:
    """Type key ("pdf", "docx", ...) of the content, or None when it is none of ours."""
    return _detect(path_or_first_bytes)[0]


def check_file(path, *, original_name: str, allowed) -> CheckedFile:
    """Check content and name of an uploaded file against the allowed type keys.

    Raises FileRejected when the content is not one of ``allowed`` or when the
    extension of ``original_name`` contradicts the content.
    """
    allowed = validate_type_keys(allowed)
    if not allowed:
        raise ValueError("allowed must name at least one file type")
    name = os.path.basename(str(original_name).replace("\\", "/")) or "datei"
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileRejected(gettext("Die Datei „%(name)s“ ist leer und wurde nicht angenommen.") % {"name": name})

    detected, mime = _detect(path)
    ext = _extension(name)
    if detected is None:
        raise _not_allowed(name, allowed)
    if FILE_TYPES[detected].container:
        candidates = [detected]
    else:
        candidates = [key for key, spec in FILE_TYPES.items() if mime in spec.mimes]
    permitted = [key for key in candidates if key in allowed]
    if not permitted:
        raise _not_allowed(name, allowed)

    if not ext:
        # No name to contradict the content: use the type of the content.
        key = detected if detected in permitted else permitted[0]
        return CheckedFile(key, mime, FILE_TYPES[key].extensions[0])
    for key in permitted:
        if ext in FILE_TYPES[key].extensions:
            return CheckedFile(key, mime, ext)
    raise FileRejected(
        gettext(
            "Die Dateiendung „.%(ext)s“ passt nicht zum Inhalt der Datei „%(name)s“ "
            "(erkannt: %(kind)s). Die Datei wurde nicht angenommen."
        )
        % {"ext": ext, "name": name, "kind": FILE_TYPES[permitted[0]].label}
    )


def _not_allowed(name: str, allowed: list[str]) -> FileRejected:
    return FileRejected(
        gettext("Der Inhalt der Datei „%(name)s“ passt nicht zu den erlaubten Dateitypen (%(types)s).")
        % {"name": name, "types": type_labels(allowed)}
    )
