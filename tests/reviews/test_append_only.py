"""Sign-offs and audit events are append-only: model, queryset and (PostgreSQL) database refuse."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from reviews.models import AppendOnlyError, AuditEvent, SignOff
from reviews.services import (
    audit_record,
    signoff_chain_verify,
    signoff_create,
    signoff_revisions_verify,
)
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.reviews.conftest import make_revision

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the trigger exists on PostgreSQL only; this runs in the PostgreSQL pass of make test",
)


@pytest.fixture
def signoffs():
    reviewer = ReviewerProfileFactory()
    revisions = [make_revision() for _ in range(3)]
    return [
        signoff_create(
            revision=revision,
            user=reviewer.user,
            password=PASSWORD,
            decision="approved",
            attested=True,
            expected_hash=revision.content_hash,
        )
        for revision in revisions
    ]


def test_saving_an_existing_sign_off_is_refused(signoffs):
    signoff = signoffs[0]
    signoff.comment = "edited"
    with pytest.raises(AppendOnlyError, match="append-only"):
        signoff.save()
    signoff.refresh_from_db()
    assert signoff.comment == ""


def test_deleting_a_sign_off_is_refused(signoffs):
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        signoffs[0].delete()
    assert SignOff.objects.count() == 3


def test_queryset_update_and_delete_are_refused(signoffs):
    with pytest.raises(AppendOnlyError):
        SignOff.objects.filter(pk=signoffs[0].pk).update(comment="edited")
    with pytest.raises(AppendOnlyError):
        SignOff.objects.all().delete()
    assert SignOff.objects.filter(comment="edited").count() == 0
    assert SignOff.objects.count() == 3


def test_audit_events_are_append_only_too():
    event = audit_record(action="published", message="Published revision 1.")
    event.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(message="rewritten")


def test_record_hash_survives_a_database_round_trip(signoffs):
    for signoff in SignOff.objects.all():
        assert signoff.compute_record_hash() == signoff.record_hash


def test_the_database_refuses_a_second_successor_of_the_same_record(signoffs):
    """The unique previous_hash makes a fork of the chain impossible, even behind the lock."""
    from django.db import IntegrityError

    fork = SignOff.objects.get(pk=signoffs[1].pk)
    fork.pk = None
    fork._state.adding = True
    fork.record_hash = "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()


@needs_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE reviews_signoff SET comment = 'edited' WHERE id = %s",
        "DELETE FROM reviews_signoff WHERE id = %s",
    ],
)
def test_postgresql_trigger_refuses_raw_update_and_delete(signoffs, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [signoffs[0].pk])
    assert SignOff.objects.get(pk=signoffs[0].pk).comment == ""


# --- Tamper evidence ----------------------------------------------------------------------


TRIGGER = "reviews_signoff_append_only"


def tamper(sql, params):
    """Change sign-offs behind the app's back (on PostgreSQL, past the disabled trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test user is the cluster superuser and the table owner; the test transaction
            # rolls the ALTER back with everything else. Deferred foreign-key checks from this
            # transaction's inserts must run first: PostgreSQL will not alter a table with
            # pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE reviews_signoff DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE reviews_signoff ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_an_intact_chain_verifies(signoffs):
    assert signoff_chain_verify() == []
    assert signoff_revisions_verify() == []


def test_chain_verify_names_a_changed_record(signoffs):
    tamper(
        "UPDATE reviews_signoff SET printed_name = 'Someone Else' WHERE id = %s", [signoffs[1].pk]
    )
    problems = signoff_chain_verify()
    assert len(problems) == 1
    assert f"SignOff #{signoffs[1].pk}" in problems[0]
    assert "no longer match" in problems[0]


def test_chain_verify_detects_a_removed_record(signoffs):
    tamper("DELETE FROM reviews_signoff WHERE id = %s", [signoffs[1].pk])
    problems = signoff_chain_verify()
    assert problems == [
        f"SignOff #{signoffs[2].pk}: previous_hash does not link to SignOff #{signoffs[0].pk} "
        "(a record was changed, removed or inserted)."
    ]


def test_rehashing_a_changed_record_breaks_the_next_link(signoffs):
    changed = SignOff.objects.get(pk=signoffs[0].pk)
    changed.comment = "backdated approval"
    new_hash = changed.compute_record_hash()
    tamper(
        "UPDATE reviews_signoff SET comment = %s, record_hash = %s WHERE id = %s",
        ["backdated approval", new_hash, changed.pk],
    )
    problems = signoff_chain_verify()
    assert len(problems) == 1 and f"SignOff #{signoffs[1].pk}" in problems[0]


def test_revision_verify_names_a_signed_revision_whose_content_changed(signoffs):
    from articles.models import ArticleRevision

    revision = signoffs[0].revision
    snapshot = {**revision.snapshot, "body": "<p>Changed by raw SQL.</p>"}
    # The base manager skips the articles app's append-only guard, as raw SQL would.
    ArticleRevision._base_manager.filter(pk=revision.pk).update(snapshot=snapshot)
    problems = signoff_revisions_verify()
    assert len(problems) == 2
    assert all(f"SignOff #{signoffs[0].pk}" in p and str(revision.pk) in p for p in problems)


def test_verify_signoffs_command_passes_on_an_intact_chain(signoffs, capsys):
    call_command("verify_signoffs")
    out = capsys.readouterr().out
    assert "3 sign-off(s) verified" in out
    assert signoffs[-1].record_hash in out


def test_verify_signoffs_command_fails_naming_the_record_and_audits(signoffs, capsys):
    tamper(
        "UPDATE reviews_signoff SET decision = 'approved', comment = 'x' WHERE id = %s",
        [signoffs[2].pk],
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_signoffs")
    assert f"SignOff #{signoffs[2].pk}" in capsys.readouterr().err
    assert AuditEvent.objects.filter(action="tamper_detected").count() == 1
