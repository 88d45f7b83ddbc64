"""
A refused signature leaves a record the lockout and the site admins can rely on: which rule
refused it and what the physician tried to sign, dated at the instant the signing service
read under its lock, so the wrong password that reaches the limit locks signing at once, with
the clock running as it does in production (no frozen time).
"""

import pytest
from django.core import mail

from reviews.models import AuditEvent, SignOff
from reviews.services import SignOffRefused, signoff_create
from reviews.services.lockout import failure_limit

pytestmark = pytest.mark.django_db


def attempt(revision, user, password, **kwargs) -> SignOffRefused:
    kwargs.setdefault("decision", SignOff.Decision.APPROVED)
    kwargs.setdefault("attested", True)
    with pytest.raises(SignOffRefused) as info:
        signoff_create(
            revision=revision,
            user=user,
            password=password,
            expected_hash=revision.content_hash,
            **kwargs,
        )
    return info.value


def test_a_refused_signature_is_audited_with_the_rule_and_the_decision_tried(revision, reviewer):
    attempt(
        revision,
        reviewer.user,
        "correct horse battery staple",
        decision=SignOff.Decision.CHANGES_REQUESTED,
        attested=False,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNATURE_FAILED)
    assert event.data == {"code": "not_attested", "decision": "changes_requested"}
    assert (event.actor, event.revision) == (reviewer.user, revision)


def test_the_wrong_password_that_reaches_the_limit_locks_signing_at_once(
    revision, reviewer, password, django_capture_on_commit_callbacks
):
    for _ in range(failure_limit() - 1):
        assert attempt(revision, reviewer.user, "guess").code == "wrong_password"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SIGNING_LOCKED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert attempt(revision, reviewer.user, "last guess").code == "wrong_password"

    failures = AuditEvent.objects.filter(action=AuditEvent.Action.SIGNATURE_FAILED)
    assert failures.count() == failure_limit()
    assert all(event.data["decision"] == "approved" for event in failures)
    locked = AuditEvent.objects.get(action=AuditEvent.Action.SIGNING_LOCKED)
    assert locked.data["failures"] == failure_limit()
    assert [reviewer.user.email in message.to for message in mail.outbox] == [True]
    # Even the right password is refused now.
    assert attempt(revision, reviewer.user, password).code == "locked"
