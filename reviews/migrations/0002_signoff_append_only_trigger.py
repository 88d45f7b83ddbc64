"""
On PostgreSQL, the database itself refuses UPDATE and DELETE on sign-offs.

The model and its queryset already refuse through the ORM; this trigger also stops raw SQL,
`dbshell` and other programs sharing the database. TRUNCATE is deliberately not blocked:
Django's test runner and `manage.py flush` empty tables with TRUNCATE, and only the table
owner may truncate anyway. To correct a record, append a new sign-off; there is no other way.

SQLite has no equivalent worth the name, so the operation does nothing there (the chain
verification in `verify_signoffs` still detects changes made behind the app's back).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION reviews_signoff_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reviews_signoff is append-only: % of sign-off % refused', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Sign-offs are electronic signatures; record a new sign-off instead.';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER reviews_signoff_append_only
    BEFORE UPDATE OR DELETE ON reviews_signoff
    FOR EACH ROW EXECUTE FUNCTION reviews_signoff_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS reviews_signoff_append_only ON reviews_signoff;
DROP FUNCTION IF EXISTS reviews_signoff_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
