"""Cockpit fixtures: the digitalisation team, a council reader and a plain staff member."""

import pytest

from kreiswerk.tenancy.models import Role
from tests.conftest import make_staff


@pytest.fixture
def team_member(unit):
    return make_staff("digital", unit=unit, role=Role.DIGITAL_TEAM)


@pytest.fixture
def reader(unit):
    return make_staff("kreisrat", unit=unit, role=Role.COCKPIT_READER)


@pytest.fixture
def colleague(other_unit):
    """Staff without any cockpit role: may submit ideas and follow their own."""
    return make_staff("kollegin", unit=other_unit, role=Role.CASEWORKER)
