"""``kreiswerk demo`` brings old closed cases whose retention ran out, and a person to decide on them."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from kreiswerk.archive.models import DisposalReview
from kreiswerk.cases.models import Case
from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import has_role
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_the_demo_lists_expired_cases_for_the_archive_user(client):
    call_command("demo", cockpit_scale=0.01, case_scale=0.1, stdout=StringIO())
    reviews = DisposalReview.objects.all()
    assert reviews.count() >= 8
    assert {review.proposed for review in reviews} == {Case.Disposal.OFFER, Case.Disposal.DESTROY}
    assert all(review.case.retention_until < review.listed_at.date() for review in reviews)
    archivist = get_user_model().objects.get(username="archiv")
    for unit in OrganisationalUnit.objects.filter(mandant__slug="musterkreis"):
        assert has_role(archivist, Role.ARCHIVE, unit)
    assert not has_role(archivist, Role.CASEWORKER, OrganisationalUnit.objects.get(code="gewerbe"))

    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=archivist, name="Test", confirmed=True)
    page = login_verified(client, archivist).get(reverse("archive:reviews")).content.decode()
    assert reviews.first().case_reference in page

    output = StringIO()
    call_command("demo", cockpit_scale=0.01, case_scale=0.1, stdout=output)
    assert "nichts geändert" in output.getvalue()
    assert DisposalReview.objects.count() == reviews.count()
