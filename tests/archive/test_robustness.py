"""The Aussonderung pages: security headers, no inline code, and garbage input never gives a server error."""

import pytest
from django.test import Client
from django.urls import reverse

from kreiswerk.archive import services as archive_services
from kreiswerk.archive.models import DisposalReview
from kreiswerk.tenancy.models import Role
from tests.conftest import login_verified, make_staff
from tests.test_security import GARBAGE, assert_no_inline_code, assert_not_500, assert_security_headers

from .conftest import decided, light_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(unit):
    user = make_staff("archiv", unit=unit, role=Role.ARCHIVE)
    return login_verified(Client(raise_request_exception=False), user)


@pytest.fixture
def reviews(case_type_version, django_capture_on_commit_callbacks):
    """One review in each state that has its own page content."""
    listed = light_case(case_type_version, "gewerbe")
    archive_services.disposal_reviews_list()
    kept = decided(light_case(case_type_version, "gewerbe"), "keep")
    with django_capture_on_commit_callbacks(execute=True):
        archive_services.handover_start(akte=kept.akte, actor=None)
    gone = decided(light_case(case_type_version, "gewerbe"), "destroy")
    record = archive_services.disposal_review_destroy(review=gone, actor=None)
    return DisposalReview.objects.get(case=listed), kept, gone, record


def test_the_pages_have_security_headers_and_no_inline_code(client_of, reviews):
    listed, kept, gone, record = reviews
    urls = [
        reverse("archive:reviews"),
        reverse("archive:reviews") + "?stand=completed",
        reverse("archive:review", args=[listed.pk]),
        reverse("archive:review", args=[kept.pk]),
        reverse("archive:review", args=[gone.pk]),
        reverse("archive:records"),
        reverse("archive:record", args=[record.pk]),
    ]
    for url in urls:
        response = client_of.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        assert_no_inline_code(response.content.decode())
        assert "no-store" in response.get("Cache-Control", "") or "no-cache" in response.get("Cache-Control", "")


def test_garbage_to_every_endpoint(client_of, reviews):
    listed, kept, gone, _record = reviews
    for value in GARBAGE:
        assert_not_500(client_of.get(reverse("archive:reviews"), {"stand": value, "seite": value}), value[:20])
        assert_not_500(client_of.get(reverse("archive:records"), {"seite": value}), value[:20])
        for review in (listed, kept, gone):
            body = {"decision": value, "reason": value, "bestaetigt": value}
            for name in ("decide", "destroy", "hand_over", "confirm"):
                assert_not_500(client_of.post(reverse(f"archive:{name}", args=[review.pk]), body), (name, value[:20]))
    raw = b"decision=%FF%FE\xff&reason=\xc3\x28&bestaetigt=%00"
    for name in ("decide", "destroy", "confirm"):
        url = reverse(f"archive:{name}", args=[listed.pk])
        assert_not_500(client_of.post(url, raw, content_type="application/x-www-form-urlencoded"), name)
    for path in (
        "/verwaltung/aussonderung/0/",
        "/verwaltung/aussonderung/99999999999999999999999/",
        "/verwaltung/aussonderung/akten/kein-uuid/paket.zip",
    ):
        assert_not_500(client_of.get(path), path)
