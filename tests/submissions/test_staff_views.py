"""The caseworkers' inbox: permissions per unit, filters, pagination, downloads, exports."""

import datetime
import io
import re
import uuid

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kreiswerk.submissions import receipt
from kreiswerk.submissions.models import Export, Submission
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from tests.conftest import attach_file, login_verified, make_staff
from tests.submissions.test_export import ANSWERS, export_definition, make_submission

LIST_URL = "/verwaltung/eingaenge/"
FILE_CONTENT = b"%PDF-1.4\n% Nachweis\n"


@pytest.fixture
def version(publish_assistant):
    return publish_assistant(export_definition())


@pytest.fixture
def other_caseworker(other_unit):
    return make_staff("jugendamt", unit=other_unit, role=Role.CASEWORKER)


@pytest.fixture
def submission(version):
    return make_submission(version, reference="MK-2026-000001")


@pytest.fixture
def attachment(submission):
    submission.payload = {**submission.payload, "answers": dict(ANSWERS)}
    attachment = attach_file(
        submission, field_key="nachweis", filename="Nachweis Wohnsitz (Kopie).pdf", content=FILE_CONTENT
    )
    return attachment


def detail_url(submission) -> str:
    return reverse("submissions:detail", kwargs={"submission_id": submission.pk})


def references(response) -> list[str]:
    return re.findall(r"MK-[\w-]+(?=</a>)", response.content.decode())


# --- access -----------------------------------------------------------------------------------


def test_urls_are_mounted_under_verwaltung():
    assert reverse("submissions:list") == LIST_URL
    assert reverse("submissions:export_start") == LIST_URL + "exporte/"


@pytest.mark.django_db
def test_login_required(client, caseworker, submission):
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "/verwaltung/anmelden/" in response["Location"]
    response = client.get(detail_url(submission))
    assert response.status_code == 302 and "/verwaltung/anmelden/" in response["Location"]


@pytest.mark.django_db
def test_password_alone_is_not_enough(caseworker, submission):
    client = Client()
    client.force_login(caseworker, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "/verwaltung/anmelden/" in response["Location"]
    assert client.get(detail_url(submission)).status_code == 302


@pytest.mark.django_db
def test_form_admin_without_caseworker_role_gets_403(staff_client, form_admin, submission):
    client = staff_client(form_admin)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(submission)).status_code == 403


@pytest.mark.django_db
def test_caseworker_sees_submissions_of_own_unit(staff_client, caseworker, submission):
    response = staff_client(caseworker).get(LIST_URL)
    assert response.status_code == 200
    assert references(response) == ["MK-2026-000001"]
    assert response["Cache-Control"].count("no-store") == 1


@pytest.mark.django_db
def test_caseworker_of_parent_unit_sees_subtree(staff_client, submission):
    amt = OrganisationalUnit.objects.get(code="ordnungsamt")
    head = make_staff("amtsleitung", unit=amt, role=Role.CASEWORKER)
    assert references(staff_client(head).get(LIST_URL)) == ["MK-2026-000001"]


@pytest.mark.django_db
def test_caseworker_of_other_unit_sees_nothing(staff_client, other_caseworker, submission, attachment):
    client = staff_client(other_caseworker)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert references(response) == []
    assert "MK-2026-000001" not in response.content.decode()
    assert client.get(detail_url(submission)).status_code == 404
    attachment_url = reverse(
        "submissions:attachment_download",
        kwargs={"submission_id": submission.pk, "attachment_id": attachment.pk},
    )
    response = client.get(attachment_url)
    assert response.status_code == 404
    assert FILE_CONTENT not in response.content
    receipt_url = reverse("submissions:receipt_download", kwargs={"submission_id": submission.pk})
    assert client.get(receipt_url).status_code == 404


@pytest.mark.django_db
def test_unknown_submission_is_404(staff_client, caseworker):
    url = reverse("submissions:detail", kwargs={"submission_id": uuid.uuid4()})
    assert staff_client(caseworker).get(url).status_code == 404


@pytest.mark.django_db
def test_attachment_of_another_submission_is_404(staff_client, caseworker, version, attachment):
    mine = make_submission(version, reference="MK-2026-000002")
    url = reverse(
        "submissions:attachment_download",
        kwargs={"submission_id": mine.pk, "attachment_id": attachment.pk},
    )
    assert staff_client(caseworker).get(url).status_code == 404


# --- list: filters and pagination ---------------------------------------------------------------


@pytest.mark.django_db
def test_filters_by_assistant_period_and_tests(staff_client, caseworker, version, publish_assistant):
    other_version = publish_assistant(export_definition(slug="katzensteuer", title="Katzensteuer"))
    now = timezone.now()
    make_submission(version, reference="MK-HUND-NEU", when=now)
    make_submission(version, reference="MK-HUND-ALT", when=now - datetime.timedelta(days=30))
    make_submission(version, reference="MK-HUND-TEST", when=now, is_test=True)
    make_submission(other_version, reference="MK-KATZE", when=now)
    client = staff_client(caseworker)

    assert sorted(references(client.get(LIST_URL))) == ["MK-HUND-ALT", "MK-HUND-NEU", "MK-KATZE"]
    response = client.get(LIST_URL, {"assistant": version.assistant.pk})
    assert sorted(references(response)) == ["MK-HUND-ALT", "MK-HUND-NEU"]
    response = client.get(LIST_URL, {"assistant": version.assistant.pk, "include_tests": "on"})
    assert sorted(references(response)) == ["MK-HUND-ALT", "MK-HUND-NEU", "MK-HUND-TEST"]
    today = timezone.localdate()
    response = client.get(LIST_URL, {"date_from": (today - datetime.timedelta(days=1)).isoformat()})
    assert sorted(references(response)) == ["MK-HUND-NEU", "MK-KATZE"]
    before = (today - datetime.timedelta(days=29)).strftime("%d.%m.%Y")  # German notation works too
    assert references(client.get(LIST_URL, {"date_to": before})) == ["MK-HUND-ALT"]
    response = client.get(LIST_URL, {"date_from": today.isoformat(), "date_to": "2000-01-01"})
    assert "Das Ende des Zeitraums" in response.content.decode()


@pytest.mark.django_db
def test_filter_by_assistant_of_another_unit_is_refused(
    staff_client, caseworker, other_unit, publish_assistant, submission
):
    foreign = publish_assistant(export_definition(slug="jugend", title="Jugendhilfe"), target_unit=other_unit)
    make_submission(foreign, reference="MK-FREMD")
    response = staff_client(caseworker).get(LIST_URL, {"assistant": foreign.assistant.pk})
    assert response.status_code == 200
    assert "MK-FREMD" not in response.content.decode()
    assert "Jugendhilfe" not in response.content.decode()


@pytest.mark.django_db
def test_pagination_keeps_filters(staff_client, caseworker, version):
    start = timezone.now()
    for index in range(30):
        make_submission(version, reference=f"MK-P{index:02d}", when=start - datetime.timedelta(minutes=index))
    client = staff_client(caseworker)

    first = client.get(LIST_URL, {"assistant": version.assistant.pk})
    assert len(references(first)) == 25
    assert references(first)[0] == "MK-P00"
    body = first.content.decode()
    assert f"?assistant={version.assistant.pk}&amp;page=2" in body
    second = client.get(LIST_URL, {"assistant": version.assistant.pk, "page": 2})
    assert references(second) == [f"MK-P{index:02d}" for index in range(25, 30)]
    assert "Seite 2 von 2" in second.content.decode()


@pytest.mark.django_db
def test_list_is_accessible_markup(staff_client, caseworker, submission):
    body = staff_client(caseworker).get(LIST_URL).content.decode()
    assert "<caption" in body and 'scope="col"' in body and 'scope="row"' in body
    for name in ("assistant", "unit", "date_from", "date_to", "include_tests"):
        assert f'for="id_{name}"' in body
    assert 'type="date"' in body
    assert 'method="get"' in body


# --- detail and downloads -----------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_answers_by_step_computed_values_and_attachments(staff_client, caseworker, submission, attachment):
    response = staff_client(caseworker).get(detail_url(submission))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "MK-2026-000001",
        "Angaben zur Person",
        "Erika Mustermann",
        "Hauptstraße 1a, 01234 Musterstadt",
        "1. April 1980",
        "Dackel, Pudel",
        "Bello",
        "Gebühr",
        "25,00 €",
        "Nachweis Wohnsitz (Kopie).pdf",
    ):
        assert text in body, text
    assert (
        reverse(
            "submissions:attachment_download",
            kwargs={"submission_id": submission.pk, "attachment_id": attachment.pk},
        )
        in body
    )
    assert reverse("submissions:receipt_download", kwargs={"submission_id": submission.pk}) in body


@pytest.mark.django_db
def test_attachment_download_decrypts_and_streams(staff_client, caseworker, submission, attachment):
    url = reverse(
        "submissions:attachment_download",
        kwargs={"submission_id": submission.pk, "attachment_id": attachment.pk},
    )
    response = staff_client(caseworker).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FILE_CONTENT
    assert response["Content-Disposition"] == 'attachment; filename="Nachweis_Wohnsitz_Kopie.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_receipt_download(staff_client, caseworker, submission, monkeypatch):
    seen = []
    monkeypatch.setattr(receipt, "receipt_pdf_bytes", lambda *, submission: seen.append(submission) or b"%PDF-1.7 x")
    url = reverse("submissions:receipt_download", kwargs={"submission_id": submission.pk})
    response = staff_client(caseworker).get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 x"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Eingangsbestaetigung-MK-2026-000001.pdf"'
    assert seen == [submission]


# --- exports ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_get_on_export_start_does_nothing(staff_client, caseworker, version):
    response = staff_client(caseworker).get(
        reverse("submissions:export_start"), {"assistant": version.assistant.pk, "format": "xlsx"}
    )
    assert response.status_code == 405
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_export_start_needs_csrf_token(caseworker, version):
    client = login_verified(Client(enforce_csrf_checks=True), caseworker)
    response = client.post(reverse("submissions:export_start"), {"assistant": version.assistant.pk, "format": "xlsx"})
    assert response.status_code == 403
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_one_click_export_to_excel(staff_client, caseworker, submission, django_capture_on_commit_callbacks):
    client = staff_client(caseworker)
    listing = client.get(LIST_URL, {"assistant": submission.assistant_id}).content.decode()
    assert 'action="/verwaltung/eingaenge/exporte/"' in listing and 'value="xlsx"' in listing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("submissions:export_start"),
            {"assistant": submission.assistant_id, "format": "xlsx"},
        )

    export = Export.objects.get()
    status_url = reverse("submissions:export_status", kwargs={"export_id": export.pk})
    assert response.status_code == 302 and response["Location"] == status_url
    status = client.get(status_url)
    body = status.content.decode()
    assert 'http-equiv="refresh"' not in body  # done: no more refreshing
    download_url = reverse("submissions:export_download", kwargs={"export_id": export.pk})
    assert download_url in body
    download = client.get(download_url)
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="antraege-hundesteuer-\d{8}-\d{4}\.xlsx"', disposition)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["Anträge"]["A2"].value == "MK-2026-000001"


@pytest.mark.django_db
def test_export_start_without_assistant_is_refused(staff_client, caseworker, submission):
    response = staff_client(caseworker).post(reverse("submissions:export_start"), {"format": "xlsx"})
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_export_of_foreign_assistant_is_refused(staff_client, other_caseworker, submission):
    response = staff_client(other_caseworker).post(
        reverse("submissions:export_start"),
        {"assistant": submission.assistant_id, "format": "xlsx"},
    )
    assert response.status_code == 302
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_status_page_refreshes_itself_until_ready(staff_client, caseworker, version):
    export = Export.objects.create(requested_by=caseworker, assistant=version.assistant, format="xlsx")
    url = reverse("submissions:export_status", kwargs={"export_id": export.pk})
    client = staff_client(caseworker)

    body = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    download_url = reverse("submissions:export_download", kwargs={"export_id": export.pk})
    assert download_url not in body
    assert client.get(download_url).status_code == 404
    assert 'http-equiv="refresh"' not in client.get(url, {"aktualisieren": "nein"}).content.decode()


@pytest.mark.django_db
def test_exports_are_private_to_the_requester(staff_client, caseworker, unit, version):
    colleague = make_staff("kollegin", unit=unit, role=Role.CASEWORKER)
    export = Export.objects.create(requested_by=caseworker, assistant=version.assistant, format="xlsx")
    client = staff_client(colleague)
    assert client.get(reverse("submissions:export_status", kwargs={"export_id": export.pk})).status_code == 404
    assert client.get(reverse("submissions:export_download", kwargs={"export_id": export.pk})).status_code == 404


@pytest.mark.django_db
def test_expired_export_is_gone(staff_client, caseworker, version):
    export = Export.objects.create(requested_by=caseworker, assistant=version.assistant, format="xlsx")
    Export.objects.filter(pk=export.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    url = reverse("submissions:export_status", kwargs={"export_id": export.pk})
    assert staff_client(caseworker).get(url).status_code == 404


@pytest.mark.django_db
def test_submission_count_unchanged_by_views(staff_client, caseworker, submission):
    staff_client(caseworker).get(detail_url(submission))
    assert Submission.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "age", "text"),
    [
        (Export.Status.FAILED, datetime.timedelta(0), "Der Export ist fehlgeschlagen."),
        (Export.Status.RUNNING, datetime.timedelta(hours=2), "dauert ungewöhnlich lange"),
    ],
)
def test_failed_or_stuck_export_stops_refreshing(staff_client, caseworker, version, status, age, text):
    export = Export.objects.create(requested_by=caseworker, assistant=version.assistant, format="csv", status=status)
    Export.objects.filter(pk=export.pk).update(created_at=timezone.now() - age)
    url = reverse("submissions:export_status", kwargs={"export_id": export.pk})
    body = staff_client(caseworker).get(url).content.decode()
    assert text in body
    assert 'http-equiv="refresh"' not in body


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}])
def test_a_far_away_date_in_the_filter_is_a_form_error_not_a_server_error(staff_client, caseworker, params):
    response = staff_client(caseworker).get(reverse("submissions:list"), params)
    assert response.status_code == 200
    assert "Jahr" in response.content.decode()
