"""The units a role reaches, read once per request and never older than the memberships."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kreiswerk.tenancy.models import OrganisationalUnit, Role
from kreiswerk.tenancy.permissions import MEMBERSHIPS_ATTRIBUTE, unit_list_for
from kreiswerk.tenancy.services import membership_grant

pytestmark = pytest.mark.django_db


def test_it_reads_the_units_once_per_user_object(caseworker, unit, django_assert_num_queries):
    with django_assert_num_queries(2):  # the memberships, then the units
        first = unit_list_for(caseworker, Role.CASEWORKER)
    with django_assert_num_queries(0):
        again = unit_list_for(caseworker, Role.CASEWORKER)
    assert first is again
    assert first == list(OrganisationalUnit.objects.filter(path__startswith=unit.path).order_by("path"))


def test_a_role_granted_counts_at_once(caseworker, unit, other_unit):
    assert other_unit not in unit_list_for(caseworker, Role.CASEWORKER)
    membership_grant(user=caseworker, unit=other_unit, role=Role.CASEWORKER)
    assert other_unit in unit_list_for(caseworker, Role.CASEWORKER)
    assert unit_list_for(caseworker, Role.ARCHIVE) == []


def test_memberships_set_from_outside_replace_the_kept_units(caseworker, unit, other_unit):
    assert unit in unit_list_for(caseworker, Role.CASEWORKER)
    # As an API client acting in the units of its grants does it.
    setattr(caseworker, MEMBERSHIPS_ATTRIBUTE, [(Role.CASEWORKER, other_unit.path, other_unit.mandant_id)])
    assert unit_list_for(caseworker, Role.CASEWORKER) == [other_unit]


def test_nobody_signed_in_reaches_no_unit(unit):
    assert unit_list_for(AnonymousUser(), Role.CASEWORKER) == []
