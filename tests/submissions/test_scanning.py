"""Virus scanning against a real clamd (see conftest.py): refuses EICAR, fails closed."""

import hashlib
import io
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from kreiswerk.submissions.filecheck import FileRejected
from kreiswerk.submissions.scanning import (
    ClamdClient,
    ScanLimitExceeded,
    ScannerUnavailable,
    VirusFound,
    clamd_ping,
    parse_reply,
    scan_file,
)

from .conftest import CLAMD_STREAM_MAX, CLAMD_SUPPORT

CLEAN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def write(tmp_path):
    def make(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return make


def test_test_signature_matches_the_runtime_eicar_string(clamd_eicar):
    digest, size, name = (CLAMD_SUPPORT / "kreiswerk-test.hdb").read_text().strip().split(":")
    assert (digest, int(size)) == (
        hashlib.md5(clamd_eicar, usedforsecurity=False).hexdigest(),
        len(clamd_eicar),
    )
    assert name == "Kreiswerk.Test.EICAR"


@pytest.mark.clamd
def test_eicar_is_refused(clamd_scanning, clamd_eicar, write):
    with pytest.raises(VirusFound) as caught:
        scan_file(write("eicar.pdf", clamd_eicar))
    assert caught.value.signature.startswith("Kreiswerk.Test.EICAR")
    assert isinstance(caught.value, FileRejected)
    assert str(caught.value) == "Die Datei enthält Schadsoftware und wurde abgelehnt."


@pytest.mark.clamd
def test_clean_pdf_is_accepted(clamd_scanning, write):
    assert scan_file(write("antrag.pdf", CLEAN_PDF)) is None


@pytest.mark.clamd
def test_eicar_inside_an_office_zip_is_refused(clamd_scanning, clamd_eicar, write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/media/payload.bin", clamd_eicar)
    with pytest.raises(VirusFound):
        scan_file(write("antrag.docx", buffer.getvalue()))


@pytest.mark.clamd
def test_larger_clean_file_is_streamed_in_chunks(clamd_scanning, write):
    content = CLEAN_PDF + b"%" + b"x" * (CLAMD_STREAM_MAX - len(CLEAN_PDF) - 2) + b"\n"
    assert scan_file(write("gross.pdf", content)) is None


@pytest.mark.clamd
def test_tcp_url(settings, clamd_server, clamd_eicar, write):
    settings.KREISWERK_CLAMD_URL = clamd_server.tcp_url
    settings.KREISWERK_CLAMD_TIMEOUT = 10
    assert clamd_ping()
    assert scan_file(write("antrag.pdf", CLEAN_PDF)) is None
    with pytest.raises(VirusFound):
        scan_file(write("eicar.txt", clamd_eicar))


@pytest.mark.clamd
def test_stream_over_clamd_limit_is_not_accepted(clamd_scanning, write):
    path = write("riesig.pdf", CLEAN_PDF + b"\0" * (CLAMD_STREAM_MAX + 1024 * 1024))
    with pytest.raises(ScanLimitExceeded) as caught:
        scan_file(path)
    assert isinstance(caught.value, ScannerUnavailable)
    assert "zu groß für die Virenprüfung" in str(caught.value)


@pytest.mark.clamd
def test_ping(clamd_scanning):
    assert clamd_ping() is True
    assert ClamdClient(clamd_scanning.unix_url, 5).command("VERSION").startswith("ClamAV")


@pytest.mark.clamd
def test_stopped_clamd_fails_closed(settings, clamd_private_server, clamd_eicar, write):
    settings.KREISWERK_CLAMD_URL = clamd_private_server.unix_url
    settings.KREISWERK_CLAMD_TIMEOUT = 5
    clean = write("antrag.pdf", CLEAN_PDF)
    assert scan_file(clean) is None

    clamd_private_server.stop()

    for path in (clean, write("eicar.txt", clamd_eicar)):
        with pytest.raises(ScannerUnavailable) as caught:
            scan_file(path)
        assert str(caught.value) == (
            "Die Virenprüfung ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."
        )
    assert clamd_ping() is False


@pytest.mark.clamd
def test_stopped_clamd_over_tcp_fails_closed(settings, clamd_private_server, write):
    settings.KREISWERK_CLAMD_URL = clamd_private_server.tcp_url
    settings.KREISWERK_CLAMD_TIMEOUT = 5
    clamd_private_server.stop()
    with pytest.raises(ScannerUnavailable):
        scan_file(write("antrag.pdf", CLEAN_PDF))


@pytest.mark.clamd
def test_frozen_clamd_times_out_and_fails_closed(settings, clamd_private_server, write):
    settings.KREISWERK_CLAMD_URL = clamd_private_server.unix_url
    settings.KREISWERK_CLAMD_TIMEOUT = 2
    path = write("antrag.pdf", CLEAN_PDF)
    clamd_private_server.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(ScannerUnavailable):
            scan_file(path)
        assert time.monotonic() - started < 10
        assert clamd_ping() is False
    finally:
        clamd_private_server.thaw()
    assert scan_file(path) is None


def test_dead_unix_socket_fails_closed(settings, tmp_path, write):
    # A socket file nobody listens on (clamd crashed and left it behind).
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(dead))
    settings.KREISWERK_CLAMD_URL = f"unix://{dead}"
    settings.KREISWERK_CLAMD_TIMEOUT = 2
    with pytest.raises(ScannerUnavailable):
        scan_file(write("antrag.pdf", CLEAN_PDF))
    settings.KREISWERK_CLAMD_URL = f"unix://{tmp_path / 'missing.sock'}"
    with pytest.raises(ScannerUnavailable):
        scan_file(write("antrag.pdf", CLEAN_PDF))
    assert clamd_ping() is False


@pytest.mark.parametrize("url", ["clamd.sock", "http://localhost:3310", "tcp://", "unix://"])
def test_misconfigured_url_fails_closed(settings, url, write):
    settings.KREISWERK_CLAMD_URL = url
    with pytest.raises(ScannerUnavailable):
        scan_file(write("antrag.pdf", CLEAN_PDF))
    assert clamd_ping() is False


def test_disabled_scanning_is_a_no_op(settings, clamd_eicar, write):
    settings.KREISWERK_CLAMD_URL = ""
    assert scan_file(write("eicar.txt", clamd_eicar)) is None
    assert clamd_ping() is False


class _BrokenPeer:
    """Not a scanner: a socket peer that answers nonsense, to test the protocol's failure path."""

    def __init__(self, path: Path, reply: bytes):
        self.reply = reply
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(5)
            try:
                while data := conn.recv(65536):
                    if data.endswith(b"\0\0\0\0"):
                        break
            except OSError:
                pass
            conn.sendall(self.reply)

    def close(self):
        self.thread.join(timeout=5)
        self.server.close()


@pytest.mark.parametrize(
    "reply",
    [b"", b"hello\0", b"stream: \0", b"stream: FOUND\0", b"stream: OK but odd\0", b"x" * 9000],
)
def test_garbled_reply_fails_closed(settings, tmp_path, write, reply):
    peer = _BrokenPeer(tmp_path / "peer.sock", reply)
    settings.KREISWERK_CLAMD_URL = f"unix://{tmp_path / 'peer.sock'}"
    settings.KREISWERK_CLAMD_TIMEOUT = 5
    try:
        with pytest.raises(ScannerUnavailable):
            scan_file(write("antrag.pdf", CLEAN_PDF))
    finally:
        peer.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("stream: OK", None),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", "Win.Test.EICAR_HDB-1"),
        ("stream: Kreiswerk.Test.EICAR.UNOFFICIAL FOUND", "Kreiswerk.Test.EICAR.UNOFFICIAL"),
    ],
)
def test_parse_reply(reply, expected):
    assert parse_reply(reply) == expected


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("INSTREAM size limit exceeded. ERROR", ScanLimitExceeded),
        ("stream: Can't allocate memory ERROR", ScannerUnavailable),
        ("UNKNOWN COMMAND", ScannerUnavailable),
        ("", ScannerUnavailable),
    ],
)
def test_parse_reply_errors(reply, error):
    with pytest.raises(error):
        parse_reply(reply)
