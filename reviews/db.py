"""
Database-level guards: PostgreSQL triggers that no session of the application can switch off.

django-pgtrigger's triggers start with a check of the session setting `pgtrigger.ignore`
(what `pgtrigger.ignore()` sets) and let the row through when it names them. Any role may set
a custom session setting, so for append-only records that check would be a way around the
guard for anyone holding the application's connection. `StrictProtect` renders its trigger
without that check: only the table owner (ALTER TABLE ... DISABLE TRIGGER) or a superuser can
get past it, and the application never connects as either (docs/database-roles.md).

Migrations refer to `UnignorableTriggerSql` by its import path, so its template is frozen:
change it only by adding a new class, as django-pgtrigger versions its own template.
"""

from __future__ import annotations

import pgtrigger
from pgtrigger import compiler


class UnignorableTriggerSql(compiler.UpsertTriggerSql):
    """django-pgtrigger's installation SQL (template v1) without the `pgtrigger.ignore` check."""

    def get_template(self) -> str:
        # `ignore_func_name` is still passed in by pgtrigger and simply unused.
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class StrictProtect(pgtrigger.Protect):
    """
    A row-level `pgtrigger.Protect` that `pgtrigger.ignore()` cannot switch off.

    It raises `integrity_constraint_violation` (Django's `IntegrityError`) with `message`, in
    which `%` stands for the table's name.
    """

    message = "% is protected: the change was refused"
    hint = ""

    def __init__(self, *, message: str | None = None, hint: str | None = None, **kwargs):
        self.message = message or self.message
        self.hint = hint if hint is not None else self.hint
        super().__init__(**kwargs)
        if self.level != pgtrigger.Row:
            raise ValueError("StrictProtect triggers are row-level.")

    def get_func(self, model) -> str:
        hint = f", HINT = {_literal(self.hint)}" if self.hint else ""
        return (
            f"RAISE EXCEPTION {_literal(self.message)}, TG_TABLE_NAME "
            f"USING ERRCODE = 'integrity_constraint_violation'{hint};"
        )

    def compile(self, model) -> compiler.Trigger:
        compiled = super().compile(model)
        return compiler.Trigger(
            name=compiled.name, sql=UnignorableTriggerSql(**compiled.sql.kwargs)
        )


def append_only_trigger() -> StrictProtect:
    """The trigger refusing every UPDATE and DELETE of an append-only model's rows."""
    return StrictProtect(
        name="append_only",
        operation=pgtrigger.Update | pgtrigger.Delete,
        message="% is append-only: the change was refused",
        hint="These rows are records; write a new one instead of changing or deleting one.",
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
