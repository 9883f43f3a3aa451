"""Hand-over: a ZIP with every document (PDF/A where it can be) and a manifest; deletion only after receipt."""

import hashlib
import io
import os
import stat
import zipfile
from collections import Counter

import pikepdf
import pytest
from django.urls import reverse
from lxml import etree

from kreiswerk.archive import services as archive_services
from kreiswerk.archive.models import DeletionRecord, DisposalReview, HandOver
from kreiswerk.audit.models import AuditEntry
from kreiswerk.cases.models import Akte, Case, DocumentVersion
from kreiswerk.submissions.models import Submission
from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff

from .conftest import decided, light_case, listed

pytestmark = pytest.mark.django_db

NS = {"k": "urn:kreiswerk:aussonderung:1"}
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)


@pytest.fixture
def archivist(unit):
    return make_staff("archiv", unit=unit, role=Role.ARCHIVE)


@pytest.fixture
def hand_over(staff_client, archivist, django_capture_on_commit_callbacks):
    """POST the hand-over of the review's Akte as the archivist; the build job runs after the commit."""

    def post(review):
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client(archivist).post(reverse("archive:hand_over", args=[review.pk]), follow=True)

    return post


def read_package(path):
    archive = zipfile.ZipFile(path)
    (manifest_name,) = [name for name in archive.namelist() if name.endswith(".xml")]
    return archive, manifest_name, etree.fromstring(archive.read(manifest_name), parser=SAFE_XML)


def text(node, path: str) -> str:
    return node.findtext(path, namespaces=NS)


def assert_manifest_matches_zip(archive: zipfile.ZipFile, manifest_name: str, root) -> dict[str, etree._Element]:
    """Every file the manifest names is in the ZIP with its size and SHA-256, and nothing else is."""
    formats = {}
    for fmt in root.iterfind(".//k:Format", NS):
        name = text(fmt, "k:Primaerdokument/k:Dateiname")
        data = archive.read(name)
        assert hashlib.sha256(data).hexdigest() == text(fmt, "k:Primaerdokument/k:Pruefsumme")
        assert fmt.find("k:Primaerdokument/k:Pruefsumme", NS).get("algorithmus") == "SHA-256"
        assert len(data) == int(text(fmt, "k:Primaerdokument/k:Groesse"))
        formats[name] = fmt
    assert set(archive.namelist()) == set(formats) | {manifest_name}
    return formats


def pdfa_claim(data: bytes) -> tuple[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        metadata = pdf.open_metadata()
        return metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")


def test_the_package_has_a_manifest_with_matching_hashes_and_pdfa_files(expired_case, archivist, hand_over, settings):
    case = expired_case()
    versions = {v.filename: v for v in DocumentVersion.objects.filter(document__case=case)}
    review = decided(case, "keep", actor=archivist)

    response = hand_over(review)

    assert "Das Abgabepaket wird erstellt." in response.content.decode()  # the job runs after the commit
    handover = HandOver.objects.get()
    assert handover.status == HandOver.Status.READY
    path = settings.KREISWERK_ARCHIVE_OUTBOX / handover.filename
    assert handover.filename == f"{handover.pk}_Aussonderung.Aussonderung.0503.zip"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert hashlib.sha256(path.read_bytes()).hexdigest() == handover.sha256 and path.stat().st_size == handover.size
    review.refresh_from_db()
    assert review.state == DisposalReview.State.HANDED_OVER and review.handover == handover
    assert Case.objects.filter(pk=case.pk).exists()  # nothing is deleted before the archive confirms

    archive, manifest_name, root = read_package(path)
    assert root.tag == "{urn:kreiswerk:aussonderung:1}Aussonderung.Aussonderung.0503"
    assert text(root, "k:Kopf/k:ProzessID") == str(handover.pk)
    assert text(root, "k:Kopf/k:Nachrichtentyp/k:code") == "0503"
    akte = root.find("k:Schriftgutobjekt/k:Akte", NS)
    assert text(akte, "k:AllgemeineMetadaten/k:Kennzeichen") == case.akte.reference
    assert text(akte, "k:AllgemeineMetadaten/k:Betreff") == "Testvorgang"
    assert text(akte, "k:AllgemeineMetadaten/k:Aktenplaneinheit/k:Kennzeichen") == "82.10"
    assert text(akte, "k:Laufzeit/k:Ende") == case.closed_at.astimezone().date().isoformat()
    (vorgang,) = akte.findall("k:Akteninhalt/k:Vorgang", NS)
    assert text(vorgang, "k:AllgemeineMetadaten/k:Kennzeichen") == case.reference
    assert text(vorgang, "k:ArchivspezifischeMetadaten/k:Aussonderungsart/k:Aussonderungsart/k:code") == "A"
    assert text(vorgang, "k:ArchivspezifischeMetadaten/k:Bewertungsvorschlag/k:code") == "B"
    assert len(vorgang.findall("k:Dokument", NS)) == 3

    formats = assert_manifest_matches_zip(archive, manifest_name, root)
    by_original = {text(fmt, "k:Primaerdokument/k:DateinameOriginal"): fmt for fmt in formats.values()}
    for filename, version in versions.items():
        original = by_original[filename]
        assert text(original, "k:Primaerdokument/k:Pruefsumme") == version.sha256
        assert text(original, "k:Fassung") == "Original"

    receipt = by_original[next(name for name in versions if name.startswith("Eingangsbestaetigung"))]
    assert (text(receipt, "k:Version"), text(receipt, "k:PDFA")) == ("PDF/A-2a", "true")
    plain = by_original["nachweis-erika.pdf"]
    assert (text(plain, "k:Version"), text(plain, "k:PDFA")) == ("PDF 1.4", "false")
    image = by_original["foto-erika.png"]
    assert (text(image, "k:Name/k:code"), text(image, "k:PDFA")) == ("png", "false")
    (rendition,) = [
        fmt for fmt in image.getparent().findall("k:Format", NS) if text(fmt, "k:Fassung") == "Archivfassung"
    ]
    assert (text(rendition, "k:Version"), text(rendition, "k:PDFA")) == ("PDF/A-2a", "true")

    for fmt in formats.values():
        data = archive.read(text(fmt, "k:Primaerdokument/k:Dateiname"))
        if text(fmt, "k:PDFA") == "true":
            assert pdfa_claim(data) == ("2", "A")
    assert AuditEntry.objects.filter(action="archive.handover_start", target_id=str(case.pk)).exists()
    assert AuditEntry.objects.filter(action="archive.handover_built", target_id=str(case.pk)).exists()


def test_confirming_the_receipt_deletes_the_case_and_keeps_a_record(
    expired_case, archivist, hand_over, staff_client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    case = expired_case()
    submission_id = case.submission_id
    paths = set(DocumentVersion.objects.filter(document__case=case).values_list("path", flat=True))
    review = decided(case, "keep", actor=archivist)
    hand_over(review)
    handover = HandOver.objects.get()
    deleted = Counter()
    real = archive_services.delete_stored
    monkeypatch.setattr(archive_services, "delete_stored", lambda path: (deleted.update([path]), real(path)))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(archivist).post(
            reverse("archive:confirm", args=[review.pk]), {"bestaetigt": "1"}, follow=True
        )

    assert "Die Übernahme ist bestätigt" in response.content.decode()
    assert not Case.objects.filter(pk=case.pk).exists() and not Akte.objects.filter(pk=case.akte_id).exists()
    assert not Submission.objects.filter(pk=submission_id).exists()
    assert deleted == dict.fromkeys(paths, 1)
    assert not (settings.KREISWERK_ARCHIVE_OUTBOX / handover.filename).exists()  # no plaintext copy stays
    handover.refresh_from_db()
    assert handover.status == HandOver.Status.CONFIRMED and handover.confirmed_by == archivist
    record = DeletionRecord.objects.get()
    assert record.outcome == DeletionRecord.Outcome.ARCHIVED and record.decision == "keep"
    assert (record.handover_id, record.package_sha256) == (handover.pk, handover.sha256)
    assert AuditEntry.objects.filter(action="archive.delete_archived", target_id=str(case.pk)).exists()


def test_confirming_needs_the_checkbox_and_a_ready_package(expired_case, archivist, staff_client, hand_over):
    case = expired_case()
    review = decided(case, "keep", actor=archivist)
    client = staff_client(archivist)
    response = client.post(reverse("archive:confirm", args=[review.pk]), {"bestaetigt": "1"}, follow=True)
    assert "Für diesen Vorgang gibt es kein Abgabepaket." in response.content.decode()
    hand_over(review)
    response = client.post(reverse("archive:confirm", args=[review.pk]), {}, follow=True)
    assert "Bitte bestätigen Sie dies durch Ankreuzen des Kästchens." in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()
    client.post(reverse("archive:confirm", args=[review.pk]), {"bestaetigt": "1"})
    response = client.post(reverse("archive:confirm", args=[review.pk]), {"bestaetigt": "1"}, follow=True)
    assert "Die Übernahme dieser Abgabe ist bereits bestätigt." in response.content.decode()
    assert DeletionRecord.objects.count() == 1


def test_an_akte_is_handed_over_once_every_case_in_it_is_kept(case_type_version, archivist, hand_over, staff_client):

    first = light_case(case_type_version, "gewerbe")
    second = light_case(case_type_version, "gewerbe")
    empty = second.akte_id
    Case.objects.filter(pk=second.pk).update(akte=first.akte)
    Akte.objects.filter(pk=empty).delete()
    review = decided(first, "keep", actor=archivist)

    response = hand_over(review)
    assert "Übergeben wird eine Akte erst, wenn für jeden ihrer Vorgänge „übernehmen“ entschieden ist." in (
        response.content.decode()
    )
    assert not HandOver.objects.exists()
    assert second.reference in staff_client(archivist).get(reverse("archive:review", args=[review.pk])).content.decode()

    decided(second, "keep", actor=archivist)
    hand_over(review)
    handover = HandOver.objects.get(status=HandOver.Status.READY)
    archive, manifest_name, root = read_package(archive_services.outbox_dir() / handover.filename)
    references = [text(v, "k:AllgemeineMetadaten/k:Kennzeichen") for v in root.iterfind(".//k:Vorgang", NS)]
    assert references == [first.reference, second.reference]
    assert_manifest_matches_zip(archive, manifest_name, root)

    records = archive_services.handover_confirm(handover=handover, actor=archivist)
    assert [record.akte_deleted for record in records] == [False, True]
    assert not Akte.objects.filter(pk=first.akte_id).exists()
    assert DisposalReview.objects.filter(state=DisposalReview.State.COMPLETED).count() == 2


def test_a_missing_file_fails_the_package_and_deletes_nothing(
    case_type_version, archivist, hand_over, settings, staff_client
):

    case = light_case(case_type_version, "gewerbe")
    version = DocumentVersion.objects.get(document__case=case)
    (settings.KREISWERK_FILES_DIR / version.path).unlink()
    review = decided(case, "keep", actor=archivist)

    hand_over(review)

    page = staff_client(archivist).get(reverse("archive:review", args=[review.pk])).content.decode()
    assert "Das Abgabepaket konnte nicht erstellt werden: ein Dokument fehlt oder ist beschädigt." in page
    handover = HandOver.objects.get()
    assert handover.status == HandOver.Status.FAILED
    assert list(settings.KREISWERK_ARCHIVE_OUTBOX.iterdir()) == []
    with pytest.raises(archive_services.ArchiveActionRefused):
        archive_services.handover_confirm(handover=handover, actor=archivist)
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_damaged_file_fails_the_package(case_type_version, archivist, hand_over, settings):

    case = light_case(case_type_version, "gewerbe")
    version = DocumentVersion.objects.get(document__case=case)
    path = settings.KREISWERK_FILES_DIR / version.path
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    hand_over(decided(case, "keep", actor=archivist))
    assert HandOver.objects.get().status == HandOver.Status.FAILED


def test_a_new_package_replaces_the_earlier_one(case_type_version, archivist, hand_over, settings):

    review = decided(light_case(case_type_version, "gewerbe"), "keep", actor=archivist)
    hand_over(review)
    first = HandOver.objects.get()
    hand_over(review)
    first.refresh_from_db()
    second = HandOver.objects.exclude(pk=first.pk).get()
    assert first.status == HandOver.Status.SUPERSEDED and second.status == HandOver.Status.READY
    assert [p.name for p in settings.KREISWERK_ARCHIVE_OUTBOX.iterdir()] == [second.filename]


def test_the_decision_is_fixed_while_a_package_awaits_confirmation(case_type_version, archivist, hand_over):

    review = decided(light_case(case_type_version, "gewerbe"), "keep", actor=archivist)
    hand_over(review)
    with pytest.raises(archive_services.ArchiveActionRefused, match="Entscheidung kann nicht mehr geändert werden"):
        archive_services.disposal_review_decide(review=review, decision="destroy", reason="doch nicht", actor=archivist)


# --- the package of any closed Akte ----------------------------------------------------------


def test_a_caseworker_downloads_a_closed_akte_as_zip(expired_case, caseworker, staff_client):
    case = expired_case()
    response = staff_client(caseworker).get(reverse("archive:akte_package", args=[case.akte_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="Akte-')
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    (manifest_name,) = [name for name in archive.namelist() if name.endswith(".xml")]
    root = etree.fromstring(archive.read(manifest_name), parser=SAFE_XML)
    assert_manifest_matches_zip(archive, manifest_name, root)
    # Without an archive decision the case carries its proposal ("B": to be appraised).
    assert text(root, ".//k:Vorgang/k:ArchivspezifischeMetadaten/k:Aussonderungsart/k:Aussonderungsart/k:code") == "B"
    entry = AuditEntry.objects.get(action="archive.package_download")
    assert (entry.target_id, entry.actor_id) == (str(case.pk), caseworker.pk)
    assert Case.objects.filter(pk=case.pk).exists()


def test_an_open_akte_is_not_downloaded(case_type_version, caseworker, staff_client):

    case = light_case(case_type_version, "gewerbe", closed=False, expired=False)
    response = staff_client(caseworker).get(reverse("archive:akte_package", args=[case.akte_id]), follow=True)
    assert "Als Paket herunterladen lässt sich nur eine geschlossene Akte." in response.content.decode()
    assert not AuditEntry.objects.filter(action="archive.package_download").exists()


def test_listing_alone_changes_no_case(expired_case):
    case = expired_case()
    listed(case)
    assert Case.objects.filter(pk=case.pk, is_open=False).exists()
