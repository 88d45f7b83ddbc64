"""Reviewer profiles, credential verification, review requests and reminder claims."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews.models import AuditEvent, ReminderLog, ReviewRequest, validate_npi
from reviews.services import (
    ReviewerVerificationError,
    reminder_claim,
    review_request_create,
    reviewer_profile_save,
    reviewer_verify,
)
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.reviews.conftest import make_revision

pytestmark = pytest.mark.django_db


# --- ReviewerProfile ----------------------------------------------------------------------


def test_display_name_is_name_comma_credentials():
    profile = ReviewerProfileFactory.build(printed_name="Jane Roe", credentials="DO")
    assert profile.display_name == "Jane Roe, DO"
    assert str(profile) == "Jane Roe, DO"


def test_verified_profile_with_valid_licence_can_sign():
    profile = ReviewerProfileFactory()
    assert profile.signing_refusal(timezone.now()) is None
    assert profile.can_sign(timezone.now())


def test_signing_refusal_reads_the_licence_date_at_the_given_instant():
    profile = ReviewerProfileFactory(licence_expires_on=timezone.localdate())
    tomorrow = timezone.now() + timedelta(days=1)
    assert profile.can_sign(timezone.now())
    assert "expired on" in profile.signing_refusal(tomorrow)


@pytest.mark.parametrize("npi", ["1234567893", ""])
def test_valid_npis_pass(npi):
    validate_npi(npi)


@pytest.mark.parametrize(("npi", "code"), [("1234567890", "npi_checksum"), ("12345", "npi_format")])
def test_invalid_npis_are_refused(npi, code):
    with pytest.raises(ValidationError) as info:
        validate_npi(npi)
    assert info.value.code == code


def test_full_clean_refuses_a_malformed_npi():
    profile = ReviewerProfileFactory.build(npi="12345abcde", user=StaffUserFactory())
    with pytest.raises(ValidationError) as info:
        profile.full_clean(exclude=["verified_by"])
    assert "npi" in info.value.message_dict


def test_database_refuses_half_a_verification():
    profile = ReviewerProfileFactory(unverified=True)
    profile.verified_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        profile.save()


# --- Verification -------------------------------------------------------------------------


def test_admin_verifies_credentials_and_it_is_audited():
    profile = ReviewerProfileFactory(unverified=True)
    admin_user = AdminUserFactory()
    now = timezone.now()
    reviewer_verify(profile=profile, admin_user=admin_user, now=now)
    profile.refresh_from_db()
    assert (profile.verified_by, profile.verified_at) == (admin_user, now)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREDENTIALS_VERIFIED)
    assert event.actor == admin_user and profile.licence_number in event.message


def test_staff_with_the_verify_permission_may_verify():
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="verify_reviewerprofile"))
    profile = ReviewerProfileFactory(unverified=True)
    reviewer_verify(profile=profile, admin_user=staff)
    assert profile.is_verified


def test_staff_without_the_permission_may_not_verify():
    with pytest.raises(PermissionDenied):
        reviewer_verify(profile=ReviewerProfileFactory(unverified=True), admin_user=EditorFactory())


def test_nobody_verifies_their_own_profile_not_even_a_superuser():
    admin_user = AdminUserFactory()
    profile = ReviewerProfileFactory(user=admin_user, unverified=True)
    with pytest.raises(ReviewerVerificationError) as info:
        reviewer_verify(profile=profile, admin_user=admin_user)
    assert info.value.code == "own_profile"
    profile.refresh_from_db()
    assert not profile.is_verified


def test_an_expired_licence_cannot_be_verified():
    profile = ReviewerProfileFactory(
        unverified=True, licence_expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ReviewerVerificationError, match="expired on"):
        reviewer_verify(profile=profile, admin_user=AdminUserFactory())


def test_changing_credentials_withdraws_the_verification():
    profile = ReviewerProfileFactory()
    profile.licence_expires_on += timedelta(days=365)
    reviewer_profile_save(profile=profile, changed_fields=["licence_expires_on"])
    profile.refresh_from_db()
    assert not profile.is_verified and profile.verified_by is None


def test_changing_the_bio_keeps_the_verification():
    profile = ReviewerProfileFactory()
    profile.bio = "Pain specialist."
    reviewer_profile_save(profile=profile, changed_fields=["bio"])
    profile.refresh_from_db()
    assert profile.is_verified


# --- Review requests ----------------------------------------------------------------------


def test_submitting_a_revision_opens_a_request_and_audits_it():
    revision = make_revision()
    editor = EditorFactory()
    request = review_request_create(revision=revision, user=editor, note="New section on sleep.")
    assert request.state == ReviewRequest.State.OPEN and request.closed_at is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBMITTED)
    assert (event.actor, event.revision, event.article_id) == (
        editor,
        revision,
        revision.article_id,
    )


def test_submitting_twice_keeps_one_open_request():
    revision = make_revision()
    first = review_request_create(revision=revision, user=EditorFactory())
    again = review_request_create(revision=revision, user=EditorFactory())
    assert again == first
    assert ReviewRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="submitted").count() == 1


def test_submitting_a_newer_revision_cancels_the_superseded_request():
    old = make_revision()
    stale = review_request_create(revision=old, user=EditorFactory())
    unrelated = review_request_create(revision=make_revision(), user=EditorFactory())
    review_request_create(revision=make_revision(old.article), user=EditorFactory())
    stale.refresh_from_db()
    unrelated.refresh_from_db()
    assert stale.state == ReviewRequest.State.CANCELLED and stale.closed_at is not None
    assert unrelated.state == ReviewRequest.State.OPEN


def test_database_allows_one_open_request_per_revision():
    revision = make_revision()
    review_request_create(revision=revision, user=EditorFactory())
    duplicate = ReviewRequest(
        revision=revision, submitted_by=EditorFactory(), submitted_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


# --- Reminders ----------------------------------------------------------------------------


def test_a_reminder_is_claimed_once_per_stage_and_due_date():
    article = ArticleFactory()
    due = timezone.now() + timedelta(days=20)
    assert reminder_claim(article=article, stage="due-soon", next_due=due, recipients=["a@x.org"])
    assert not reminder_claim(article=article, stage="due-soon", next_due=due)
    assert reminder_claim(article=article, stage="overdue", next_due=due)
    # A new review cycle (a new sign-off moves the due date) reminds again.
    assert reminder_claim(article=article, stage="due-soon", next_due=due + timedelta(days=365))
    assert ReminderLog.objects.count() == 3
    assert AuditEvent.objects.filter(action="reminder_sent", article=article).count() == 3
