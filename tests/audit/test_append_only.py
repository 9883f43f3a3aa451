"""Entries cannot be changed or deleted: not through the ORM, and on PostgreSQL not even with raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from kreiswerk.audit.models import AppendOnlyError, AuditEntry, AuditHead
from kreiswerk.audit.services import audit_record

from .conftest import ENTRY_TABLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> AuditEntry:
    return audit_record(action="case.read", details={"n": 1})


def test_saving_an_existing_entry_is_refused(entry):
    entry.action = "case.delete"
    with pytest.raises(AppendOnlyError):
        entry.save()
    fetched = AuditEntry.objects.get(pk=entry.pk)
    with pytest.raises(AppendOnlyError):
        fetched.save()


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.parametrize(
    "change",
    [
        lambda entries: entries.update(action="case.delete"),
        lambda entries: entries.delete(),
        lambda entries: entries.bulk_update(list(entries), ["action"]),
        lambda entries: entries.bulk_create([AuditEntry(sequence=9, action="x", prev_hash="", hash="")]),
    ],
    ids=["update", "delete", "bulk_update", "bulk_create"],
)
def test_queryset_changes_are_refused(entry, change):
    with pytest.raises(AppendOnlyError):
        change(AuditEntry.objects.all())
    with pytest.raises(AppendOnlyError):
        change(AuditEntry._base_manager.filter(pk=entry.pk))
    assert AuditEntry.objects.get().action == "case.read"


def test_the_head_stays_updatable(entry):
    audit_record(action="case.read")

    assert AuditHead.objects.get().sequence == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {ENTRY_TABLE} SET action = 'case.delete'", f"DELETE FROM {ENTRY_TABLE}"],  # noqa: S608
    ids=["update", "delete"],
)
def test_the_database_refuses_raw_changes_on_postgresql(entry, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditEntry.objects.get().action == "case.read"
