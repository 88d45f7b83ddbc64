"""`signoff_create`: every rule that decides who may sign, enforced at service level."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from reviews import checks
from reviews.models import AuditEvent, ReviewRequest, SignOff
from reviews.services import SignOffRefused, review_request_create, signoff_create
from tests.factories.articles import ContributorFactory, EditorFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.reviews.conftest import make_revision, make_snapshot
from tests.tamper import tamper

pytestmark = pytest.mark.django_db
APPROVED = SignOff.Decision.APPROVED
CHANGES = SignOff.Decision.CHANGES_REQUESTED


def sign(revision, user, password, decision=APPROVED, now=None, **kwargs):
    """Sign through the service; `now` moves the server clock (the service takes no time)."""
    kwargs.setdefault("attested", True)
    kwargs.setdefault("expected_hash", revision.content_hash)
    with time_machine.travel(now or timezone.now(), tick=now is None):
        return signoff_create(
            revision=revision, user=user, password=password, decision=decision, **kwargs
        )


@pytest.fixture
def retracted():
    """Register a retraction source that knows PMID 29870458 as retracted."""
    previous = checks.set_retraction_source(lambda pmids: {"29870458"} & set(pmids))
    yield
    checks.set_retraction_source(previous)


def refusal(revision, user, password, **kwargs) -> SignOffRefused:
    with pytest.raises(SignOffRefused) as info:
        sign(revision, user, password, **kwargs)
    assert not SignOff.objects.filter(revision=revision).exists(), "a refusal signed something"
    return info.value


def test_approval_records_the_signature_manifest(revision, reviewer, password):
    now = timezone.now()
    signoff = sign(revision, reviewer.user, password, comment=" Fine. ", now=now)

    assert signoff.reviewer == reviewer and signoff.signer == reviewer.user
    assert (signoff.printed_name, signoff.credentials) == (reviewer.printed_name, "DO")
    assert signoff.signed_at == now
    assert signoff.meaning == "Medical review: accurate and appropriate for publication."
    assert signoff.content_hash == revision.content_hash
    assert signoff.comment == "Fine."
    assert signoff.conflict_of_interest_display == "None declared"
    assert signoff.record_hash == signoff.compute_record_hash()
    assert AuditEvent.objects.filter(action="approved", revision=revision).count() == 1


def test_printed_name_is_frozen_at_signing(revision, reviewer, password):
    signoff = sign(revision, reviewer.user, password)
    reviewer.printed_name = "Jane Q. Roe"
    reviewer.save()
    signoff.refresh_from_db()
    assert signoff.printed_name != "Jane Q. Roe"


def test_changes_requested_has_its_own_meaning_and_closes_requests_as_such(
    revision, reviewer, password
):
    request = review_request_create(revision=revision, user=EditorFactory())
    signoff = sign(revision, reviewer.user, password, decision=CHANGES, comment="Cite this.")
    assert signoff.meaning == "Medical review: changes requested before publication."
    request.refresh_from_db()
    assert request.state == ReviewRequest.State.CHANGES_REQUESTED
    assert request.closed_at == signoff.signed_at


def test_approval_closes_the_open_requests_of_that_revision_only(revision, reviewer, password):
    request = review_request_create(revision=revision, user=EditorFactory())
    other = review_request_create(revision=make_revision(), user=EditorFactory())
    sign(revision, reviewer.user, password)
    request.refresh_from_db()
    other.refresh_from_db()
    assert request.state == ReviewRequest.State.APPROVED
    assert other.state == ReviewRequest.State.OPEN


def test_sign_offs_form_one_global_chain(reviewer, password):
    first = sign(make_revision(), reviewer.user, password)
    second = sign(make_revision(), reviewer.user, password, decision=CHANGES)
    third = sign(make_revision(), reviewer.user, password)
    assert first.previous_hash == ""
    assert second.previous_hash == first.record_hash
    assert third.previous_hash == second.record_hash


def test_periodic_re_review_is_a_new_sign_off_on_the_same_revision(revision, reviewer, password):
    first = sign(revision, reviewer.user, password, now=timezone.now() - timedelta(days=300))
    again = sign(revision, reviewer.user, password)
    assert again.pk != first.pk and again.revision_id == first.revision_id
    assert again.signed_at > first.signed_at


def test_signing_takes_no_time_from_the_caller(revision, reviewer, password):
    """Signing time is the server clock: a caller cannot pass a date, past or future."""
    future = timezone.now() + timedelta(days=400)
    with pytest.raises(TypeError, match="now"):
        signoff_create(
            revision=revision,
            user=reviewer.user,
            password=password,
            decision=APPROVED,
            attested=True,
            expected_hash=revision.content_hash,
            now=future,
        )
    assert not SignOff.objects.exists()


def test_a_clock_behind_the_chain_head_is_a_clear_refusal_not_an_error(
    revision, reviewer, password
):
    sign(revision, reviewer.user, password)
    error = refusal_after_head(revision, reviewer, password)
    assert error.code == "clock"
    assert "clock" in error.message and "nothing was signed" in error.message
    assert AuditEvent.objects.filter(action="signature_failed", data__code="clock").exists()


def refusal_after_head(revision, reviewer, password) -> SignOffRefused:
    before = SignOff.objects.count()
    with pytest.raises(SignOffRefused) as info:
        sign(revision, reviewer.user, password, now=timezone.now() - timedelta(days=1))
    assert SignOff.objects.count() == before
    return info.value


# --- Who may sign -------------------------------------------------------------------------


def test_editor_without_profile_is_refused(revision, password):
    error = refusal(revision, EditorFactory(), "editor-test-password")
    assert error.code == "no_profile"
    assert error.message == "Only a reviewing physician with a reviewer profile can sign."


def test_superuser_without_profile_is_refused(revision, password):
    error = refusal(revision, AdminUserFactory(), password)
    assert error.code == "no_profile"


def test_unverified_reviewer_is_refused_with_the_reason(revision, password):
    profile = ReviewerProfileFactory(unverified=True)
    error = refusal(revision, profile.user, password)
    assert error.code == "not_eligible"
    assert "not been verified" in error.message


def test_expired_licence_is_refused_naming_the_date(revision, password):
    today = timezone.localdate()
    profile = ReviewerProfileFactory(licence_expires_on=today - timedelta(days=1))
    error = refusal(revision, profile.user, password)
    assert error.code == "not_eligible"
    assert f"expired on {(today - timedelta(days=1)).isoformat()}" in error.message


def test_licence_is_valid_through_its_expiry_date(revision, password):
    profile = ReviewerProfileFactory(licence_expires_on=timezone.localdate())
    signoff = sign(revision, profile.user, password)
    assert (signoff.reviewer, signoff.revision, signoff.decision) == (profile, revision, APPROVED)


def test_deactivated_reviewer_is_refused(revision, reviewer, password):
    reviewer.user.is_active = False
    reviewer.user.save()
    assert refusal(revision, reviewer.user, password).code == "not_eligible"


def test_reviewer_who_created_the_revision_is_refused(reviewer, password):
    revision = make_revision(user=reviewer.user)
    error = refusal(revision, reviewer.user, password)
    assert error.code == "separation_of_duties"
    assert "wrote or edited this revision" in error.message


def test_a_login_made_superuser_after_getting_a_profile_cannot_sign(revision, password):
    """Superusers cannot hold a signing profile, so promoting a physician's login stops it."""
    profile = ReviewerProfileFactory()
    profile.user.is_superuser = True
    profile.user.is_staff = True
    profile.user.save()
    error = refusal(revision, profile.user, password)
    assert error.code == "not_eligible"
    assert "cannot sign as medical reviewers" in error.message


def test_reviewer_who_edited_since_the_last_approval_is_refused(reviewer, password):
    first = make_revision()
    sign(first, ReviewerProfileFactory().user, password)  # approved by someone else
    edited = make_revision(first.article, user=reviewer.user)  # our reviewer edits
    under_review = make_revision(first.article)  # an editor saves again on top
    error = refusal(under_review, reviewer.user, password)
    assert error.code == "separation_of_duties"
    assert "edited this article" in error.message
    assert edited.number < under_review.number


def test_edits_before_the_last_approval_do_not_disqualify(reviewer, password):
    own = make_revision(user=reviewer.user)
    sign(own, ReviewerProfileFactory().user, password)  # someone else approved those edits
    later = make_revision(own.article)
    assert sign(later, reviewer.user, password).revision == later


def test_requested_changes_are_not_an_approval_for_the_edit_window(reviewer, password):
    own = make_revision(user=reviewer.user)
    sign(own, ReviewerProfileFactory().user, password, decision=CHANGES)
    later = make_revision(own.article)
    assert refusal(later, reviewer.user, password).code == "separation_of_duties"


def test_reviewer_credited_as_author_is_refused(revision, reviewer, password):
    revision.article.authors.add(ContributorFactory(user=reviewer.user))
    error = refusal(revision, reviewer.user, password)
    assert error.code == "separation_of_duties"
    assert "author" in error.message


# --- The act of signing -------------------------------------------------------------------


def test_attestation_is_required(revision, reviewer, password):
    assert refusal(revision, reviewer.user, password, attested=False).code == "not_attested"


def test_wrong_password_signs_nothing_and_is_logged(revision, reviewer):
    error = refusal(revision, reviewer.user, "not my password")
    assert error.code == "wrong_password"
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNATURE_FAILED)
    assert event.actor == reviewer.user
    assert event.revision == revision and event.article_id == revision.article_id
    assert event.data["code"] == "wrong_password"


@pytest.mark.django_db(transaction=True)
def test_the_failed_signature_record_is_committed_despite_the_rollback(revision, reviewer):
    """With real transactions: the audit row survives the rolled-back signing transaction."""
    review_request_create(revision=revision, user=EditorFactory())
    refusal(revision, reviewer.user, "wrong")
    assert AuditEvent.objects.filter(action="signature_failed").count() == 1
    assert ReviewRequest.objects.get().state == ReviewRequest.State.OPEN


def test_empty_password_is_refused(revision, reviewer):
    assert refusal(revision, reviewer.user, "").code == "wrong_password"


@pytest.mark.django_db(transaction=True)
def test_revision_whose_content_no_longer_matches_its_hash_is_refused_naming_it(
    revision, reviewer, password
):
    changed = {**revision.snapshot, "body": "<p>Changed behind the app's back.</p>"}
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(changed), revision.pk],
    )
    error = refusal(revision, reviewer.user, password)
    assert error.code == "hash_mismatch"
    assert f"Revision {revision.number}" in error.message
    assert revision.content_hash[:12] in error.message
    assert AuditEvent.objects.filter(action="tamper_detected", revision=revision).exists()


def test_unknown_decision_is_refused(revision, reviewer, password):
    assert refusal(revision, reviewer.user, password, decision="maybe").code == "decision"


def test_a_retracted_citation_blocks_approval(reviewer, password, retracted):
    revision = make_revision(snapshot=make_snapshot())
    error = refusal(revision, reviewer.user, password)
    assert error.code == "blocking_findings"
    assert "29870458" in error.message


def test_a_retracted_citation_does_not_stop_a_request_for_changes(reviewer, password, retracted):
    revision = make_revision(snapshot=make_snapshot())
    signoff = sign(
        revision, reviewer.user, password, decision=CHANGES
    )
    assert signoff.decision == CHANGES


def test_retractions_come_from_the_registered_source_by_default(reviewer, password):
    asked = []

    def source(pmids):
        asked.append(set(pmids))
        return {"29870458"}

    checks.set_retraction_source(source)
    revision = make_revision(snapshot=make_snapshot())
    assert refusal(revision, reviewer.user, password).code == "blocking_findings"
    assert asked == [{"29870458"}]


def test_approval_without_a_retraction_source_fails_loudly(reviewer, password):
    checks.set_retraction_source(None)
    with pytest.raises(ImproperlyConfigured, match="retraction source"):
        sign(make_revision(snapshot=make_snapshot()), reviewer.user, password)
    assert not SignOff.objects.exists()


def test_warnings_do_not_block(reviewer, password):
    snapshot = make_snapshot(body="<p>A miracle cure for 90% of people.</p>", citations=[])
    assert sign(make_revision(snapshot=snapshot), reviewer.user, password).is_approval
