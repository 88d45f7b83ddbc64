"""
Sign-offs and audit events are append-only: the model and queryset refuse (the database's own
triggers are tested in test_database_guards.py), and tampering past them all is detected.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from reviews.models import AppendOnlyError, AuditEvent, SignOff
from reviews.services import (
    audit_record,
    signoff_chain_verify,
    signoff_create,
    signoff_revisions_verify,
)
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.reviews.conftest import make_revision
from tests.tamper import tamper

pytestmark = pytest.mark.django_db

# On PostgreSQL the tampering runs as the database owner on a connection of its own
# (tests/tamper.py), which sees only committed rows: those tests use real transactions.
tampering = pytest.mark.django_db(transaction=True)


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


# --- Tamper evidence: someone who owns the database goes around the triggers ----------------


def test_an_intact_chain_verifies(signoffs):
    assert signoff_chain_verify() == []
    assert signoff_revisions_verify() == []


@tampering
def test_chain_verify_names_a_changed_record(signoffs):
    tamper(
        "UPDATE reviews_signoff SET printed_name = 'Someone Else' WHERE id = %s", [signoffs[1].pk]
    )
    problems = signoff_chain_verify()
    assert len(problems) == 2  # the record hash, and the site signature
    assert all(p.startswith(f"SignOff #{signoffs[1].pk} ") for p in problems)
    assert "no longer match" in problems[0] and "signature does not verify" in problems[1]


@tampering
def test_chain_verify_detects_a_removed_record(signoffs):
    tamper("DELETE FROM reviews_signoff WHERE id = %s", [signoffs[1].pk])
    problems = signoff_chain_verify()
    assert len(problems) == 1
    assert problems[0].startswith(f"SignOff #{signoffs[2].pk} ")
    assert problems[0].endswith(
        f"previous_hash does not link to SignOff #{signoffs[0].pk} "
        "(a record was changed, removed or inserted)."
    )


@tampering
def test_rehashing_a_changed_record_breaks_the_next_link(signoffs):
    changed = SignOff.objects.get(pk=signoffs[0].pk)
    changed.comment = "backdated approval"
    new_hash = changed.compute_record_hash()
    tamper(
        "UPDATE reviews_signoff SET comment = %s, record_hash = %s WHERE id = %s",
        ["backdated approval", new_hash, changed.pk],
    )
    problems = signoff_chain_verify()
    # The rehashed record's signature fails, and the next record no longer links to it.
    assert len(problems) == 2
    assert f"SignOff #{changed.pk} " in problems[0] and "signature" in problems[0]
    assert f"SignOff #{signoffs[1].pk} " in problems[1] and "previous_hash" in problems[1]


@tampering
def test_revision_verify_names_a_signed_revision_whose_content_changed(signoffs):
    revision = signoffs[0].revision
    snapshot = {**revision.snapshot, "body": "<p>Changed by raw SQL.</p>"}
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(snapshot), revision.pk],
    )
    problems = signoff_revisions_verify()
    assert len(problems) == 2
    assert all(f"SignOff #{signoffs[0].pk}" in p and str(revision.pk) in p for p in problems)


def test_verify_signoffs_command_passes_on_an_intact_chain(signoffs, capsys):
    call_command("verify_signoffs")
    out = capsys.readouterr().out
    assert "3 sign-off(s) verified: signatures, chain and signed content intact." in out


@tampering
def test_verify_signoffs_command_fails_naming_the_record_and_audits(signoffs, capsys):
    tamper(
        "UPDATE reviews_signoff SET decision = 'approved', comment = 'x' WHERE id = %s",
        [signoffs[2].pk],
    )
    with pytest.raises(CommandError, match="2 problem"):  # its record hash and signature
        call_command("verify_signoffs")
    assert f"SignOff #{signoffs[2].pk}" in capsys.readouterr().err
    assert AuditEvent.objects.filter(action="tamper_detected").count() == 1
