"""
What a signature leaves behind: an audit entry naming the physician's login, the sign-off and
the hash signed, dated at the signing instant (the clock running, as in production); and the
revision's open review requests closed, while requests decided before keep their decision; a
request for changes on a live page is audited at that same instant.
"""

import pytest

from reviews.models import AuditEvent, ReviewRequest, SignOff
from reviews.services import SignOffRefused, review_request_create, signoff_create
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import ReviewerProfileFactory

pytestmark = pytest.mark.django_db


def sign(revision, reviewer, password, decision=SignOff.Decision.APPROVED):
    return signoff_create(
        revision=revision,
        user=reviewer.user,
        password=password,
        decision=decision,
        attested=True,
        expected_hash=revision.content_hash,
        comment="Cite the trial." if decision != SignOff.Decision.APPROVED else "",
    )


def test_an_approval_is_audited_with_the_signer_the_sign_off_and_the_hash_at_signing_time(
    revision, reviewer, password
):
    signoff = sign(revision, reviewer, password)
    event = AuditEvent.objects.get(action=AuditEvent.Action.APPROVED)
    assert (event.actor, event.revision, event.at) == (reviewer.user, revision, signoff.signed_at)
    assert event.data == {"signoff_id": signoff.pk, "content_hash": revision.content_hash}
    assert event.message == f"{signoff.display_name}: {signoff.meaning}"


def test_a_later_decision_closes_only_open_requests_and_keeps_earlier_decisions(
    revision, reviewer, password
):
    first_request = review_request_create(revision=revision, user=EditorFactory())
    asked = sign(revision, reviewer, password, decision=SignOff.Decision.CHANGES_REQUESTED)
    second_request = review_request_create(revision=revision, user=EditorFactory())

    approval = sign(revision, ReviewerProfileFactory(), password)

    first_request.refresh_from_db()
    second_request.refresh_from_db()
    assert (first_request.state, first_request.closed_at) == (
        ReviewRequest.State.CHANGES_REQUESTED,
        asked.signed_at,
    )
    assert (second_request.state, second_request.closed_at) == (
        ReviewRequest.State.APPROVED,
        approval.signed_at,
    )


def test_changes_requested_on_a_live_page_are_audited_at_the_instant_of_the_signature(password):
    article = ArticleFactory(live=True)
    asked = sign(
        article.live_revision, ReviewerProfileFactory(), password,
        decision=SignOff.Decision.CHANGES_REQUESTED,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.APPROVAL_SUPERSEDED)
    assert (event.article_id, event.at, event.data) == (
        article.pk, asked.signed_at, {"signoff_id": asked.pk}
    )


def test_a_decided_request_is_not_signed_again_by_the_service(revision, reviewer, password):
    """The rule holds for every caller, not only the review screen: a second post signs nothing."""
    request = review_request_create(revision=revision, user=EditorFactory())
    first = sign(revision, reviewer, password)
    with pytest.raises(SignOffRefused) as refused:
        sign(revision, ReviewerProfileFactory(), password)
    assert refused.value.code == "already_decided"
    assert refused.value.message == (
        "This review request was already decided (approved); nothing was signed. Send the "
        "revision for review again to sign a new decision."
    )
    assert list(SignOff.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGNATURE_FAILED, data__code="already_decided"
    ).count() == 1
    request.refresh_from_db()
    assert (request.state, request.closed_at) == (ReviewRequest.State.APPROVED, first.signed_at)


def test_a_revision_sent_for_review_again_can_be_signed_again(revision, reviewer, password):
    review_request_create(revision=revision, user=EditorFactory())
    sign(revision, reviewer, password)
    review_request_create(revision=revision, user=EditorFactory())
    sign(revision, reviewer, password)
    assert SignOff.objects.filter(revision=revision).count() == 2
