"""Upload intake: size limits enforced while streaming, sanitised file names.

``LimitedUploadHandler`` is the only entry in ``FILE_UPLOAD_HANDLERS``. Every
uploaded file goes to a temporary file on disk (never into memory). A file
over the limit is not stored: the handler skips it and records a German
message in ``request.upload_errors`` as ``(field_name, message)``; the
request stays usable, so the view renders its form with the error. A request
whose Content-Length is far beyond what the limits allow is refused before
any file is read: fields up to the first file (the CSRF token comes first in
our forms) are parsed, all files are left unread, and a message with
``field_name=None`` is recorded.

Views must therefore check ``get_upload_errors(request)`` (or call
``add_upload_errors(form, request)``) after touching ``request.FILES``.

A view lowers the limit with ``set_upload_limit(request, max_bytes)`` before
``request.POST``/``request.FILES`` is touched. The CSRF middleware reads
``request.POST`` before the view runs, so such a view is wrapped in
``csrf_exempt`` and calls a ``csrf_protect``-ed inner function after setting
the limit (the pattern from Django's documentation on upload handlers).
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.utils.formats import number_format
from django.utils.translation import gettext

MB = 1024 * 1024
# Files one request may carry (for the Content-Length check and as a hard cap).
DEFAULT_MAX_FILES = 10
# Multipart headers and boundaries per file, generously.
_PART_OVERHEAD = 64 * 1024
# Non-file fields if DATA_UPLOAD_MAX_MEMORY_SIZE is None.
_FIELDS_ALLOWANCE = 2 * MB

MAX_FILENAME_CHARS = 120
MAX_FILENAME_BYTES = 200
MAX_EXTENSION_CHARS = 10
FALLBACK_FILENAME = "datei"

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "0123456789¹²³"
}
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")


def default_limit_bytes() -> int:
    return int(settings.KREISWERK_MAX_UPLOAD_MB) * MB


def upload_limit_bytes(request) -> int:
    """Per-file limit for this request: the view's value, never above the setting."""
    limit = default_limit_bytes()
    own = getattr(request, "upload_limit_bytes", None)
    if own is not None:
        limit = min(limit, int(own))
    return max(limit, 0)


def set_upload_limit(request, max_bytes: int, *, max_files: int | None = None) -> None:
    """Lower the per-file limit (and the number of files) for this request.

    Raises RuntimeError when the body has already been parsed, because the
    limit would then silently not apply (typically: CSRF middleware ran first).
    """
    if hasattr(request, "_files"):
        raise RuntimeError(
            "set_upload_limit() must be called before request.POST/FILES is accessed; "
            "wrap the view in csrf_exempt and csrf_protect an inner function."
        )
    request.upload_limit_bytes = int(max_bytes)
    if max_files is not None:
        request.upload_max_files = int(max_files)


def get_upload_errors(request) -> list[tuple[str | None, str]]:
    """Errors recorded while receiving uploads: ``(field_name or None, message)``."""
    return list(getattr(request, "upload_errors", ()))


def add_upload_errors(form, request) -> bool:
    """Add recorded upload errors to a bound form; True if there were any."""
    errors = get_upload_errors(request)
    for field_name, message in errors:
        form.add_error(field_name if field_name in form.fields else None, message)
    return bool(errors)


def format_size(num_bytes: int) -> str:
    """German size such as "20 MB" or "1,5 MB" (1 MB = 1024 × 1024 bytes)."""
    for unit, factor in (("MB", MB), ("KB", 1024)):
        if num_bytes >= factor:
            value = round(num_bytes / factor, 1)
            decimals = 0 if value == int(value) else 1
            return f"{number_format(value, decimal_pos=decimals)} {unit}"
    return f"{num_bytes} Bytes"


def sanitize_filename(name: str) -> str:
    """A file name safe to show, store and hand to other systems.

    Takes the last path component, removes control characters, bidi overrides
    and other invisible format characters, replaces characters Windows does
    not allow, defuses reserved device names, strips leading/trailing dots and
    spaces, NFC-normalises (umlauts stay), limits the length while keeping the
    extension, and never returns an empty string.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    parts = [part for part in _SEPARATORS.split(name) if part.strip(". \t")]
    name = parts[-1] if parts else ""

    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in _WINDOWS_FORBIDDEN:
            kept.append("_")
        elif category in ("Cc", "Zl", "Zp") or char.isspace():
            kept.append(" ")
        elif category[0] == "C":  # Cf (bidi, zero width), Cs, Co, Cn
            continue
        else:
            kept.append(char)
    name = unicodedata.normalize("NFC", "".join(kept))
    name = _WHITESPACE.sub(" ", name).strip(". ")

    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and ext.isascii() and ext.isalnum() and len(ext) <= MAX_EXTENSION_CHARS):
        stem, ext = name, ""
    if stem.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        stem = "_" + stem

    suffix = f".{ext}" if ext else ""
    max_chars = MAX_FILENAME_CHARS - len(suffix)
    max_bytes = MAX_FILENAME_BYTES - len(suffix)
    stem = stem[:max_chars]
    while len(stem.encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    if not ext:
        stem = stem.rstrip(". ")
    return (stem or FALLBACK_FILENAME) + suffix


class LimitedUploadHandler(FileUploadHandler):
    """Streams every file to a temporary file and skips files over the limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = default_limit_bytes()
        self.max_files = DEFAULT_MAX_FILES
        self.request_too_large = False
        self.files_seen = 0
        self.display_name = FALLBACK_FILENAME

    # -- bookkeeping -----------------------------------------------------

    def _errors(self) -> list:
        if self.request is None:
            return []
        if not hasattr(self.request, "upload_errors"):
            self.request.upload_errors = []
        return self.request.upload_errors

    def _record(self, field_name, message: str) -> None:
        errors = self._errors()
        if (field_name, message) not in errors:
            errors.append((field_name, message))

    def _discard_file(self) -> None:
        upload = self.__dict__.pop("file", None)
        if upload is None:
            return
        path = upload.temporary_file_path()
        upload.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

    def _too_big(self) -> None:
        self._record(
            self.field_name,
            gettext("Die Datei „%(name)s“ ist größer als %(limit)s und wurde nicht angenommen.")
            % {"name": self.display_name, "limit": format_size(self.limit)},
        )
        self._discard_file()
        raise SkipFile()

    # -- FileUploadHandler API ------------------------------------------

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        request = self.request
        if request is not None:
            self.limit = upload_limit_bytes(request)
            self.max_files = int(getattr(request, "upload_max_files", DEFAULT_MAX_FILES))
        self._errors()
        fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        budget = self.max_files * (self.limit + _PART_OVERHEAD) + (_FIELDS_ALLOWANCE if fields is None else fields)
        if content_length > budget:
            # Fields before the first file are still parsed (CSRF token);
            # new_file() stops before any file content is read.
            self.request_too_large = True
            self._record(
                None,
                gettext(
                    "Die gesendeten Dateien sind zusammen zu groß (%(size)s). Erlaubt sind "
                    "höchstens %(limit)s je Datei. Es wurde keine Datei angenommen."
                )
                % {"size": format_size(content_length), "limit": format_size(self.limit)},
            )
        return None

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self._discard_file()
        if self.request_too_large:
            # Leaves the rest of the body unread; the parse returns what it has.
            raise StopUpload(connection_reset=True)
        self.display_name = sanitize_filename(file_name)
        self.files_seen += 1
        if self.files_seen > self.max_files:
            self._record(
                field_name,
                gettext("Es wurden mehr als %(count)s Dateien gesendet; „%(name)s“ wurde nicht angenommen.")
                % {"count": self.max_files, "name": self.display_name},
            )
            raise SkipFile()
        if self.content_length is not None and self.content_length > self.limit:
            self._too_big()
        self.file = TemporaryUploadedFile(
            self.display_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self._too_big()
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size):
        upload = self.__dict__.pop("file", None)
        if upload is None:
            return None
        upload.seek(0)
        upload.size = file_size
        return upload

    def upload_interrupted(self):
        self._discard_file()
