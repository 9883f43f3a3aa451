"""Tampering with the stored log — a changed, removed, inserted or reordered entry — is detected."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings

from kreiswerk.audit import chain
from kreiswerk.audit.models import AuditEntry, AuditHead
from kreiswerk.audit.services import AuditChainError, audit_head_reseal, audit_record, audit_verify

from .conftest import (
    ENTRY_TABLE,
    HEAD_TABLE,
    entries_swap_contents,
    entries_swap_sequences,
    entry_delete,
    entry_set,
)

pytestmark = pytest.mark.django_db

COUNT = 5


@pytest.fixture
def log(rf, caseworker, unit) -> list[AuditEntry]:
    request = rf.get("/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Firefox/140")
    request.user = caseworker
    entries = [
        audit_record(action="case.read", target=unit, request=request, details={"step": n, "codes": ["a", n]})
        for n in range(COUNT)
    ]
    assert audit_verify() == []
    return entries


CHANGES = {
    "action": lambda entry: "case.delete",
    "target_type": lambda entry: "cases.akte",
    "target_id": lambda entry: "999",
    "actor_id": lambda entry: entry.actor_id + 1,
    "actor_username": lambda entry: "mallory",
    "occurred_at": lambda entry: entry.occurred_at - timedelta(microseconds=1),
    "mandant_id": lambda entry: None,
    "unit_id": lambda entry: 4242,
    "ip": lambda entry: "192.0.2.11",
    "user_agent": lambda entry: "Firefox/141",
    "details": lambda entry: {**entry.details, "step": 99},
    "prev_hash": lambda entry: "f" * 64,
    "hash": lambda entry: "f" * 64,
    "sequence": lambda entry: 1000,
}


@pytest.mark.parametrize("position", [0, COUNT // 2, COUNT - 1], ids=["first", "middle", "last"])
@pytest.mark.parametrize("field", list(CHANGES))
def test_it_detects_a_changed_field(log, field, position):
    entry = log[position]

    entry_set(entry.sequence, **{field: CHANGES[field](entry)})

    problems = audit_verify()
    assert problems
    assert all(problem.message for problem in problems)


def test_it_detects_a_change_that_keeps_the_json_equal_in_python(log):
    # True == 1 in Python, but not in the canonical form.
    entry_set(2, details={**log[1].details, "step": True})

    assert audit_verify()


def test_it_detects_a_removed_entry(log):
    entry_delete(3)

    problems = audit_verify()

    assert [problem.message for problem in problems] == ["Eintrag 3 fehlt."]


def test_it_detects_removed_entries_at_the_end(log):
    entry_delete(5)
    entry_delete(4)

    problems = audit_verify()

    assert [(problem.sequence, problem.message) for problem in problems] == [
        (5, "Der letzte Eintrag 5 fehlt (Einträge am Ende entfernt).")
    ]


def test_it_detects_an_entry_removed_at_the_end_even_after_recording_goes_on(log):
    entry_delete(5)
    audit_record(action="case.read")

    assert [problem.message for problem in audit_verify()] == ["Eintrag 5 fehlt."]


@pytest.mark.parametrize("swap", [entries_swap_sequences, entries_swap_contents], ids=["sequences", "contents"])
@pytest.mark.parametrize("pair", [(1, 2), (2, 4), (4, 5)])
def test_it_detects_two_swapped_entries(log, swap, pair):
    swap(*pair)

    problems = audit_verify()

    assert {problem.sequence for problem in problems} >= set(pair)


def test_it_detects_an_entry_inserted_before_the_chain(log):
    entry = AuditEntry.objects.values().get(sequence=1)
    with connection.cursor() as cursor:
        columns = ", ".join(field.column for field in AuditEntry._meta.concrete_fields)
        placeholders = ", ".join(["%s"] * len(AuditEntry._meta.concrete_fields))
        values = [
            field.get_db_prep_save(0 if field.name == "sequence" else entry[field.attname], connection)
            for field in AuditEntry._meta.concrete_fields
        ]
        cursor.execute(f"INSERT INTO {ENTRY_TABLE} ({columns}) VALUES ({placeholders})", values)  # noqa: S608

    assert [problem.sequence for problem in audit_verify()] == [0]


def test_it_detects_a_head_set_back_to_an_earlier_valid_state(log):
    # A copy of the head row as it was after entry 3 (valid MAC), restored later.
    earlier = AuditHead.objects.get()
    earlier.sequence, earlier.hash = 3, log[2].hash
    earlier.mac = chain.head_mac(sequence=3, last_hash=log[2].hash)
    earlier.save()

    problems = audit_verify()

    assert [problem.sequence for problem in problems] == [4]


def test_it_detects_a_forged_head_and_refuses_to_record_on_top_of_it(log):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {HEAD_TABLE} SET sequence = 4, hash = %s", [log[3].hash])  # noqa: S608
    entry_delete(5)

    assert [problem.message for problem in audit_verify()] == ["Der Kopfeintrag des Audit-Logs wurde verändert."]
    with pytest.raises(AuditChainError):
        audit_record(action="case.read")


def test_it_detects_a_removed_head_and_refuses_to_record(log):
    AuditHead.objects.all().delete()

    assert [problem.message for problem in audit_verify()] == ["Der Kopfeintrag des Audit-Logs fehlt."]
    with pytest.raises(AuditChainError):
        audit_record(action="case.read")


def test_resealing_resumes_recording_and_is_itself_logged(log, caseworker):
    AuditHead.objects.all().delete()

    entry = audit_head_reseal(actor=caseworker)

    assert (entry.sequence, entry.action, entry.actor_username) == (6, "audit.head_resealed", "sachbearbeitung")
    assert entry.details == {"previous_sequence": None, "previous_valid": False}
    assert audit_record(action="case.read").sequence == 7
    assert audit_verify() == []


def test_verifying_from_a_later_entry_skips_damage_before_it(log):
    entry_set(2, action="case.delete")

    assert audit_verify(since_sequence=3) == []
    assert audit_verify(since_sequence=2)


def test_it_reads_in_chunks_and_reports_progress(log):
    entry_set(4, action="case.delete")
    seen = []

    problems = audit_verify(chunk_size=2, on_progress=seen.append)

    assert seen == [2, 4, 5]
    assert [problem.sequence for problem in problems] == [4]


def test_a_different_key_fails_every_entry_and_the_list_stays_bounded(log):
    with override_settings(KREISWERK_AUDIT_KEY="ein-anderer-schluessel"):
        problems = audit_verify(max_problems=3)

    assert len(problems) == 4
    assert problems[-1].message == "Prüfung nach 3 Abweichungen abgebrochen."


def test_the_old_secret_as_audit_key_keeps_the_chain_valid_after_a_secret_key_rotation(log, settings):
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "ein-neuer-geheimer-schluessel-" + "x" * 40
    assert audit_verify()

    settings.KREISWERK_AUDIT_KEY = old_secret

    assert audit_verify() == []
    audit_record(action="case.read")
    assert audit_verify() == []
