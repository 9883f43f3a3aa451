"""A stored, encrypted file as a download: unchanged bytes, with their SHA-256 for checking."""

from __future__ import annotations

import base64
import logging

from django.http import StreamingHttpResponse

from kreiswerk.crypto.envelope import DecryptionError
from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions.export import ascii_filename

from .problems import Refused

logger = logging.getLogger(__name__)


def stored_file_response(stored, *, filename: str, missing) -> StreamingHttpResponse:
    """``stored`` has path, key, size and sha256 (a document version, an attachment)."""
    try:
        chunks = open_decrypted(stored.path, bytes(stored.key))
    except (FileNotFoundError, ValueError, TypeError, DecryptionError) as exc:
        logger.error("stored file of %s %s unavailable: %s", type(stored).__name__, stored.pk, type(exc).__name__)
        raise Refused(404, "not_found", missing) from None
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(filename)}"'
    response["Content-Length"] = str(stored.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # RFC 9530: the client can check what it got against the hash listed in the case.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(stored.sha256)).decode()}:"
    return response
