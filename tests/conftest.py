"""
Fixtures shared by every test package.

The test database: on SQLite and with an outside DATABASE_URL, pytest-django creates and
migrates it as usual. When `scripts/test.sh` runs the PostgreSQL pass it sets
``TEST_DB_OWNER_URL``: then the owner creates, migrates and finally drops the test database,
and the tests themselves connect as the restricted application role of DATABASE_URL, which
owns nothing and so cannot switch the append-only triggers off (docs/database-roles.md).
"""

import io
import os

import pytest
from hypothesis import settings as hypothesis_settings

# Property-based tests (hypothesis): bounded, so `make test` stays quick; derandomized, so CI
# and a laptop try the same examples and a failure reproduces; no example database written
# into the working tree.
hypothesis_settings.register_profile(
    "healthpages", max_examples=100, deadline=None, derandomize=True, database=None
)
hypothesis_settings.load_profile("healthpages")

OWNER_URL = os.environ.get("TEST_DB_OWNER_URL", "").strip()
# What a connection is, apart from the database it points at.
_LOGIN_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, so cached pages never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_past_append_only_triggers():
    """
    On SQLite, let Django's flush (after `transactional_db` and `live_server` tests) empty the
    append-only tables.

    SQLite flushes with DELETE, which the append-only triggers abort; PostgreSQL flushes with
    TRUNCATE, which row triggers never see. So, as the owner of a throwaway test database
    would, the flush drops the triggers and makes them again in the same transaction.
    """
    from django.db import transaction
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class
    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                triggers = cursor.fetchall()
                for name, _ in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            flush(self, sql_list)
            with self.connection.cursor() as cursor:
                for _, create in triggers:
                    cursor.execute(create)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


if OWNER_URL:

    @pytest.fixture(scope="session")
    def django_db_setup(
        request,
        django_test_environment,
        django_db_blocker,
        django_db_use_migrations,
        django_db_keepdb,
        django_db_createdb,
        django_db_modify_db_settings,
    ):
        """
        pytest-django's set-up, with the test database made and dropped by its owner.

        The owner (``TEST_DB_OWNER_URL``) creates and migrates the test database, so it owns
        every table, trigger and sequence; `db_grant_app_role` then grants the application
        role (DATABASE_URL's user) what production grants it, plus TRUNCATE, which Django's
        flush needs after transactional tests (production grants no TRUNCATE). The tests run
        connected as the application role; the owner drops the database at the end.
        """
        import dj_database_url
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import setup_databases, teardown_databases
        from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

        app_login = {key: connection.settings_dict[key] for key in _LOGIN_KEYS}
        owner = dj_database_url.parse(OWNER_URL)
        owner_login = {key: owner[key] for key in _LOGIN_KEYS}
        app_role = app_login["USER"]
        if not app_role or app_role == owner_login["USER"]:
            raise pytest.UsageError(
                "TEST_DB_OWNER_URL needs DATABASE_URL to name a different (application) role."
            )

        if not django_db_use_migrations:
            _disable_migrations()
        keepdb = django_db_keepdb and not django_db_createdb
        aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
        verbosity = request.config.option.verbose

        with django_db_blocker.unblock():
            _log_in_as(connection, owner_login)
            db_cfg = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=keepdb,
            )
            call_command("db_grant_app_role", role=app_role, verbosity=0, stdout=io.StringIO())
            with connection.cursor() as cursor:
                # Tests only: TransactionTestCase and live_server empty the tables this way.
                cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
            _log_in_as(connection, app_login)

        yield

        if not django_db_keepdb:
            with django_db_blocker.unblock():
                _log_in_as(connection, owner_login)
                try:
                    teardown_databases(db_cfg, verbosity=verbosity)
                except Exception as exc:  # noqa: BLE001
                    request.node.warn(
                        pytest.PytestWarning(f"Error when dropping the test database: {exc!r}")
                    )
                finally:
                    _log_in_as(connection, app_login)


def _log_in_as(connection, login: dict) -> None:
    """
    Point every later connection of this alias (all threads) at another role.

    The settings dict is shared by the alias's connections in every thread (live_server's
    too), so changing it in place is enough once the open connections are closed.
    """
    from django.db import connections

    connections.close_all()
    connection.settings_dict.update(login)
