"""Reviewer credentials: verification by site admins, and what withdraws it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reviews.models import CREDENTIAL_FIELDS, AuditEvent, ReviewerProfile
from reviews.services.audit import audit_record, resolve_now

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class ReviewerVerificationError(ValidationError):
    """Credentials could not be marked verified (no permission, own profile, expired licence)."""


def _can_verify(user: AbstractBaseUser) -> bool:
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("reviews.verify_reviewerprofile"))
    )


@transaction.atomic
def reviewer_verify(
    *, profile: ReviewerProfile, admin_user: AbstractBaseUser, now: datetime | None = None
) -> ReviewerProfile:
    """
    Record that a site admin checked a reviewer's licence and credentials.

    Only active staff with the "Can verify reviewer credentials" permission (or superusers)
    may verify, never their own profile (that would let one person both vouch for and use a
    signature), and never a licence that has already expired.
    """
    now = resolve_now(now)
    if not _can_verify(admin_user):
        raise PermissionDenied("Only site administrators may verify reviewer credentials.")
    if profile.user_id == admin_user.pk:
        raise ReviewerVerificationError(
            "You cannot verify your own reviewer profile; ask another administrator.",
            code="own_profile",
        )
    if profile.licence_expired(timezone.localdate(now)):
        raise ReviewerVerificationError(
            f"{profile.display_name}'s licence expired on "
            f"{profile.licence_expires_on.isoformat()}; record the renewed licence first.",
            code="licence_expired",
        )
    profile.verified_by = admin_user
    profile.verified_at = now
    profile.full_clean()
    profile.save(update_fields=["verified_by", "verified_at"])
    audit_record(
        action=AuditEvent.Action.CREDENTIALS_VERIFIED,
        actor=admin_user,
        message=f"Credentials of {profile.display_name} verified "
        f"(licence {profile.licence_number}, {profile.licensing_body}, "
        f"valid through {profile.licence_expires_on.isoformat()}).",
        data={
            "profile_id": profile.pk,
            "fields": {f: str(getattr(profile, f)) for f in CREDENTIAL_FIELDS},
        },
        now=now,
    )
    return profile


@transaction.atomic
def reviewer_profile_save(
    *, profile: ReviewerProfile, changed_fields: Collection[str] = ()
) -> ReviewerProfile:
    """
    Save a reviewer profile edited in the admin.

    When any credential field (name, credentials, licence, NPI) changed on a verified profile,
    the verification is withdrawn: the administrator vouched for the old values, so the
    reviewer cannot sign again until someone verifies the new ones.
    """
    if profile.pk is not None and set(changed_fields) & set(CREDENTIAL_FIELDS):
        profile.verified_by = None
        profile.verified_at = None
    profile.full_clean()
    profile.save()
    return profile
