"""The package writer on its own: formats, failed conversions, awkward titles."""

import io
import uuid
import zipfile

import pytest
from lxml import etree

from kreiswerk.archive import package
from kreiswerk.cases import services
from kreiswerk.cases.models import Document
from kreiswerk.crypto.files import store_encrypted

from .conftest import PLAIN_PDF, light_case, png_bytes

pytestmark = pytest.mark.django_db

NS = {"k": package.NAMESPACE}


def _add(case, *, title: str, filename: str, content: bytes, content_type: str):
    services.document_add(
        case=case,
        kind=Document.Kind.ATTACHMENT,
        direction=Document.Direction.INCOMING,
        title=title,
        filename=filename,
        content_type=content_type,
        stored=store_encrypted([content], namespace="documents"),
    )


def _manifest(case):
    buffer = io.BytesIO()
    package.akte_package_write(akte=case.akte, process_id=uuid.uuid4(), target=buffer)
    archive = zipfile.ZipFile(buffer)
    (name,) = [n for n in archive.namelist() if n.endswith(".xml")]
    return archive, etree.fromstring(archive.read(name))


def test_an_image_that_cannot_be_read_stays_original_with_a_note(case_type_version):
    case = light_case(case_type_version, "gewerbe")
    _add(case, title="Foto", filename="kaputt.png", content=b"\x89PNG\r\n\x1a\nkaputt", content_type="image/png")
    archive, root = _manifest(case)
    (image,) = [
        f for f in root.iterfind(".//k:Format", NS) if f.findtext("k:SonstigerName", namespaces=NS) == "image/png"
    ]
    assert image.findtext("k:Hinweis", namespaces=NS).startswith("Umwandlung in PDF/A nicht möglich")
    assert not [n for n in archive.namelist() if n.endswith("_pdfa.pdf")]


def test_a_good_image_gets_a_pdfa_rendition_and_other_formats_stay_as_they_are(case_type_version):
    case = light_case(case_type_version, "gewerbe")
    _add(case, title="Foto", filename="foto.png", content=png_bytes(), content_type="image/png")
    _add(case, title="Liste", filename="liste.csv", content=b"a;b\n1;2\n", content_type="text/csv")
    archive, root = _manifest(case)
    renditions = [n for n in archive.namelist() if n.endswith("_pdfa.pdf")]
    assert len(renditions) == 1 and archive.read(renditions[0]).startswith(b"%PDF-")
    (csv,) = [f for f in root.iterfind(".//k:Format", NS) if f.findtext("k:Name/k:code", namespaces=NS) == "csv"]
    assert csv.findtext("k:PDFA", namespaces=NS) == "false" and csv.find("k:Version", NS) is None


def test_titles_with_characters_xml_cannot_carry_are_replaced(case_type_version):
    case = light_case(case_type_version, "gewerbe")
    _add(case, title="Anlage\x00\x1f<b>&", filename="a\x00.pdf", content=PLAIN_PDF, content_type="application/pdf")
    _archive, root = _manifest(case)
    titles = [t.text for t in root.iterfind(".//k:Dokument/k:AllgemeineMetadaten/k:Betreff", NS)]
    assert "Anlage\ufffd\ufffd<b>&" in titles


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PLAIN_PDF, ("PDF 1.4", False)),
        (b"%PDF-1.7 kaputt", ("PDF (nicht lesbar)", False)),
        (b"", ("PDF (nicht lesbar)", False)),
    ],
)
def test_pdf_format(data, expected):
    assert package.pdf_format(io.BytesIO(data)) == expected


def test_image_rendition_refuses_garbage():
    assert package.image_pdfa_render(b"GIF89a\x00\x00", title="x") is None
    assert package.image_pdfa_render(b"", title="x") is None
