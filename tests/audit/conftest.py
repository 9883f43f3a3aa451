"""Helpers that tamper with the audit table the way someone with database access would.

On PostgreSQL a trigger refuses UPDATE and DELETE of audit entries; the helpers switch it off
for their own statements (ALTER TABLE needs only table ownership, and the test transaction
rolls it back anyway). ``SET session_replication_role = replica`` would work too, for a superuser.
"""

from contextlib import contextmanager

from django.db import connection

from kreiswerk.audit.models import AuditEntry, AuditHead

ENTRY_TABLE = AuditEntry._meta.db_table
HEAD_TABLE = AuditHead._meta.db_table
TRIGGER = "audit_auditentry_append_only"


@contextmanager
def unguarded_cursor():
    """A cursor that may change audit entries: the PostgreSQL trigger is off while it is open."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"ALTER TABLE {ENTRY_TABLE} DISABLE TRIGGER {TRIGGER}")
        try:
            yield cursor
        finally:
            if postgres:
                cursor.execute(f"ALTER TABLE {ENTRY_TABLE} ENABLE TRIGGER {TRIGGER}")


def column_value(name: str, value):
    field = AuditEntry._meta.get_field(name)
    return field.column, field.get_db_prep_save(value, connection)


def entry_set(sequence: int, /, **changes) -> None:
    """Overwrite columns of one entry with raw SQL, past the model's guard."""
    with unguarded_cursor() as cursor:
        for name, value in changes.items():
            column, prepared = column_value(name, value)
            sql = f"UPDATE {ENTRY_TABLE} SET {column} = %s WHERE sequence = %s"  # noqa: S608 (names from the model)
            cursor.execute(sql, [prepared, sequence])
            assert cursor.rowcount == 1


def entry_delete(sequence: int) -> None:
    with unguarded_cursor() as cursor:
        cursor.execute(f"DELETE FROM {ENTRY_TABLE} WHERE sequence = %s", [sequence])  # noqa: S608
        assert cursor.rowcount == 1


def entries_swap_sequences(first: int, second: int) -> None:
    """Exchange the places of two entries (each keeps its content and hashes)."""
    parking = 10**15
    with unguarded_cursor() as cursor:
        for old, new in ((first, parking), (second, first), (parking, second)):
            cursor.execute(f"UPDATE {ENTRY_TABLE} SET sequence = %s WHERE sequence = %s", [new, old])  # noqa: S608


CONTENT_FIELDS = [field.name for field in AuditEntry._meta.concrete_fields if field.name != "sequence"]


def entries_swap_contents(first: int, second: int) -> None:
    """Exchange everything but the sequence numbers of two entries."""
    rows = {row["sequence"]: row for row in AuditEntry.objects.filter(sequence__in=[first, second]).values()}
    entry_set(first, **{name: rows[second][name] for name in CONTENT_FIELDS})
    entry_set(second, **{name: rows[first][name] for name in CONTENT_FIELDS})
