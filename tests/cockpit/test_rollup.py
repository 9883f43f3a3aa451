"""The daily and monthly figures follow every change, also when two readers refresh them at once."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kreiswerk.cockpit.models import StaleDay, SubmissionDay, SubmissionMonth
from kreiswerk.cockpit.rollup import local_day, rollup_refresh
from kreiswerk.cockpit.selectors import Period
from kreiswerk.runner.services import step_count
from kreiswerk.submissions.models import Submission
from tests.cases.conftest import make_submission
from tests.conftest import simple_definition


@pytest.fixture
def version(publish_assistant):
    return publish_assistant(simple_definition())


def counted(version, day) -> int:
    row = SubmissionDay.objects.filter(assistant=version.assistant, day=day).first()
    return row.submissions if row else 0


def test_it_counts_a_submission_once_its_day_is_refreshed(version):
    make_submission(version)
    make_submission(version, is_test=True)
    assert StaleDay.objects.exists()
    assert rollup_refresh() >= 1
    assert not StaleDay.objects.exists()
    assert counted(version, timezone.localdate()) == 1
    assert rollup_refresh() == 0


def test_a_day_changed_by_sql_is_counted_after_the_rebuild_command(version, capsys):
    submission = make_submission(version)
    rollup_refresh()
    earlier = timezone.now() - timedelta(days=40)
    # A restore or an import by SQL bypasses the marks: the rebuild command catches up.
    Submission.objects.filter(pk=submission.pk).update(submitted_at=earlier)
    rollup_refresh()
    assert counted(version, local_day(earlier)) == 0
    day = local_day(earlier)
    call_command("cockpit_rollup", "--from", str(day), "--to", str(timezone.localdate()))
    assert counted(version, day) == 1
    assert counted(version, timezone.localdate()) == 0
    assert "neu berechnet" in capsys.readouterr().out


def test_the_rebuild_command_refuses_a_reversed_period(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nicht vor --from"):
        call_command("cockpit_rollup", "--from", "2026-02-01", "--to", "2026-01-01")
    with pytest.raises(CommandError, match="JJJJ-MM-TT"):
        call_command("cockpit_rollup", "--from", "gestern", "--to", "2026-01-01")


def test_housekeeping_refreshes_the_marked_days(version, capsys):
    make_submission(version)
    call_command("housekeeping")
    assert "Cockpit" in capsys.readouterr().out
    assert not StaleDay.objects.exists()
    assert counted(version, timezone.localdate()) == 1


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(0, 800),
    today=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
)
def test_a_period_is_read_as_whole_months_and_days_added_or_taken_away(start, length, today):
    period = Period(start, start + timedelta(days=length))
    months, added, subtracted = period.split(today)

    def days(first, last):
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

    weight = Counter()
    for month in months:
        assert month.day == 1
        weight.update(days(month, (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)))
    for first, last in added:
        weight.update(days(first, last))
    for first, last in subtracted:
        weight.subtract(days(first, last))
    # Every day of the period counts once, every other day not at all.
    assert +weight == Counter(days(period.start, period.end))
    assert -weight == Counter()
    # Never more than the months the period touches, and only the edge months read in part.
    assert len(months) + len(added) <= len(period.months)
    assert len(added) + len(subtracted) <= 4


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_sums_the_months_of_figures_kept_before(version):
    """An installation that kept only daily figures gets its months from them when it migrates."""
    make_submission(version)
    step_count(assistant_id=version.assistant_id, step="")
    rollup_refresh()
    executor = MigrationExecutor(connection)
    executor.migrate([("cockpit", "0001_initial"), ("runner", "0004_draft_staff_author_stepcount")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    month = timezone.localdate().replace(day=1)
    assert list(SubmissionMonth.objects.values_list("month", "assistant_id", "submissions")) == [
        (month, version.assistant_id, 1)
    ]
    from kreiswerk.runner.models import StepCountMonth

    assert list(StepCountMonth.objects.values_list("month", "step", "count")) == [(month, "", 1)]


@pytest.mark.django_db(transaction=True)
def test_the_figures_are_read_from_one_snapshot(version, monkeypatch):
    """Months less days from several queries: a step counted between two of them must not show."""
    from kreiswerk.cockpit import selectors

    seen, read = [], selectors.durations_compute

    def durations(**kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                seen.append(cursor.fetchone()[0])
        else:
            seen.append(connection.in_atomic_block)
        return read(**kwargs)

    monkeypatch.setattr(selectors, "durations_compute", durations)
    selectors.figures_compute(mandant=version.assistant.mandant, period=selectors.period_last_year())
    assert seen == (["repeatable read"] if connection.vendor == "postgresql" else [True])


def test_the_step_outlines_survive_a_full_cache(publish_assistant, monkeypatch):
    from kreiswerk.cockpit import selectors

    versions = [publish_assistant(simple_definition(slug=f"antrag-{index}")) for index in range(3)]
    keys = [(version.pk, version.created_at) for version in versions]
    monkeypatch.setattr(selectors, "OUTLINES_KEPT", 2)
    monkeypatch.setattr(selectors, "_OUTLINES", {})
    assert set(selectors.step_outlines(keys[:1])) == {versions[0].pk}
    # The cache overflows and is emptied while the first version's outline is still asked for.
    outlines = selectors.step_outlines(keys)
    assert {pk: [key for key, _title in outline] for pk, outline in outlines.items()} == {
        version.pk: [step.key for step in version.parsed.steps] for version in versions
    }
