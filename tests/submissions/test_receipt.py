"""The receipt: a tagged PDF/A-2a with all visible answers, stored encrypted, made once."""

import hashlib
import io
import uuid

import pikepdf
import pytest
from django.conf import settings

from kreiswerk.crypto.files import open_decrypted
from kreiswerk.submissions import receipt
from kreiswerk.submissions.models import Submission
from kreiswerk.submissions.receipt import receipt_pdf_bytes, receipt_pdf_render
from kreiswerk.submissions.tasks import followup_enqueue, submission_receipt_create
from tests.conftest import attach_file, pdf_text, simple_definition

REFERENCE = "MK-2026-000042"
APPLICANT = "Erika Mustermann"
FILE_NAME = "Nachweis_Wohnsitz.pdf"
FILE_CONTENT = b"%PDF-1.4\n% Nachweis\n"


def receipt_definition() -> dict:
    base = simple_definition()
    person = base["steps"][0]
    person["elements"] += [
        {
            "key": "wohnung",
            "type": "group",
            "label": "Wohnung",
            "elements": [{"key": "anschrift", "type": "address", "label": "Wohnanschrift"}],
        },
        {
            "key": "geheimfeld",
            "type": "text",
            "label": "Verborgene Angabe",
            "visible_if": {"==": [{"var": "anzahl"}, 5]},
        },
    ]
    return simple_definition(
        computed=[
            {
                "key": "gebuehr",
                "label": "Verwaltungsgebühr",
                "type": "money",
                "rule": {"*": [{"var": "anzahl"}, 12.5]},
            }
        ],
        fee="gebuehr",
        steps=[
            person,
            {
                "key": "kinder_schritt",
                "title": "Angaben zu den Kindern",
                "elements": [
                    {
                        "key": "kinder",
                        "type": "repeat",
                        "label": "Kinder",
                        "item_label": "Kind",
                        "elements": [{"key": "kind_name", "type": "text", "label": "Vorname des Kindes"}],
                    }
                ],
            },
            {
                "key": "nachweise",
                "title": "Nachweise",
                "elements": [
                    {
                        "key": "nachweis",
                        "type": "file",
                        "label": "Nachweis",
                        "file": {"types": ["pdf"]},
                    }
                ],
            },
            {
                "key": "sonderfall",
                "title": "Verborgener Schritt",
                "visible_if": {"==": [{"var": "anzahl"}, 5]},
                "elements": [{"key": "sonder", "type": "text", "label": "Sonderangabe"}],
            },
        ],
    )


@pytest.fixture
def submission(publish_assistant) -> Submission:
    version = publish_assistant(receipt_definition())
    assistant = version.assistant
    answers = {
        "name": APPLICANT,
        "email": "erika@example.org",
        "anzahl": 2,
        "anschrift": {
            "street": "Hauptstraße",
            "house_number": "1",
            "postal_code": "72072",
            "city": "Musterstadt",
        },
        "kinder": [{"kind_name": "Paul"}, {"kind_name": "Lena"}],
    }
    submission = Submission.objects.create(
        reference=REFERENCE,
        mandant=assistant.mandant,
        unit=assistant.unit,
        assistant=assistant,
        version=version,
        payload={"answers": answers, "computed": {"gebuehr": "25.00"}},
        idempotency_key=uuid.uuid4(),
    )
    attach_file(submission, field_key="nachweis", filename=FILE_NAME, content=FILE_CONTENT)
    return Submission.objects.get(pk=submission.pk)


def font_is_embedded(font: pikepdf.Dictionary) -> bool:
    if font.get("/Subtype") == "/Type0":
        return all(font_is_embedded(descendant) for descendant in font.DescendantFonts)
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are content streams in the PDF itself
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


@pytest.fixture(params=["bundled", "system"])
def font_source(request, monkeypatch):
    """KERN's Fira Sans from the static files, or DejaVu Sans when they are not there."""
    if request.param == "system":
        monkeypatch.setattr(receipt, "_FIRA_SANS", ((400, "vendor/kern/fonts/missing.woff2"),))
    return request.param


@pytest.mark.django_db
def test_receipt_is_tagged_pdfa_with_language_and_embedded_fonts(submission, font_source):
    pdf = pikepdf.open(io.BytesIO(receipt_pdf_render(submission=submission)))

    with pdf.open_metadata() as meta:
        assert meta.get("pdfaid:part") == "2"
        assert meta.get("pdfaid:conformance") == "A"
        assert REFERENCE in meta.get("dc:title")
    root = pdf.Root
    assert root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in root
    assert str(root.Lang) == "de"
    assert str(pdf.docinfo.Author) == "Landkreis Musterkreis"
    assert REFERENCE in str(pdf.docinfo.Title)

    fonts = [font for page in pdf.pages for font in page.Resources.get("/Font", {}).values()]
    assert fonts
    assert all(font_is_embedded(font) for font in fonts)
    names = [str(font.BaseFont) for font in fonts]
    if font_source == "system":
        assert all("DejaVu" in name for name in names), names
    else:  # KERN's typeface for the text; only the checksums are set in DejaVu Sans Mono
        assert all("Fira-Sans" in name or "DejaVu-Sans-Mono" in name for name in names), names
        assert any("Fira-Sans" in name for name in names), names


@pytest.mark.django_db
def test_receipt_shows_markup_in_answers_as_text(submission, tmp_path):
    payload = submission.payload
    payload["answers"]["name"] = '<img src="file:///etc/hostname"> <b>Erika</b>'
    submission.payload = payload

    text = pdf_text(receipt_pdf_render(submission=submission), tmp_path)

    assert '<img src="file:///etc/hostname"> <b>Erika</b>' in text


@pytest.mark.django_db
def test_receipt_shows_case_data_visible_answers_and_attachments(submission, tmp_path):
    text = pdf_text(receipt_pdf_render(submission=submission), tmp_path)

    for expected in [
        "Eingangsbestätigung",
        "Landkreis Musterkreis",
        "Sachgebiet Gewerbe",
        "Testantrag",
        REFERENCE,
        APPLICANT,
        "Hauptstraße 1, 72072 Musterstadt",
        "Wohnung",  # the group as a subheading
        "Kind 1",
        "Paul",
        "Kind 2",
        "Lena",
        "Verwaltungsgebühr",
        "25,00 €",
        FILE_NAME,
        "application/pdf",
        "keine Entscheidung",
    ]:
        assert expected in text, expected
    assert hashlib.sha256(FILE_CONTENT).hexdigest()[:16] in text.replace(" ", "")
    assert "Verborgene Angabe" not in text
    assert "Verborgener Schritt" not in text


@pytest.mark.django_db
def test_receipt_job_stores_encrypted_once(submission):
    submission_receipt_create.enqueue(submission_id=str(submission.pk))
    submission.refresh_from_db()
    path, key = submission.receipt_path, bytes(submission.receipt_key)
    assert path.startswith("receipts/")

    raw = (settings.KREISWERK_FILES_DIR / path).read_bytes()
    assert REFERENCE.encode() not in raw
    assert b"%PDF" not in raw
    plain = b"".join(open_decrypted(path, key))
    assert plain.startswith(b"%PDF-")

    submission_receipt_create.enqueue(submission_id=str(submission.pk))
    submission.refresh_from_db()
    assert submission.receipt_path == path
    assert len(list((settings.KREISWERK_FILES_DIR / "receipts").rglob("*.kwe"))) == 1


@pytest.mark.django_db
def test_receipt_bytes_renders_on_demand_then_serves_the_stored_file(submission):
    first = receipt_pdf_bytes(submission=submission)
    assert first.startswith(b"%PDF-")
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.receipt_path

    assert receipt_pdf_bytes(submission=stored) == first
    assert len(list((settings.KREISWERK_FILES_DIR / "receipts").rglob("*.kwe"))) == 1


@pytest.mark.django_db
def test_followup_runs_after_commit(submission, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        followup_enqueue(submission)
        assert not Submission.objects.get(pk=submission.pk).receipt_path  # nothing before commit

    assert len(callbacks) == 1  # one job, which starts the receipt and the e-mail
    submission.refresh_from_db()
    assert submission.receipt_path
    assert submission.confirmation_sent_at is not None
    assert len(mailoutbox) == 1
