"""
A second connection to the test database as its owner, for tests that play an attacker with
database access on PostgreSQL.

When `scripts/test.sh` runs the suite as the restricted application role, it sets
``TEST_DB_OWNER_URL``; the owner (a superuser in the throwaway cluster) may switch triggers
off for its session, which the application role may not. Rows the statement touches must be
committed first, so tests that use this run with ``django_db(transaction=True)``.
"""

from __future__ import annotations

import os

from django.db import connection


def execute_as_owner(cursor, sql: str, params=()) -> int:
    """Run ``sql`` with triggers off: as the owner when known, else on this connection."""
    owner_url = os.environ.get("TEST_DB_OWNER_URL")
    if not owner_url:
        # The suite connects as a superuser (an outside DATABASE_URL): it can do it itself.
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(sql, params)
            return cursor.rowcount
        finally:
            cursor.execute("SET LOCAL session_replication_role = origin")
    import dj_database_url
    import psycopg2

    settings = dj_database_url.parse(owner_url)
    owner = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )
    try:
        with owner, owner.cursor() as owner_cursor:
            owner_cursor.execute("SET LOCAL session_replication_role = replica")
            owner_cursor.execute(sql.replace("%s", "%s"), params)
            return owner_cursor.rowcount
    finally:
        owner.close()
