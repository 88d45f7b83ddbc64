"""
Sign-offs and audit events are append-only in the database itself, and a reviewer profile's
login is fixed once the profile is made.

PostgreSQL: django-pgtrigger triggers (`Meta.triggers`; `reviews.db`) that, unlike plain
pgtrigger triggers, ignore `pgtrigger.ignore`. They replace migration 0002's hand-written
sign-off trigger, dropped here (and recreated if this migration is reversed).
SQLite: BEFORE UPDATE / BEFORE DELETE triggers that abort, created below. SQLite drops a
table's triggers when Django remakes the table (most AlterField/RemoveField operations), so a
later migration that remakes one of these tables must create its triggers again; the tests in
tests/reviews/test_database_guards.py fail if they are missing.
"""

import pgtrigger.compiler
import pgtrigger.migrations
import reviews.db
from django.db import migrations


# --- PostgreSQL: migration 0002's trigger, superseded by the signoff append_only trigger -----

OLD_TRIGGER_CREATE = """
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

OLD_TRIGGER_DROP = """
DROP TRIGGER IF EXISTS reviews_signoff_append_only ON reviews_signoff;
DROP FUNCTION IF EXISTS reviews_signoff_refuse_change();
"""


def drop_old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_TRIGGER_DROP, params=None)


def restore_old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_TRIGGER_CREATE, params=None)


# --- SQLite --------------------------------------------------------------------------------

APPEND_ONLY_TABLES = ["reviews_signoff", "reviews_auditevent"]


def _sqlite_triggers():
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_append_only_{operation.lower()}"
            create = (
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: the change was refused'); END"
            )
            yield name, create
    yield "reviews_reviewerprofile_user_fixed", (
        "CREATE TRIGGER reviews_reviewerprofile_user_fixed "
        "BEFORE UPDATE OF user_id ON reviews_reviewerprofile FOR EACH ROW "
        "WHEN OLD.user_id IS NOT NEW.user_id BEGIN "
        "SELECT RAISE(ABORT, 'reviews_reviewerprofile: a reviewer profile''s login (user_id) "
        "is fixed once it is made'); END"
    )


def create_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for _, create in _sqlite_triggers():
            schema_editor.execute(create, params=None)


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name, _ in _sqlite_triggers():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0004_reviewerprofile_revocation_reason_and_more'),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name='auditevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=reviews.db.UnignorableTriggerSql(func="RAISE EXCEPTION '% is append-only: the change was refused', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation', HINT = 'These rows are records; write a new one instead of changing or deleting one.';", hash='3d5cc32bbcd6dc65d2e6ecd4cf0745fe180060d6', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_498aa', table='reviews_auditevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='reviewerprofile',
            trigger=pgtrigger.compiler.Trigger(name='user_fixed', sql=reviews.db.UnignorableTriggerSql(condition='WHEN (OLD."user_id" IS DISTINCT FROM (NEW."user_id"))', func="RAISE EXCEPTION '%: a reviewer profile''s login (user_id) is fixed once it is made', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation', HINT = 'Make a new profile for the other login instead.';", hash='02fb617e09b8c7e53a6dfb4260f215447fe9167a', operation='UPDATE', pgid='pgtrigger_user_fixed_16fcf', table='reviews_reviewerprofile', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='signoff',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=reviews.db.UnignorableTriggerSql(func="RAISE EXCEPTION '% is append-only: the change was refused', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation', HINT = 'These rows are records; write a new one instead of changing or deleting one.';", hash='a98b03bdf6012727af21195b88ac3109837b4e9d', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_b10cc', table='reviews_signoff', when='BEFORE')),
        ),
        migrations.RunPython(drop_old_trigger, restore_old_trigger, elidable=False),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers, elidable=False),
    ]
