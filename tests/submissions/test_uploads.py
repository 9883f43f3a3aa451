"""Upload intake: limits while streaming, temp files on disk, sanitised names."""

import tracemalloc
import unicodedata
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from kreiswerk.submissions.uploads import (
    MAX_FILENAME_BYTES,
    MAX_FILENAME_CHARS,
    MB,
    get_upload_errors,
    sanitize_filename,
    set_upload_limit,
)

from . import upload_urls

URLS = upload_urls.__name__
BOUNDARY = "kreiswerkGrenze7MA4YWxkTrZu0gW"
PDF_HEAD = b"%PDF-1.4\n"


@pytest.fixture(autouse=True)
def _clear_received():
    upload_urls.RECEIVED.clear()
    yield
    upload_urls.RECEIVED.clear()


def received_files() -> list[dict]:
    return [item for item in upload_urls.RECEIVED if "field" in item]


def received_post() -> dict:
    return next(item for item in upload_urls.RECEIVED if "post" in item)["post"]


def pdf(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_HEAD + b"A" * (size - len(PDF_HEAD)), "application/pdf")


# -- through the test client and the whole middleware stack -------------------


@pytest.mark.urls(URLS)
def test_small_file_arrives_as_temporary_file_on_disk(client):
    upload = pdf("Bescheid für Müller.pdf", 5000)
    response = client.post("/upload/", {"betreff": "Antrag", "anlage": upload})
    assert response.status_code == 200
    assert b"Angenommen" in response.content
    (item,) = received_files()
    assert item["temporary"] and item["on_disk"]
    assert item["name"] == "Bescheid für Müller.pdf"
    assert item["size"] == 5000
    assert item["content"] == PDF_HEAD + b"A" * (5000 - len(PDF_HEAD))


@pytest.mark.urls(URLS)
def test_file_over_limit_is_refused_and_the_form_still_renders(client):
    response = client.post(
        "/upload/?limit=102400",
        {
            "betreff": "Antrag",
            "anlage": pdf("klein.pdf", 1000),
            "weitere": pdf("antrag.pdf", 300 * 1024),
            "bemerkung": "nach der Datei",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Die Datei „antrag.pdf“ ist größer als 100 KB und wurde nicht angenommen." in html
    assert "Angenommen" not in html
    # The small file before it is intact, fields after it were parsed: the request is usable.
    (item,) = received_files()
    assert (item["field"], item["name"], item["size"], item["on_disk"]) == (
        "anlage",
        "klein.pdf",
        1000,
        True,
    )
    assert received_post() == {"betreff": "Antrag", "bemerkung": "nach der Datei"}


@pytest.mark.urls(URLS)
def test_default_limit_comes_from_settings_and_views_cannot_raise_it(client, settings):
    settings.KREISWERK_MAX_UPLOAD_MB = 1
    for url in ("/upload/", f"/upload/?limit={50 * MB}"):
        response = client.post(url, {"anlage": pdf("scan.pdf", MB + 1), "bemerkung": "x"})
        assert response.status_code == 200
        assert "Die Datei „scan.pdf“ ist größer als 1 MB und wurde nicht angenommen." in (response.content.decode())
        assert received_files() == []
    response = client.post("/upload/", {"anlage": pdf("scan.pdf", MB)})
    assert b"Angenommen" in response.content


@pytest.mark.urls(URLS)
def test_request_far_beyond_the_limits_is_refused_before_reading_files():
    client = Client(enforce_csrf_checks=True)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    response = client.post(
        "/upload/?limit=10240&files=1",
        {
            "csrfmiddlewaretoken": token,
            "betreff": "Antrag",
            "anlage": pdf("riesig.pdf", 3 * MB),
            "bemerkung": "nach der Datei",
        },
    )
    # Not a 403 (the CSRF token came before the file) and not a 413/500 page.
    assert response.status_code == 200
    html = response.content.decode()
    assert "Die gesendeten Dateien sind zusammen zu groß (3 MB)." in html
    assert "Es wurde keine Datei angenommen." in html
    assert received_files() == []
    assert received_post() == {"csrfmiddlewaretoken": token, "betreff": "Antrag"}


@pytest.mark.urls(URLS)
def test_more_files_than_allowed(client):
    response = client.post("/upload/?files=1", {"anlage": pdf("eins.pdf", 100), "weitere": pdf("zwei.pdf", 100)})
    assert response.status_code == 200
    assert "Es wurden mehr als 1 Dateien gesendet; „zwei.pdf“ wurde nicht angenommen." in (response.content.decode())
    assert [item["name"] for item in received_files()] == ["eins.pdf"]


@pytest.mark.urls(URLS)
def test_hostile_file_name_is_sanitised(client):
    upload = pdf("..\\..\\Windows\\rech\u202enung\x00fdp.exe.pdf", 100)
    response = client.post("/upload/", {"anlage": upload})
    assert response.status_code == 200
    (item,) = received_files()
    assert item["name"] == "rechnungfdp.exe.pdf"


# -- directly on a WSGIRequest whose body streams from a file on disk --------------


def write_multipart(path: Path, parts: list[tuple[str, str | None, int | bytes]]) -> int:
    """Write a multipart body; an int content means that many bytes of file data."""
    with path.open("wb") as body:
        for name, filename, content in parts:
            body.write(f"--{BOUNDARY}\r\n".encode())
            if filename is None:
                body.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
                body.write(content)
            else:
                body.write(
                    f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/pdf\r\n\r\n".encode()
                )
                remaining = content
                body.write(PDF_HEAD)
                remaining -= len(PDF_HEAD)
                block = b"A" * MB
                while remaining > 0:
                    body.write(block[: min(remaining, MB)])
                    remaining -= MB
            body.write(b"\r\n")
        body.write(f"--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def streaming_request(body_path: Path, size: int) -> tuple[WSGIRequest, object]:
    stream = body_path.open("rb")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(size),
    }
    return WSGIRequest(environ), stream


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "over-limit"])
def test_30_mb_upload_does_not_go_through_memory(settings, tmp_path, accepted):
    settings.KREISWERK_MAX_UPLOAD_MB = 64 if accepted else 20
    file_size = 30 * MB
    body = tmp_path / "body"
    size = write_multipart(body, [("betreff", None, b"Antrag"), ("anlage", "gross.pdf", file_size)])
    request, stream = streaming_request(body, size)
    with stream:
        tracemalloc.start()
        try:
            files = request.FILES
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert stream.tell() == size  # the whole body was read ...
    assert peak < 3 * MB, f"peak {peak / MB:.1f} MB"  # ... but never held in memory
    assert request.POST["betreff"] == "Antrag"
    if accepted:
        upload = files["anlage"]
        assert isinstance(upload, TemporaryUploadedFile)
        assert Path(upload.temporary_file_path()).stat().st_size == file_size
        assert upload.size == file_size
        assert get_upload_errors(request) == []
        upload.close()
    else:
        assert "anlage" not in files
        assert get_upload_errors(request) == [
            ("anlage", "Die Datei „gross.pdf“ ist größer als 20 MB und wurde nicht angenommen.")
        ]


def test_oversized_request_body_is_left_unread(tmp_path):
    body = tmp_path / "body"
    size = write_multipart(
        body,
        [("csrfmiddlewaretoken", None, b"t" * 32), ("anlage", "gross.pdf", 8 * MB)],
    )
    request, stream = streaming_request(body, size)
    with stream:
        set_upload_limit(request, 100 * 1024, max_files=2)
        assert request.FILES == {}
        assert stream.tell() < MB
    assert request.POST["csrfmiddlewaretoken"] == "t" * 32
    ((field, message),) = get_upload_errors(request)
    assert field is None
    assert message.startswith("Die gesendeten Dateien sind zusammen zu groß (8 MB).")


def test_setting_the_limit_after_parsing_is_an_error(tmp_path):
    body = tmp_path / "body"
    size = write_multipart(body, [("anlage", "a.pdf", 100)])
    request, stream = streaming_request(body, size)
    with stream:
        assert request.FILES["anlage"].size == 100
        with pytest.raises(RuntimeError):
            set_upload_limit(request, 10)
        request.FILES["anlage"].close()


# -- sanitize_filename ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Antrag.pdf", "Antrag.pdf"),
        ("Größenänderung Übersicht.PDF", "Größenänderung Übersicht.PDF"),
        ("Mu\u0308ller.pdf", "Müller.pdf"),  # NFD from macOS becomes NFC
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Anna\\Desktop\\scan.jpg", "scan.jpg"),
        ("rechnung\u202efdp.exe", "rechnungfdp.exe"),
        ("a\u2066b\u2069c\u200bd.txt", "abcd.txt"),
        ("zeile\r\nzwei\tdrei.txt", "zeile zwei drei.txt"),
        ("nul\x00byte.pdf", "nul byte.pdf"),
        ("...versteckt", "versteckt"),
        (".htaccess", "htaccess"),
        ("  .  bericht.pdf . ", "bericht.pdf"),
        ('was?<ist>:das|"*.pdf', "was__ist__das___.pdf"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.tar.gz", "_LPT1.tar.gz"),
        ("COM10.txt", "COM10.txt"),
        ("", "datei"),
        ("....", "datei"),
        ("/", "datei"),
        ("\u202e", "datei"),
        ("foto.pdf/", "foto.pdf"),
    ],
)
def test_sanitize_filename_examples(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_keeps_the_extension_of_long_names():
    name = sanitize_filename("Ä" * 500 + ".pdf")
    assert name.endswith("Ä.pdf")
    assert len(name.encode()) <= MAX_FILENAME_BYTES
    name = sanitize_filename("x" * 500 + ".docx")
    assert name == "x" * (MAX_FILENAME_CHARS - 5) + ".docx"


NASTY = st.sampled_from(
    list('/\\.\0 \t\r\n:*?"<>|')
    + [
        "\u202e",
        "\u2066",
        "\u200b",
        "\ufeff",
        "\ud800",
        "CON",
        "ä",
        "u\u0308",
        "\u0958",
        "\u1100\u1161",
        "\u11a8",
        ".pdf",
    ]
)


@given(st.lists(st.one_of(st.characters(), NASTY), max_size=300).map("".join))
@example("a" * 115 + ". .pdfx")
@example("x" * 130 + ".\u0958")
@example("CON .txt")
def test_sanitize_filename_properties(raw):
    name = sanitize_filename(raw)
    assert name
    assert not {"/", "\\", "\0"} & set(name)
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert len(name) <= MAX_FILENAME_CHARS
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(char)[0] == "C" for char in name)
    assert sanitize_filename(name) == name
