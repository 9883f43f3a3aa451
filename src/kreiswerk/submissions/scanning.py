"""Virus scanning through ClamAV's clamd (INSTREAM), failing closed.

``KREISWERK_CLAMD_URL`` is "unix:///path/to/clamd.ctl" or "tcp://host:port";
empty disables scanning. ``KREISWERK_CLAMD_TIMEOUT`` (seconds) bounds one
whole scan: connecting, sending and waiting for the verdict.

``scan_file`` returns only when clamd answered "stream: OK". Everything else
(a signature, clamd unreachable, a timeout, an error or a reply we do not
understand) raises, so an unscanned file is never accepted.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .filecheck import FileRejected

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
MAX_REPLY_BYTES = 4096
DEFAULT_TCP_PORT = 3310


class VirusFound(FileRejected):
    default_message = _("Die Datei enthält Schadsoftware und wurde abgelehnt.")

    def __init__(self, signature: str = ""):
        self.signature = signature
        super().__init__()


class ScannerUnavailable(FileRejected):
    default_message = _(
        "Die Virenprüfung ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."
    )

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__()


class ScanLimitExceeded(ScannerUnavailable):
    """clamd refused the stream as too large (StreamMaxLength): not scanned, so not accepted."""

    default_message = _("Die Datei ist zu groß für die Virenprüfung und wurde nicht angenommen.")


class ClamdError(Exception):
    """Protocol-level failure talking to clamd (internal; becomes ScannerUnavailable)."""


class ClamdClient:
    """Minimal clamd client: PING and INSTREAM over a unix or tcp socket."""

    def __init__(self, url: str, timeout: float = 30):
        self.url = url
        self.timeout = float(timeout)
        parts = urlsplit(url)
        if parts.scheme == "unix" and parts.path:
            self.family = socket.AF_UNIX
            self.address: str | tuple[str, int] = parts.path
        elif parts.scheme == "tcp" and parts.hostname:
            try:
                port = parts.port or DEFAULT_TCP_PORT
            except ValueError as exc:
                raise ValueError(f"invalid clamd URL: {url!r}") from exc
            self.family = socket.AF_INET
            self.address = (parts.hostname, port)
        else:
            raise ValueError(f"invalid clamd URL: {url!r} (unix:///path or tcp://host:port)")

    def _connect(self, deadline: float) -> socket.socket:
        remaining = self._remaining(deadline)
        if self.family == socket.AF_UNIX:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(remaining)
            try:
                sock.connect(self.address)
            except BaseException:
                sock.close()
                raise
            return sock
        return socket.create_connection(self.address, timeout=remaining)

    @staticmethod
    def _remaining(deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("clamd timeout")
        return remaining

    def _read_reply(self, sock: socket.socket, deadline: float) -> str:
        data = b""
        while b"\0" not in data:
            sock.settimeout(self._remaining(deadline))
            chunk = sock.recv(MAX_REPLY_BYTES)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_REPLY_BYTES:
                raise ClamdError("reply too long")
        if not data:
            raise ClamdError("connection closed without reply")
        return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()

    def command(self, name: str) -> str:
        deadline = time.monotonic() + self.timeout
        with self._connect(deadline) as sock:
            sock.sendall(b"z" + name.encode("ascii") + b"\0")
            return self._read_reply(sock, deadline)

    def ping(self) -> bool:
        return self.command("PING") == "PONG"

    def instream(self, stream) -> str:
        """Send ``stream`` (binary file object) and return clamd's reply line."""
        deadline = time.monotonic() + self.timeout
        with self._connect(deadline) as sock:
            try:
                sock.settimeout(self._remaining(deadline))
                sock.sendall(b"zINSTREAM\0")
                while chunk := stream.read(CHUNK_SIZE):
                    sock.settimeout(self._remaining(deadline))
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.settimeout(self._remaining(deadline))
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                # clamd stops reading when it refuses the stream (size limit);
                # its reason may still be waiting in the socket.
                pass
            return self._read_reply(sock, deadline)


def parse_reply(reply: str) -> str | None:
    """None for a clean stream, the signature name for a find; raise otherwise."""
    if reply == "stream: OK":
        return None
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        signature = reply[len("stream: ") : -len(" FOUND")].strip()
        if signature:
            return signature
    if "size limit exceeded" in reply.lower():
        raise ScanLimitExceeded(reply)
    raise ScannerUnavailable(reply or "empty reply")


def _client() -> ClamdClient | None:
    url = getattr(settings, "KREISWERK_CLAMD_URL", "")
    if not url:
        return None
    return ClamdClient(url, getattr(settings, "KREISWERK_CLAMD_TIMEOUT", 30))


def scan_file(path) -> None:
    """Scan a file with clamd; raise VirusFound or ScannerUnavailable unless it is clean.

    A no-op when KREISWERK_CLAMD_URL is empty (scanning disabled).
    """
    url = getattr(settings, "KREISWERK_CLAMD_URL", "")
    if not url:
        return
    with open(os.fspath(path), "rb") as stream:
        try:
            reply = _client().instream(stream)
        except ValueError as exc:
            logger.error("clamd misconfigured: %s", exc)
            raise ScannerUnavailable(str(exc)) from exc
        except (OSError, ClamdError) as exc:  # includes timeouts and refused connections
            logger.error("clamd unavailable at %s: %r", url, exc)
            raise ScannerUnavailable(repr(exc)) from exc
    try:
        signature = parse_reply(reply)
    except ScannerUnavailable:
        logger.error("clamd could not scan the file at %s: %r", url, reply)
        raise
    if signature is not None:
        logger.warning("clamd found %s in an upload", signature)
        raise VirusFound(signature)


def clamd_ping() -> bool:
    """True if clamd answers PING with PONG; False when disabled or unreachable."""
    try:
        client = _client()
        return client is not None and client.ping()
    except (ValueError, OSError, ClamdError) as exc:
        logger.warning("clamd ping failed: %r", exc)
        return False
