"""On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself.

The head row (audit_audithead) must stay updatable and has no trigger. TRUNCATE is not
blocked: Django's test flush uses it, and it needs table ownership anyway.
SQLite has no such trigger; there the model and queryset guards are the only barrier.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kreiswerk_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION kreiswerk_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS kreiswerk_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
