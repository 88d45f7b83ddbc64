"""
The database itself refuses to change the records (triggers on SQLite and PostgreSQL), and on
PostgreSQL the application's role cannot switch that off (docs/database-roles.md).

Raw SQL stands for anything that skips the models: `dbshell`, a script, an injected query.
"""

import os

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from articles.models import ArticleRevision, RevisionCitation
from reviews.models import AuditEvent, ReviewerProfile, SignOff
from reviews.services import audit_record
from tests.factories.articles import ArticleFactory
from tests.factories.references import CitationFactory
from tests.factories.reviews import UserFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL roles and pgtrigger; this runs in the PostgreSQL pass of make test",
)

APPEND_ONLY = [ArticleRevision, RevisionCitation, SignOff, AuditEvent]
# Every trigger the models declare, as pgtrigger names them ("app.Model:name").
TRIGGER_URIS = [
    "articles.ArticleRevision:append_only",
    "articles.RevisionCitation:append_only",
    "reviews.SignOff:append_only",
    "reviews.AuditEvent:append_only",
    "reviews.ReviewerProfile:user_fixed",
]


@pytest.fixture
def records():
    """One stored row of each append-only table: a live, signed, citing article and an event."""
    citation = CitationFactory()
    article = ArticleFactory(live=True, body=f"<p>It helps [PMID:{citation.pmid}].</p>")
    revision = article.live_revision
    return {
        ArticleRevision: revision,
        RevisionCitation: revision.citation_links.get(),
        SignOff: revision.signoffs.get(),
        AuditEvent: audit_record(action="published", message="Published.", revision=revision),
    }


def run(sql, params=()):
    """
    Execute raw SQL in a savepoint, so that a refusal leaves the test's transaction usable.

    Table names in these statements come from the models' metadata, never from input.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(table, sql, params=()):
    """Assert that the database refuses `sql` as a change to an append-only `table`."""
    with pytest.raises(DatabaseError, match=f"{table} is append-only"):
        run(sql, params)


# --- Both databases -----------------------------------------------------------------------


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda model: model.__name__)
def test_raw_sql_cannot_update_an_append_only_row(records, model):
    table, row = model._meta.db_table, records[model]
    refused(table, f"UPDATE {table} SET id = id WHERE id = %s", [row.pk])  # noqa: S608
    # A change that touches every row is refused as a whole.
    refused(table, f"UPDATE {table} SET id = id")  # noqa: S608


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda model: model.__name__)
def test_raw_sql_cannot_delete_an_append_only_row(records, model):
    table, row = model._meta.db_table, records[model]
    refused(table, f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
    refused(table, f"DELETE FROM {table}")  # noqa: S608
    assert model._base_manager.filter(pk=row.pk).exists()


def test_a_refused_sign_off_change_leaves_the_record_as_it_was(records):
    signoff = records[SignOff]
    refused("reviews_signoff", "UPDATE reviews_signoff SET decision = 'changes_requested'")
    signoff_now = SignOff.objects.get(pk=signoff.pk)
    assert signoff_now.decision == "approved"
    assert signoff_now.compute_record_hash() == signoff.record_hash


def test_raw_sql_cannot_move_a_reviewer_profile_to_another_login(records):
    profile = records[SignOff].reviewer
    other = UserFactory()
    with pytest.raises(DatabaseError, match=r"login \(user_id\) is fixed"):
        run("UPDATE reviews_reviewerprofile SET user_id = %s WHERE id = %s", [other.pk, profile.pk])
    assert ReviewerProfile.objects.get(pk=profile.pk).user_id == profile.user_id


def test_other_profile_fields_still_change_including_a_full_row_save(records):
    """Only the login is fixed: the services edit bios and credentials as before."""
    profile = records[SignOff].reviewer
    run(
        "UPDATE reviews_reviewerprofile SET bio = %s, user_id = user_id WHERE id = %s",
        ["Pain medicine since 2004.", profile.pk],
    )
    profile.refresh_from_db()
    assert profile.bio == "Pain medicine since 2004."
    profile.specialty = "Pain medicine"
    profile.save()  # every column, user_id included, written back unchanged
    assert ReviewerProfile.objects.get(pk=profile.pk).specialty == "Pain medicine"


@pytest.mark.django_db(transaction=True)
def test_flushing_a_test_database_empties_the_tables_and_keeps_the_triggers():
    """Django's flush (after every transactional test) must work, and must not drop a guard."""
    ArticleFactory(live=True)
    # As TransactionTestCase flushes: sequences are not reset (that needs their owner).
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    assert not SignOff.objects.exists() and not ArticleRevision.objects.exists()
    revision = ArticleFactory(live=True).live_revision
    refused(
        "articles_articlerevision",
        "DELETE FROM articles_articlerevision WHERE id = %s",
        [revision.pk],
    )


# --- PostgreSQL: pgtrigger.ignore() is no way around --------------------------------------


def installed_function_source(model, name):
    trigger = next(t for t in model._meta.triggers if t.name == name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [trigger.get_pgid(model)])
        return trigger, cursor.fetchone()[0]


@postgresql_only
@pytest.mark.parametrize("uri", TRIGGER_URIS)
def test_every_trigger_is_installed_as_the_model_declares_it(uri):
    """The migrations installed exactly the triggers in `Meta.triggers` (same hash), enabled."""
    [(model, trigger)] = pgtrigger.registered(uri)
    assert trigger.get_installation_status(model) == ("INSTALLED", True)
    _, source = installed_function_source(model, trigger.name)
    assert "pgtrigger.ignore" not in source and "_pgtrigger_should_ignore" not in source


OLD_TRIGGER = "reviews_signoff_append_only"


@postgresql_only
def test_the_hand_written_sign_off_trigger_of_migration_0002_is_gone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [OLD_TRIGGER])
        assert cursor.fetchone()[0] == 0


@postgresql_only
@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda model: model.__name__)
def test_setting_pgtrigger_ignore_does_not_let_a_change_through(records, model):
    table, row = model._meta.db_table, records[model]
    pgid = model._meta.triggers[0].get_pgid(model)
    # Both spellings pgtrigger has used: the trigger id, and "table:id".
    ignore = "{" + f"{pgid},{table}:{pgid}" + "}"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"SET LOCAL pgtrigger.ignore = '{ignore}'")
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
    assert model._base_manager.filter(pk=row.pk).exists()


@postgresql_only
def test_pgtrigger_ignore_in_python_does_not_let_a_change_through(records):
    signoff = records[SignOff]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        # Outside the savepoint: leaving ignore() runs a statement, which needs a live transaction.
        pgtrigger.ignore("reviews.SignOff:append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The session setting really is made: the guard simply does not read it.
        cursor.execute("SELECT current_setting('pgtrigger.ignore', true)")
        assert SignOff._meta.triggers[0].get_pgid(SignOff) in cursor.fetchone()[0]
        cursor.execute("UPDATE reviews_signoff SET comment = 'edited' WHERE id = %s", [signoff.pk])
    assert SignOff.objects.get(pk=signoff.pk).comment == ""


@postgresql_only
def test_pgtrigger_ignore_does_not_free_a_profiles_login_either(records):
    profile = records[SignOff].reviewer
    other = UserFactory()
    with (
        pytest.raises(DatabaseError, match="is fixed"),
        pgtrigger.ignore("reviews.ReviewerProfile:user_fixed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE reviews_reviewerprofile SET user_id = %s WHERE id = %s", [other.pk, profile.pk]
        )
    assert ReviewerProfile.objects.get(pk=profile.pk).user_id == profile.user_id


# --- PostgreSQL: the application role cannot switch the guards off ------------------------


@pytest.fixture
def restricted_role(db):
    """The connected role, when it is neither a superuser nor (a member of) the tables' owner."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL roles")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, r.rolsuper OR pg_has_role(current_user, c.relowner, 'MEMBER')"
            " FROM pg_roles r, pg_class c"
            " WHERE r.rolname = current_user AND c.oid = 'reviews_signoff'::regclass"
        )
        role, powerful = cursor.fetchone()
    if powerful:
        pytest.skip(f"connected as {role}, who owns the tables (scripts/test.sh runs as the app)")
    return role


def test_the_postgresql_pass_of_make_test_runs_as_the_restricted_application_role():
    """scripts/test.sh sets TEST_EXPECT_APP_ROLE for its own PostgreSQL cluster."""
    expected = os.environ.get("TEST_EXPECT_APP_ROLE")
    if not expected:
        pytest.skip("run outside scripts/test.sh's own PostgreSQL cluster")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls,"
            " (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " FROM pg_roles r WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (expected, False, False, False, False, 0)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE reviews_signoff DISABLE TRIGGER ALL",
        "ALTER TABLE reviews_signoff DISABLE TRIGGER USER",
        "DROP TRIGGER {pgid} ON reviews_signoff",
        "CREATE OR REPLACE FUNCTION {pgid}() RETURNS trigger AS $$ BEGIN RETURN OLD; END; $$"
        " LANGUAGE plpgsql",
        "ALTER TABLE reviews_signoff OWNER TO CURRENT_USER",
    ],
    ids=["disable-all", "disable-user", "drop", "replace-function", "take-ownership"],
)
def test_the_application_role_cannot_touch_the_triggers(restricted_role, sql):
    pgid = SignOff._meta.triggers[0].get_pgid(SignOff)
    with pytest.raises(DatabaseError, match="must be owner|permission denied"):
        run(sql.format(pgid=pgid))


def test_the_application_role_cannot_turn_triggers_off_for_its_session(restricted_role):
    with pytest.raises(DatabaseError, match="permission denied"):
        run("SET session_replication_role = replica")
    with pytest.raises(DatabaseError, match="permission denied"):
        run("SET LOCAL session_replication_role = replica")


def test_the_application_role_holds_only_the_privileges_it_needs(restricted_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p, has_table_privilege(current_user, 'reviews_signoff', p)"
            " FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES',"
            " 'TRIGGER']) AS p"
        )
        privileges = dict(cursor.fetchall())
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": True,  # the trigger still refuses; other tables need it
        "DELETE": True,
        "REFERENCES": False,
        "TRIGGER": False,
    }


# --- db_grant_app_role --------------------------------------------------------------------


def test_granting_an_app_role_is_refused_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("db_grant_app_role", role="healthpages_app")


@postgresql_only
@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("no_such_role_here", "There is no role"),
        ('app"; DROP TABLE reviews_signoff; --', "not a plain identifier"),
    ],
)
def test_granting_refuses_a_missing_or_strange_role(role, message):
    with pytest.raises(CommandError, match=message):
        call_command("db_grant_app_role", role=role)


@postgresql_only
def test_granting_refuses_a_superuser():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY oid LIMIT 1")
        superuser = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="superuser"):
        call_command("db_grant_app_role", role=superuser)


def test_granting_must_be_run_by_the_owner_not_the_app_role(restricted_role):
    with pytest.raises(CommandError, match="run this as the owner"):
        call_command("db_grant_app_role", role=restricted_role)
