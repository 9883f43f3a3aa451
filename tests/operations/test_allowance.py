"""Rate limits: a key gets its number of uses per window, shared by all processes, and not one more."""

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.operations.services import allowance_take
from tests.conftest import run_together

WINDOW = 60


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(min_value=0, max_value=6),
    steps=st.lists(st.tuples(st.sampled_from("abc"), st.integers(min_value=0, max_value=70)), max_size=30),
)
@pytest.mark.django_db
def test_each_key_gets_its_limit_per_window(limit_clock, limit, steps):
    scope = uuid.uuid4().hex  # the cache outlives hypothesis' examples within one test
    limit_clock.now = 1_800_000_000.0
    attempts, granted = Counter(), Counter()
    for key, pause in steps:
        limit_clock.now += pause
        window = int(limit_clock.now) // WINDOW
        attempts[key, window] += 1
        granted[key, window] += allowance_take(scope=scope, key=key, limit=limit, window_seconds=WINDOW)
    assert granted == Counter({use: min(count, limit) for use, count in attempts.items() if min(count, limit)})


@pytest.mark.django_db
def test_scopes_do_not_share_uses(limit_clock):
    assert allowance_take(scope="eins", key="k", limit=1, window_seconds=WINDOW)
    assert not allowance_take(scope="eins", key="k", limit=1, window_seconds=WINDOW)
    assert allowance_take(scope="zwei", key="k", limit=1, window_seconds=WINDOW)


@pytest.mark.django_db(transaction=True)
def test_processes_taking_at_the_same_moment_get_the_limit_between_them(limit_clock):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers; the race needs PostgreSQL")
    start = threading.Barrier(8)
    results: list[bool] = []

    def take_five():
        start.wait(timeout=10)
        for _ in range(5):
            results.append(allowance_take(scope="gleichzeitig", key="k", limit=10, window_seconds=3600))

    assert run_together(take_five, threads=8) == []
    assert len(results) == 40 and results.count(True) == 10
