"""
SQLite: `INSERT OR REPLACE` deletes the old row without firing DELETE triggers, so it would
rewrite an append-only revision or citation link; an insert that reuses an existing id is
refused. (PostgreSQL has no REPLACE; its triggers are in migration 0005.)
"""

from django.db import migrations

TABLES = ("articles_articlerevision", "articles_revisioncitation")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) BEGIN "
            f"SELECT RAISE(ABORT, '{table} is append-only: a row cannot be replaced'); END"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_publication_record")]

    operations = [migrations.RunPython(create, drop)]
