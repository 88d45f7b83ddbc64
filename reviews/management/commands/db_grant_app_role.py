"""
Grant the application's database role exactly what the site needs, and nothing that would let
it switch off the append-only triggers (docs/database-roles.md).

Run it as the role that owns the tables (the one that runs `migrate`), after migrating:

    DATABASE_URL=<owner URL> python manage.py db_grant_app_role --role healthpages_app
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Plain identifiers only, so the names can be quoted into GRANT statements safely.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT, UPDATE"


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant ROLE SELECT/INSERT/UPDATE/DELETE on every table and USAGE/SELECT/"
        "UPDATE on every sequence of the schema (now and, by default privileges, those later "
        "migrations make), after revoking anything else it held there. Run as the table owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="The application's login role.")
        parser.add_argument("--schema", default="public", help="Default: public.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias; default: default."
        )

    def handle(self, *, role: str, schema: str, database: str, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Roles are a PostgreSQL matter; this database is not PostgreSQL.")
        for name in (role, schema):
            if not IDENTIFIER.match(name):
                raise CommandError(f"{name!r} is not a plain identifier (letters, digits, _).")
        quoted_role, quoted_schema = f'"{role}"', f'"{schema}"'
        with transaction.atomic(using=database), connection.cursor() as cursor:
            self._refuse_unsafe_role(cursor, role=role, schema=schema)
            cursor.execute("SELECT current_database()")
            quoted_database = connection.ops.quote_name(cursor.fetchone()[0])
            for statement in [
                # Start from nothing, so that running it again also takes back anything extra
                # (TRUNCATE, REFERENCES, TRIGGER) granted by hand.
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {quoted_role}",
                f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted_schema} FROM {quoted_role}",
                f"GRANT CONNECT ON DATABASE {quoted_database} TO {quoted_role}",
                f"GRANT USAGE ON SCHEMA {quoted_schema} TO {quoted_role}",
                f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {quoted_schema} "
                f"TO {quoted_role}",
                f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {quoted_schema} "
                f"TO {quoted_role}",
                # Tables and sequences that later migrations create (as this same owner).
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema} "
                f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {quoted_role}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema} "
                f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {quoted_role}",
            ]:
                cursor.execute(statement)
            cursor.execute(
                "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')),"
                " count(*) FILTER (WHERE c.relkind = 'S')"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s",
                [schema],
            )
            tables, sequences = cursor.fetchone()
            cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
            can_create = cursor.fetchone()[0]
        self.stdout.write(
            f"{role}: {TABLE_PRIVILEGES} on {tables} table(s) and {SEQUENCE_PRIVILEGES} on "
            f"{sequences} sequence(s) in schema {schema}; default privileges set for new ones."
        )
        if can_create:
            self.stderr.write(
                f"Warning: {role} may create objects in schema {schema} (PostgreSQL before 15 "
                f"grants that to PUBLIC). Consider: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;"
            )

    def _refuse_unsafe_role(self, cursor, *, role: str, schema: str) -> None:
        """A role that is, or can become, a superuser or a table owner would defeat the point."""
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"There is no role {role!r}; create it first (LOGIN, no more).")
        if row[0] or row[1]:
            raise CommandError(f"{role} is a superuser (or bypasses row security): refused.")
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            raise CommandError(
                f"Connected as {role} itself: run this as the owner of the tables instead."
            )
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S')"
            " AND pg_has_role(%s, c.relowner, 'MEMBER')",
            [schema, role],
        )
        owners = sorted(owner for (owner,) in cursor.fetchall())
        if owners:
            raise CommandError(
                f"{role} owns tables in schema {schema}, or is a member of their owner "
                f"({', '.join(owners)}), so it could disable their triggers: refused."
            )
