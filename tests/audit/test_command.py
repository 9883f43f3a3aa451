"""``kreiswerk audit verify`` and ``kreiswerk audit reseal-head``."""

import io

import pytest
from django.core.management import CommandError, call_command

from kreiswerk.audit.management.commands.audit import Command
from kreiswerk.audit.models import AuditHead
from kreiswerk.audit.services import audit_record

from .conftest import entry_delete, entry_set

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def log():
    return [audit_record(action="case.read", details={"n": n}) for n in range(3)]


def test_verify_passes_an_empty_log(db):
    assert "Audit-Log geprüft: 0 Einträge, keine Abweichung." in run("verify")


def test_verify_passes_a_clean_log_and_names_the_last_entry(log):
    out = run("verify")

    assert "Audit-Log geprüft: 3 Einträge, keine Abweichung." in out
    assert f"Letzter Eintrag: 3, Prüfsumme {log[-1].hash}" in out


def test_verify_fails_on_a_changed_entry(log):
    entry_set(2, action="case.delete")
    out = io.StringIO()

    with pytest.raises(CommandError, match="3 Einträge, 1 Abweichung"):
        call_command("audit", "verify", stdout=out)

    assert "Eintrag 2 wurde verändert (Prüfsumme stimmt nicht)." in out.getvalue()


def test_verify_exits_with_status_1_from_the_command_line(log):
    entry_delete(2)

    with pytest.raises(SystemExit) as exit_info:
        Command(stdout=io.StringIO(), stderr=io.StringIO()).run_from_argv(["kreiswerk", "audit", "verify"])

    assert exit_info.value.code == 1


def test_verify_from_a_sequence(log):
    entry_set(1, action="case.delete")

    assert "2 Einträge, keine Abweichung" in run("verify", "--since-sequence", "2")
    with pytest.raises(CommandError):
        run("verify", "--since-sequence", "0")


def test_reseal_head_needs_confirmation_and_logs_itself(log):
    AuditHead.objects.all().delete()
    with pytest.raises(CommandError, match="--yes"):
        run("reseal-head")

    assert "protokolliert als Eintrag 4" in run("reseal-head", "--yes")
    assert "4 Einträge, keine Abweichung" in run("verify")
