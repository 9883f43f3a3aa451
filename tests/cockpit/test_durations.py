"""Processing times: the median and 90th percentile per Vorgangsart are the nearest ranks of the cases."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.cases.models import CaseType
from kreiswerk.cockpit import rollup
from kreiswerk.cockpit.models import ClosedCaseDay, ClosedCaseMonth
from kreiswerk.cockpit.selectors import Period, durations_compute

pytestmark = pytest.mark.django_db

FIRST = date(2025, 12, 20)  # the days span a turn of the year and three months' edges


def nearest_rank(values: list[int], fraction: float) -> int | None:
    """The textbook definition on the sorted list: the value at rank ⌈p·n⌉ (at least 1)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    return ordered[rank - 1]


@pytest.fixture
def case_types(mandant, unit):
    return [
        CaseType.objects.create(mandant=mandant, unit=unit, key=f"art-{number}", title=f"Vorgangsart {number}")
        for number in range(3)
    ]


def closed(case_types, closings: list[tuple[int, int, int]]) -> None:
    """Daily histogram rows for (case type, day offset, duration) closings, and their months."""
    ClosedCaseDay.objects.all().delete()
    ClosedCaseMonth.objects.all().delete()
    histogram = Counter((FIRST + timedelta(days=day), case_types[kind].pk, days) for kind, day, days in closings)
    ClosedCaseDay.objects.bulk_create(
        ClosedCaseDay(day=day, case_type_id=case_type_id, duration_days=days, cases=count)
        for (day, case_type_id, days), count in histogram.items()
    )
    rollup.months_sum(rollup.CLOSINGS, [day for day, _case_type, _days in histogram])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    closings=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 100), st.integers(0, 400) | st.integers(0, 5)), max_size=80
    ),
    ends=st.tuples(st.integers(0, 100), st.integers(0, 100)),
)
def test_the_percentiles_are_the_nearest_ranks_of_the_cases_closed_in_the_period(mandant, case_types, closings, ends):
    closed(case_types, closings)
    first, last = min(ends), max(ends)
    durations = durations_compute(
        mandants=[mandant.pk], period=Period(FIRST + timedelta(first), FIRST + timedelta(last))
    )
    want = {}
    for kind, case_type in enumerate(case_types):
        values = [days for k, day, days in closings if k == kind and first <= day <= last]
        if values:
            want[case_type.title] = (len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9))
    assert {row.case_type.title: (row.cases, row.median, row.p90) for row in durations} == want
    assert all(type(value) is int for row in durations for value in (row.cases, row.median, row.p90))


def test_percentiles_at_the_known_edges(mandant, case_types):
    period = Period(FIRST, FIRST + timedelta(days=100))

    def medians(closings):
        closed(case_types, closings)
        return [(row.cases, row.median, row.p90) for row in durations_compute(mandants=[mandant.pk], period=period)]

    assert medians([]) == []
    assert medians([(0, 3, 7)]) == [(1, 7, 7)]
    assert medians([(0, 3, 1)] * 5 + [(0, 4, 10)] * 5) == [(10, 1, 10)]  # rank 5 of 10 for the median
    assert medians([(0, 3, days) for days in range(1, 11)]) == [(10, 5, 9)]  # 0.9 · 10 is exactly rank 9, not 10


def test_another_mandants_case_types_are_not_counted(mandant, case_types):
    from kreiswerk.tenancy.models import Mandant

    closed(case_types, [(0, 3, 4)])
    town = Mandant.objects.create(slug="nachbarstadt", name="Nachbarstadt")
    assert durations_compute(mandants=[town.pk], period=Period(FIRST, FIRST + timedelta(days=100))) == []
