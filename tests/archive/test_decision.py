"""The archive's decision, the list and the detail page; bad input gets a German message, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from kreiswerk.archive.models import DisposalReview
from kreiswerk.audit.models import AuditEntry
from kreiswerk.tenancy.models import Role
from tests.conftest import login_verified, make_staff

from .conftest import APPLICANT, APPLICANT_EMAIL, decided, light_case, listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(unit):
    return make_staff("archiv", unit=unit, role=Role.ARCHIVE)


@pytest.fixture
def client_of(archivist):
    return login_verified(Client(raise_request_exception=False), archivist)


@pytest.fixture
def review(case_type_version):
    return listed(light_case(case_type_version, "gewerbe"))


def test_it_records_the_decision_with_its_reason(review, archivist, client_of):
    url = reverse("archive:decide", args=[review.pk])
    response = client_of.post(url, {"decision": "destroy", "reason": "  Nach Bewertungsmodell nicht archivwürdig  "})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.decision, review.decided_by) == ("decided", "destroy", archivist)
    assert review.reason == "Nach Bewertungsmodell nicht archivwürdig" and review.decided_at is not None
    entry = AuditEntry.objects.get(action="archive.decide")
    assert (entry.target_id, entry.actor_id, entry.details["decision"]) == (
        str(review.case_id),
        archivist.pk,
        "destroy",
    )
    assert "Die Entscheidung ist gespeichert." in client_of.get(response["Location"]).content.decode()


def test_a_decision_can_be_changed_until_it_is_carried_out(review, archivist, client_of):
    decided(review.case, "destroy", actor=archivist)
    client_of.post(reverse("archive:decide", args=[review.pk]), {"decision": "keep", "reason": "doch archivwürdig"})
    review.refresh_from_db()
    assert review.decision == "keep"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "keep", "reason": ""}, "Bitte begründen Sie die Entscheidung."),
        ({"decision": "keep", "reason": "   "}, "Bitte begründen Sie die Entscheidung."),
        ({"reason": "Bewertung"}, "Bitte wählen Sie „übernehmen“ oder „vernichten“."),
        ({"decision": "verbrennen", "reason": "Bewertung"}, "Bitte wählen Sie „übernehmen“ oder „vernichten“."),
        ({"decision": "keep", "reason": "x" * 1001}, "Die Begründung darf höchstens 1000 Zeichen lang sein."),
        ({"decision": ["keep", "destroy"], "reason": "\x00"}, "Es gibt ein Problem"),
    ],
)
def test_bad_input_gets_a_german_message(review, client_of, data, message):
    response = client_of.post(reverse("archive:decide", args=[review.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "Es gibt ein Problem" in html
    review.refresh_from_db()
    assert review.state == DisposalReview.State.LISTED and review.decision == ""


def test_the_list_shows_the_reviews_and_filters_by_state(case_type_version, archivist, client_of):
    open_review = listed(light_case(case_type_version, "gewerbe"))
    done = decided(light_case(case_type_version, "gewerbe"), "keep", actor=archivist)
    page = client_of.get(reverse("archive:reviews")).content.decode()
    assert open_review.case_reference in page and done.case_reference in page
    assert APPLICANT not in page and APPLICANT_EMAIL not in page  # no personal data on the list
    page = client_of.get(reverse("archive:reviews"), {"stand": "listed"}).content.decode()
    assert open_review.case_reference in page and done.case_reference not in page
    entry = AuditEntry.objects.filter(action="archive.review_list").last()
    assert entry.details == {"reviews": [open_review.pk]}


@pytest.mark.parametrize("value", ["gibt-es-nicht", "\x00", "x" * 5000, "1e999"])
def test_a_bad_filter_gets_a_german_message(review, client_of, value):
    response = client_of.get(reverse("archive:reviews"), {"stand": value, "seite": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bitte wählen Sie einen Stand aus der Liste." in html
    assert review.case_reference not in html


@pytest.mark.parametrize("value", ["0", "-1", "999999", "x", "1e999"])
def test_a_bad_page_number_shows_a_page(review, client_of, value):
    response = client_of.get(reverse("archive:reviews"), {"seite": value})
    assert response.status_code == 200
    assert review.case_reference in response.content.decode()


def test_the_detail_page_shows_the_review_and_records_the_read(review, archivist, client_of):
    response = client_of.get(reverse("archive:review", args=[review.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and review.case_reference in html
    assert "dem Archiv anbieten" in html  # the proposal of the result "bewilligt"
    assert APPLICANT not in html
    assert AuditEntry.objects.filter(action="archive.review_read", target_id=str(review.case_id)).exists()


def test_unknown_review_is_not_found(client_of):
    assert client_of.get(reverse("archive:review", args=[999999])).status_code == 404
    assert client_of.post(reverse("archive:decide", args=[999999]), {"decision": "keep"}).status_code == 404


def test_the_staff_navigation_links_the_aussonderung_for_the_role(archivist, caseworker, staff_client):
    assert reverse("archive:reviews") in staff_client(archivist).get(reverse("accounts:home")).content.decode()
    assert reverse("archive:reviews") not in staff_client(caseworker).get(reverse("accounts:home")).content.decode()
