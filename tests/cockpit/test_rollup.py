"""The daily figures follow every change, also when two readers refresh them at once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kreiswerk.cockpit.models import StaleDay, SubmissionDay
from kreiswerk.cockpit.rollup import local_day, rollup_refresh
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
