"""Rate limits: a key gets its number of uses per window, shared by all processes, and not one more."""

import io
import threading
import uuid
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.operations.models import Allowance
from kreiswerk.operations.services import Limit, allowance_take, allowances_purge, client_bucket
from tests.conftest import run_together

WINDOW = 60


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    uses=st.integers(min_value=0, max_value=6),
    steps=st.lists(st.tuples(st.sampled_from("abc"), st.integers(min_value=0, max_value=70)), max_size=30),
)
@pytest.mark.django_db
def test_each_key_gets_its_uses_per_window(limit_clock, uses, steps):
    scope = uuid.uuid4().hex  # the rows outlive hypothesis' examples within one test
    limit_clock.now = 1_800_000_000.0
    attempts, granted = Counter(), Counter()
    for key, pause in steps:
        limit_clock.now += pause
        window = int(limit_clock.now) // WINDOW
        attempts[key, window] += 1
        granted[key, window] += allowance_take(Limit(scope, key, uses, WINDOW))
    assert granted == Counter({use: min(count, uses) for use, count in attempts.items() if min(count, uses)})


@pytest.mark.django_db
def test_scopes_do_not_share_uses(limit_clock):
    assert allowance_take(Limit("eins", "k", 1, WINDOW))
    assert not allowance_take(Limit("eins", "k", 1, WINDOW))
    assert allowance_take(Limit("zwei", "k", 1, WINDOW))


@pytest.mark.django_db
def test_a_refused_call_costs_no_other_budget(limit_clock):
    wide, narrow = Limit("weit", "k", 3, WINDOW), Limit("eng", "k", 1, WINDOW)
    assert allowance_take(wide, narrow)
    assert not allowance_take(wide, narrow)
    assert not allowance_take(wide, narrow)
    assert [allowance_take(wide) for _ in range(3)] == [True, True, False]


@pytest.mark.django_db
def test_what_is_limited_is_not_stored_in_clear(limit_clock):
    allowance_take(Limit("adresse", "203.0.113.9", 1, WINDOW))
    assert "203.0.113.9" not in str(list(Allowance.objects.values_list("key", flat=True)))


def test_an_ipv6_client_is_its_64_network():
    assert client_bucket("2001:db8:1:2:aaaa::1") == client_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_bucket("2001:db8:1:3::1") != client_bucket("2001:db8:1:2::1")
    assert client_bucket("203.0.113.9") == "203.0.113.9"
    assert client_bucket(None) is None and client_bucket("") is None


@pytest.mark.django_db
def test_housekeeping_deletes_the_windows_that_ended(limit_clock):
    limit_clock.now = 1_600_000_000.0  # 2020: long over
    allowance_take(Limit("alt", "k", 1, WINDOW))
    limit_clock.now = 4_000_000_000.0  # 2096: still to come
    allowance_take(Limit("neu", "k", 1, WINDOW))
    call_command("housekeeping", stdout=io.StringIO())
    assert list(Allowance.objects.values_list("scope", flat=True)) == ["neu"]
    assert allowances_purge() == 0


@pytest.mark.django_db(transaction=True)
def test_processes_taking_at_the_same_moment_get_the_uses_between_them(limit_clock):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers; the race needs PostgreSQL")
    start = threading.Barrier(8)
    limit = Limit(uuid.uuid4().hex, "k", 10, 3600)
    results: list[bool] = []

    def take_five():
        start.wait(timeout=10)
        for _ in range(5):
            results.append(allowance_take(limit))

    assert run_together(take_five, threads=8) == []
    assert len(results) == 40 and results.count(True) == 10
