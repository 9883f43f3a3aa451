"""Content checks with real small sample files built in the test."""

import io
import struct
import zipfile
import zlib

import pytest

from kreiswerk.submissions.filecheck import (
    FILE_TYPES,
    ZIP_MAX_ENTRIES,
    CheckedFile,
    FileRejected,
    accept_attribute,
    check_file,
    detect_type,
    type_labels,
)

OOXML = "application/vnd.openxmlformats-officedocument."
DOCX_MAIN = OOXML + "wordprocessingml.document.main+xml"
XLSX_MAIN = OOXML + "spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def make_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def make_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def make_tiff() -> bytes:
    return b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20


def make_html() -> bytes:
    return b"<!DOCTYPE html><html><head><title>Rechnung</title></head><body>x</body></html>\n"


def make_elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 62, 1) + b"\0" * 200


def make_pe() -> bytes:
    dos = b"MZ" + b"\x00" * 58 + struct.pack("<I", 64)
    return dos + b"PE\x00\x00" + struct.pack("<HH", 0x8664, 1) + b"\x00" * 300


def make_ooxml(main: str | None, parts: dict[str, str], extra: dict[str, bytes] | None = None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if main is not None:
            part = next(iter(parts))
            archive.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxml'
                'formats.org/package/2006/content-types"><Default Extension="xml" ContentType='
                f'"application/xml"/><Override PartName="/{part}" ContentType="{main}"/></Types>',
            )
        archive.writestr("_rels/.rels", "<Relationships/>")
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_docx(**kwargs) -> bytes:
    return make_ooxml(kwargs.pop("main", DOCX_MAIN), {"word/document.xml": "<w:document/>"}, **kwargs)


def make_xlsx() -> bytes:
    return make_ooxml(XLSX_MAIN, {"xl/workbook.xml": "<workbook/>"})


def make_odf(mimetype: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first: as ODF wants
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("antrag.txt", "Hallo")
    return buffer.getvalue()


@pytest.fixture
def sample(tmp_path):
    def write(name: str, content: bytes):
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


ACCEPTED = [
    ("antrag.pdf", make_pdf, ["pdf"], CheckedFile("pdf", "application/pdf", "pdf")),
    ("foto.png", make_png, ["pdf", "png"], CheckedFile("png", "image/png", "png")),
    ("foto.JPG", make_jpeg, ["jpeg"], CheckedFile("jpeg", "image/jpeg", "jpg")),
    ("foto.jpeg", make_jpeg, ["pdf", "jpeg"], CheckedFile("jpeg", "image/jpeg", "jpeg")),
    ("scan.tif", make_tiff, ["tiff"], CheckedFile("tiff", "image/tiff", "tif")),
    (
        "brief.docx",
        make_docx,
        ["docx"],
        CheckedFile("docx", OOXML + "wordprocessingml.document", "docx"),
    ),
    (
        "liste.xlsx",
        make_xlsx,
        ["pdf", "xlsx"],
        CheckedFile("xlsx", OOXML + "spreadsheetml.sheet", "xlsx"),
    ),
    (
        "brief.odt",
        lambda: make_odf("application/vnd.oasis.opendocument.text"),
        ["odt"],
        CheckedFile("odt", "application/vnd.oasis.opendocument.text", "odt"),
    ),
    (
        "liste.ods",
        lambda: make_odf("application/vnd.oasis.opendocument.spreadsheet"),
        ["ods"],
        CheckedFile("ods", "application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ),
    (
        "notiz.txt",
        lambda: "Grüße aus Köln\n".encode(),
        ["txt"],
        CheckedFile("txt", "text/plain", "txt"),
    ),
    ("daten.csv", lambda: b"a,b,c\n1,2,3\n4,5,6\n", ["csv"], CheckedFile("csv", "text/csv", "csv")),
    # A CSV with a single column is plain text to libmagic; its name decides.
    ("daten.csv", lambda: b"name\nAnna\nBen\n", ["csv"], CheckedFile("csv", "text/plain", "csv")),
    (
        "daten.xml",
        lambda: b'<?xml version="1.0"?><antrag/>\n',
        ["xml"],
        CheckedFile("xml", "text/xml", "xml"),
    ),
    # Without an extension nothing contradicts the content: the canonical one is used.
    ("scan", make_pdf, ["pdf"], CheckedFile("pdf", "application/pdf", "pdf")),
]


@pytest.mark.parametrize(("name", "content", "allowed", "expected"), ACCEPTED)
def test_accepted(sample, name, content, allowed, expected):
    assert check_file(sample("upload.bin", content()), original_name=name, allowed=allowed) == expected


REFUSED_CONTENT = [
    ("rechnung.pdf", make_html, ["pdf"]),
    ("rechnung.pdf", make_elf, ["pdf"]),
    ("rechnung.pdf", make_pe, ["pdf", "jpeg"]),
    ("rechnung.exe", make_pe, ["pdf"]),
    ("antrag.pdf", make_pdf, ["png", "jpeg"]),
    ("archiv.docx", make_zip, ["docx"]),
    ("makro.docx", lambda: make_docx(main=DOCM_MAIN), ["docx"]),
    ("makro.docx", lambda: make_docx(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), ["docx"]),
    (
        "makro.odt",
        lambda: make_odf("application/vnd.oasis.opendocument.text", {"Basic/Standard/Module1.xml": b"<x/>"}),
        ["odt"],
    ),
    # "word/" entries alone do not make a Word document.
    ("brief.docx", lambda: make_ooxml(None, {"word/document.xml": "<w:document/>"}), ["docx"]),
    ("bild.png", lambda: b"\x89PNG\r\n\x1a\n", ["jpeg"]),
    ("seite.txt", make_html, ["txt"]),
]


@pytest.mark.parametrize(("name", "content", "allowed"), REFUSED_CONTENT)
def test_refused_content(sample, name, content, allowed):
    with pytest.raises(FileRejected) as caught:
        check_file(sample("upload.bin", content()), original_name=name, allowed=allowed)
    assert str(caught.value) == (
        f"Der Inhalt der Datei „{name}“ passt nicht zu den erlaubten Dateitypen ({type_labels(allowed)})."
    )


REFUSED_NAME = [
    ("foto.pdf", make_png, ["pdf", "png"]),
    ("antrag.png", make_pdf, ["pdf", "png"]),
    ("brief.xlsx", make_docx, ["docx", "xlsx"]),
    ("brief.pdf", make_docx, ["docx"]),
    ("notiz.csv", lambda: b"Hallo\n", ["txt"]),
]


@pytest.mark.parametrize(("name", "content", "allowed"), REFUSED_NAME)
def test_extension_contradicting_content_is_refused(sample, name, content, allowed):
    with pytest.raises(FileRejected) as caught:
        check_file(sample("upload.bin", content()), original_name=name, allowed=allowed)
    assert "passt nicht zum Inhalt der Datei" in str(caught.value)
    assert f"„{name}“" in str(caught.value)


def test_empty_file_is_refused(sample):
    with pytest.raises(FileRejected, match="ist leer"):
        check_file(sample("leer.pdf", b""), original_name="leer.pdf", allowed=["pdf"])


def test_message_lists_allowed_types_in_german(sample):
    with pytest.raises(FileRejected) as caught:
        check_file(sample("x", make_html()), original_name="x.pdf", allowed=["pdf", "jpeg"])
    assert str(caught.value) == ("Der Inhalt der Datei „x.pdf“ passt nicht zu den erlaubten Dateitypen (PDF, JPEG).")


def test_unknown_type_key_is_a_programming_error(sample):
    with pytest.raises(ValueError, match="exe"):
        check_file(sample("a.pdf", make_pdf()), original_name="a.pdf", allowed=["pdf", "exe"])


def test_detect_type_from_path_and_from_bytes(sample):
    assert detect_type(sample("a", make_pdf())) == "pdf"
    assert detect_type(str(sample("b", make_docx()))) == "docx"
    assert detect_type(make_png()) == "png"
    assert detect_type(make_xlsx()) == "xlsx"
    assert detect_type(make_html()) is None
    assert detect_type(make_elf()) is None
    assert detect_type(make_zip()) is None
    assert detect_type(b"") is None


def test_zip_with_too_many_entries_is_not_inspected(sample):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", DOCX_MAIN)
        archive.writestr("word/document.xml", "<w:document/>")
        for number in range(ZIP_MAX_ENTRIES):
            archive.writestr(f"word/media/{number}.txt", "")
    assert detect_type(sample("viel.docx", buffer.getvalue())) is None


def test_zip_bomb_marker_is_not_read(sample):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_MAIN.encode() + b" " * (64 * 1024 * 1024))
        archive.writestr("word/document.xml", "<w:document/>")
    assert len(buffer.getvalue()) < 1024 * 1024
    assert detect_type(sample("bombe.docx", buffer.getvalue())) is None


def test_registry_helpers():
    expected = {"pdf", "jpeg", "png", "heic", "tiff", "txt", "csv", "xml"}
    assert set(FILE_TYPES) == expected | {"docx", "xlsx", "odt", "ods"}
    assert accept_attribute(["pdf", "jpeg"]) == ".pdf,.jpg,.jpeg,.jpe"
    assert type_labels(["docx", "odt"]) == "Word (DOCX), OpenDocument-Text (ODT)"
