"""
Revisions and their citation links are append-only in the database itself.

PostgreSQL: django-pgtrigger triggers (`Meta.triggers`, `reviews.db.append_only_trigger`) that
refuse every UPDATE and DELETE and, unlike plain pgtrigger triggers, ignore `pgtrigger.ignore`.
SQLite: BEFORE UPDATE / BEFORE DELETE triggers that abort, created below. SQLite drops a
table's triggers when Django remakes the table (most AlterField/RemoveField operations), so a
later migration that remakes one of these tables must create its triggers again; the tests in
tests/reviews/test_database_guards.py fail if they are missing.
"""

import pgtrigger.compiler
import pgtrigger.migrations
import reviews.db
from django.db import migrations


TABLES = ["articles_articlerevision", "articles_revisioncitation"]


def _sqlite_triggers():
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_append_only_{operation.lower()}"
            create = (
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: the change was refused'); END"
            )
            yield name, create


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
        ('articles', '0004_alter_topic_options_and_more'),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name='articlerevision',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=reviews.db.UnignorableTriggerSql(func="RAISE EXCEPTION '% is append-only: the change was refused', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation', HINT = 'These rows are records; write a new one instead of changing or deleting one.';", hash='e6b9c43007f236eff6acdef0eb45cf210decefea', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_b2c46', table='articles_articlerevision', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='revisioncitation',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=reviews.db.UnignorableTriggerSql(func="RAISE EXCEPTION '% is append-only: the change was refused', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation', HINT = 'These rows are records; write a new one instead of changing or deleting one.';", hash='c8fd8f7c430c08370761b892c638056e94270cf6', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_149fe', table='articles_revisioncitation', when='BEFORE')),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers, elidable=False),
    ]
