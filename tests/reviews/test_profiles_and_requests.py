"""Reviewer profiles, credential verification, review requests and reminder claims."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews.models import AuditEvent, ReminderLog, ReviewerProfile, ReviewRequest, validate_npi
from reviews.services import (
    ReviewerVerificationError,
    reminder_claim,
    review_request_create,
    reviewer_profile_save,
    reviewer_verify,
)
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory, UserFactory
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


EVIDENCE = "Texas Medical Board public lookup: licence active, no board actions."


def verify(profile, admin_user, **kwargs):
    kwargs.setdefault("evidence", EVIDENCE)
    kwargs.setdefault("checked_on", timezone.localdate())
    return reviewer_verify(profile=profile, admin_user=admin_user, **kwargs)


def test_admin_verifies_credentials_with_evidence_and_it_is_audited():
    profile = ReviewerProfileFactory(unverified=True)
    admin_user = AdminUserFactory()
    now = timezone.now()
    checked = timezone.localdate() - timedelta(days=1)
    verify(profile, admin_user, now=now, checked_on=checked)
    profile.refresh_from_db()
    assert (profile.verified_by, profile.verified_at) == (admin_user, now)
    assert (profile.verification_evidence, profile.verification_checked_on) == (EVIDENCE, checked)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREDENTIALS_VERIFIED)
    assert event.actor == admin_user and profile.licence_number in event.message
    assert event.data["evidence"] == EVIDENCE and event.data["user_id"] == profile.user_id


@pytest.mark.parametrize(
    ("evidence", "days_ahead", "code"), [("", 0, "no_evidence"), (EVIDENCE, 1, "checked_on")]
)
def test_a_verification_needs_evidence_and_a_check_date_not_in_the_future(
    evidence, days_ahead, code
):
    profile = ReviewerProfileFactory(unverified=True)
    with pytest.raises(ReviewerVerificationError) as info:
        verify(
            profile,
            AdminUserFactory(),
            evidence=evidence,
            checked_on=timezone.localdate() + timedelta(days=days_ahead),
        )
    assert info.value.code == code
    profile.refresh_from_db()
    assert not profile.is_verified


def test_staff_with_the_verify_permission_may_verify():
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="verify_reviewerprofile"))
    profile = ReviewerProfileFactory(unverified=True)
    verify(profile, staff)
    profile.refresh_from_db()
    assert profile.is_verified


def test_staff_without_the_permission_may_not_verify():
    with pytest.raises(PermissionDenied):
        verify(ReviewerProfileFactory(unverified=True), EditorFactory())


def test_nobody_verifies_their_own_profile():
    """The service refuses, and so does the database (a check constraint)."""
    profile = ReviewerProfileFactory(unverified=True)
    profile.user.user_permissions.add(Permission.objects.get(codename="verify_reviewerprofile"))
    profile.user.is_staff = True
    profile.user.save()
    with pytest.raises(ReviewerVerificationError) as info:
        verify(profile, profile.user)
    assert info.value.code == "own_profile"
    profile.refresh_from_db()
    assert not profile.is_verified
    profile.verified_by, profile.verified_at = profile.user, timezone.now()
    profile.verification_evidence, profile.verification_checked_on = EVIDENCE, timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        profile.save()


def test_superusers_and_site_admins_cannot_hold_a_signing_profile():
    site_admin = StaffUserFactory()
    site_admin.user_permissions.add(Permission.objects.get(codename="verify_reviewerprofile"))
    for login in (AdminUserFactory(), site_admin):
        profile = ReviewerProfileFactory.build(user=login, verified_by=None, verified_at=None)
        with pytest.raises(ValidationError) as info:
            reviewer_profile_save(profile=profile, actor=AdminUserFactory())
        assert "user" in info.value.message_dict
    assert not ReviewerProfile.objects.filter(user__in=[site_admin]).exists()


def test_an_expired_licence_cannot_be_verified():
    profile = ReviewerProfileFactory(
        unverified=True, licence_expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ReviewerVerificationError, match="expired on"):
        verify(profile, AdminUserFactory())


def test_changing_credentials_withdraws_the_verification_and_is_audited():
    profile = ReviewerProfileFactory()
    old_expiry = profile.licence_expires_on
    profile.licence_expires_on += timedelta(days=365)
    actor = AdminUserFactory()
    reviewer_profile_save(profile=profile, actor=actor)
    profile.refresh_from_db()
    assert not profile.is_verified and profile.verified_by is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.PROFILE_CHANGED)
    assert event.actor == actor and event.data["verification_withdrawn"] is True
    assert event.data["changes"]["licence_expires_on"] == {
        "before": old_expiry.isoformat(),
        "after": profile.licence_expires_on.isoformat(),
    }


def test_changing_the_bio_keeps_the_verification_and_is_not_an_identity_change():
    profile = ReviewerProfileFactory()
    profile.bio = "Pain specialist."
    reviewer_profile_save(profile=profile, actor=AdminUserFactory())
    profile.refresh_from_db()
    assert profile.is_verified
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PROFILE_CHANGED).exists()


def test_a_profiles_login_cannot_be_repointed_not_even_by_a_superuser():
    """The insider attack: point Dr. Roe's verified profile at one's own login, then sign."""
    profile = ReviewerProfileFactory()
    intruder = UserFactory()
    profile.user = intruder
    with pytest.raises(ValidationError) as info:
        reviewer_profile_save(profile=profile, actor=AdminUserFactory())
    assert "user" in info.value.message_dict
    profile.refresh_from_db()
    assert profile.user != intruder and profile.is_verified


def test_verification_cannot_be_smuggled_in_through_a_profile_save():
    profile = ReviewerProfileFactory(unverified=True)
    profile.verified_by, profile.verified_at = AdminUserFactory(), timezone.now()
    profile.verification_evidence, profile.verification_checked_on = EVIDENCE, timezone.localdate()
    reviewer_profile_save(profile=profile, actor=profile.verified_by)
    profile.refresh_from_db()
    assert not profile.is_verified


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


def test_whoever_entered_the_credentials_cannot_verify_them():
    """Four eyes: a superuser who creates (or edits) a profile cannot also verify it."""
    admin_user = AdminUserFactory()
    profile = ReviewerProfileFactory.build(
        user=UserFactory(),
        verified_by=None,
        verified_at=None,
        verification_evidence="",
        verification_checked_on=None,
    )
    reviewer_profile_save(profile=profile, actor=admin_user)
    with pytest.raises(ReviewerVerificationError) as info:
        verify(profile, admin_user)
    assert info.value.code == "four_eyes"
    other = AdminUserFactory()
    verify(profile, other)
    profile.refresh_from_db()
    assert profile.is_verified
    # The other admin now edits the licence: the verification lapses, and they cannot redo it.
    profile.licence_number = "NEW-2"
    reviewer_profile_save(profile=profile, actor=other)
    with pytest.raises(ReviewerVerificationError):
        verify(profile, other)
    with pytest.raises(ReviewerVerificationError):
        verify(profile, admin_user)  # its creator, still
    profile.refresh_from_db()
    assert not profile.is_verified  # the lapsed verification stays lapsed after both refusals
    third = AdminUserFactory()
    verify(profile, third)
    profile.refresh_from_db()
    assert profile.is_verified and profile.verified_by == third


def test_a_licence_or_npi_belongs_to_one_unrevoked_profile():
    first = ReviewerProfileFactory(licence_number="TX-1", npi="1234567893")
    # New profiles arrive unverified: the licence or NPI is then the only thing wrong with them.
    twin = ReviewerProfileFactory.build(
        user=UserFactory(), licence_number="TX-1", licensing_body=first.licensing_body,
        unverified=True,
    )
    with pytest.raises(ValidationError) as licence:
        reviewer_profile_save(profile=twin, actor=AdminUserFactory())
    assert licence.value.messages == ["Another reviewer profile holds this licence."]
    same_npi = ReviewerProfileFactory.build(user=UserFactory(), npi="1234567893", unverified=True)
    with pytest.raises(ValidationError) as npi:
        reviewer_profile_save(profile=same_npi, actor=AdminUserFactory())
    assert npi.value.messages == ["Another reviewer profile holds this NPI."]
    other = ReviewerProfileFactory.build(user=UserFactory(), npi="", unverified=True)
    reviewer_profile_save(profile=other, actor=AdminUserFactory())  # the control: it saves
    assert other.pk is not None
