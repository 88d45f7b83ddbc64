"""
Reviewer identity and credentials: profiles bound to their login, verification by someone
else with recorded evidence, and revocation for cause.

Every change to a profile's identity or credential fields is audited with its before and after
values, whoever makes it (the admin calls these services; so do commands and the shell).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reviews.models import CREDENTIAL_FIELDS, IDENTITY_FIELDS, AuditEvent, ReviewerProfile
from reviews.services.audit import audit_record, resolve_now
from reviews.signals import reviewer_revoked

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Fields whose changes are audited with before/after values.
AUDITED_FIELDS = (*IDENTITY_FIELDS, *CREDENTIAL_FIELDS, "specialty", "slug")


class ReviewerVerificationError(ValidationError):
    """Credentials could not be marked verified (no permission, own profile, expired licence)."""


def can_verify(user: AbstractBaseUser) -> bool:
    """Whether ``user`` may verify or revoke reviewers' credentials (Site admins, superusers)."""
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("reviews.verify_reviewerprofile"))
    )


def _field_value(profile: ReviewerProfile, name: str) -> str:
    if name == "user":
        if not profile.user_id:
            return ""
        return f"{profile.user_id} ({profile.user.get_username()})"
    value = getattr(profile, name)
    return value.isoformat() if isinstance(value, date) else str(value)


def _entered_by(profile: ReviewerProfile) -> set[int]:
    """Who created the profile, and who last changed its credentials (from the audit trail)."""
    changes = AuditEvent.objects.filter(
        action=AuditEvent.Action.PROFILE_CHANGED, data__profile_id=profile.pk
    ).order_by("-at", "-pk")
    entered = set(changes.filter(data__created=True).values_list("actor_id", flat=True))
    for change in changes.only("actor_id", "data"):
        if set(change.data.get("changes", {})) & set(CREDENTIAL_FIELDS):
            entered.add(change.actor_id)
            break
    return {pk for pk in entered if pk is not None}


@transaction.atomic
def reviewer_verify(
    *,
    profile: ReviewerProfile,
    admin_user: AbstractBaseUser,
    evidence: str,
    checked_on: date,
    now: datetime | None = None,
) -> ReviewerProfile:
    """
    Record that a site admin checked a reviewer's licence with the issuing body.

    Only active staff with the "Can verify reviewer credentials" permission (or superusers)
    may verify; never their own profile, nor one whose credentials they entered (created the
    profile, or last changed its licence or name): a second person checks. ``evidence`` says
    what was consulted and what it showed (e.g. "Texas Medical Board public lookup: licence
    DO-1234, active, no actions"); ``checked_on`` is the day of that check, not in the
    future. A licence that has already expired, or a revoked profile, cannot be verified.
    """
    now = resolve_now(now)
    if not can_verify(admin_user):
        raise PermissionDenied("Only site administrators may verify reviewer credentials.")
    profile = ReviewerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if profile.user_id == admin_user.pk:
        raise ReviewerVerificationError(
            "You cannot verify your own reviewer profile; ask another administrator.",
            code="own_profile",
        )
    if admin_user.pk in _entered_by(profile):
        raise ReviewerVerificationError(
            "You entered these credentials, so another administrator must check them: a "
            "verification needs a second person.",
            code="four_eyes",
        )
    if profile.is_revoked:
        raise ReviewerVerificationError(
            f"{profile.display_name}'s credentials were revoked for cause; a revoked profile "
            "is not verified again. Create a new profile if the physician is reinstated.",
            code="revoked",
        )
    evidence = (evidence or "").strip()
    if not evidence:
        raise ReviewerVerificationError(
            "Say how the licence was checked: the register consulted and what it showed.",
            code="no_evidence",
        )
    if checked_on is None or checked_on > timezone.localdate(now):
        raise ReviewerVerificationError(
            "Give the day the licence was checked (today or earlier).", code="checked_on"
        )
    if profile.licence_expired(timezone.localdate(now)):
        raise ReviewerVerificationError(
            f"{profile.display_name}'s licence expired on "
            f"{profile.licence_expires_on.isoformat()}; record the renewed licence first.",
            code="licence_expired",
        )
    profile.verified_by = admin_user
    profile.verified_at = now
    profile.verification_evidence = evidence
    profile.verification_checked_on = checked_on
    profile.full_clean()
    profile.save(
        update_fields=[
            "verified_by",
            "verified_at",
            "verification_evidence",
            "verification_checked_on",
        ]
    )
    audit_record(
        action=AuditEvent.Action.CREDENTIALS_VERIFIED,
        actor=admin_user,
        message=f"Credentials of {profile.display_name} (login {profile.user.get_username()}) "
        f"verified: licence {profile.licence_number}, {profile.licensing_body}, valid through "
        f"{profile.licence_expires_on.isoformat()}; checked on {checked_on.isoformat()}: "
        f"{evidence}",
        data={
            "profile_id": profile.pk,
            "user_id": profile.user_id,
            "evidence": evidence,
            "checked_on": checked_on.isoformat(),
            "fields": {f: _field_value(profile, f) for f in AUDITED_FIELDS},
        },
        now=now,
    )
    return profile


@transaction.atomic
def reviewer_profile_save(
    *, profile: ReviewerProfile, actor: AbstractBaseUser | None, now: datetime | None = None
) -> ReviewerProfile:
    """
    Create or save a reviewer profile edited in the admin (or anywhere else).

    - The login (`user`) is fixed once the profile exists: a change is refused.
    - A superuser or site admin cannot hold a profile (`ReviewerProfile.clean`).
    - When a credential field (name, credentials, licence, NPI) changes on a verified profile,
      the verification is withdrawn: the administrator vouched for the old values.
    - Every change of an identity or credential field is audited with before and after.
    """
    now = resolve_now(now)
    before = None
    if profile.pk is not None:
        before = ReviewerProfile.objects.select_for_update().select_related("user").get(
            pk=profile.pk
        )
        if before.user_id != profile.user_id:
            raise ValidationError(
                {
                    "user": "A reviewer profile's login cannot be changed: signatures made "
                    "with it would be attributed to another person. Create a new profile "
                    "for the other login."
                },
                code="login_fixed",
            )
    changes = {
        name: {
            "before": "" if before is None else _field_value(before, name),
            "after": _field_value(profile, name),
        }
        for name in AUDITED_FIELDS
        if before is None or _field_value(before, name) != _field_value(profile, name)
    }
    withdrawn = bool(
        before is not None
        and before.verified_at is not None
        and set(changes) & set(CREDENTIAL_FIELDS)
    )
    if withdrawn:
        profile.verified_by = None
        profile.verified_at = None
        profile.verification_evidence = ""
        profile.verification_checked_on = None
    if before is not None:
        # Verification and revocation are set only by their own services.
        for name in ("revoked_at", "revoked_by", "revocation_reason"):
            setattr(profile, name, getattr(before, name))
        if not withdrawn:
            for name in (
                "verified_at",
                "verified_by",
                "verification_evidence",
                "verification_checked_on",
            ):
                setattr(profile, name, getattr(before, name))
    profile.full_clean()
    profile.save()
    if changes:
        summary = "; ".join(
            f"{name}: {change['before'] or '(empty)'} → {change['after'] or '(empty)'}"
            for name, change in changes.items()
        )
        audit_record(
            action=AuditEvent.Action.PROFILE_CHANGED,
            actor=actor,
            message=(
                f"Reviewer profile {profile.display_name} "
                f"{'created' if before is None else 'changed'}: {summary}"
                + (" Verification withdrawn until it is verified again." if withdrawn else "")
            ),
            data={
                "profile_id": profile.pk,
                "created": before is None,
                "changes": changes,
                "verification_withdrawn": withdrawn,
            },
            now=now,
        )
    return profile


@transaction.atomic
def reviewer_revoke(
    *,
    profile: ReviewerProfile,
    admin_user: AbstractBaseUser,
    reason: str,
    now: datetime | None = None,
) -> ReviewerProfile:
    """
    Revoke a reviewer's credentials for cause (not ordinary licence expiry).

    From this moment none of the physician's approvals is in force: every page they approved
    loses its stamp, and receivers of `reviewer_revoked` (the articles app) open review
    requests for those pages, in this transaction. Audited with the reason.
    """
    now = resolve_now(now)
    if not can_verify(admin_user):
        raise PermissionDenied("Only site administrators may revoke reviewer credentials.")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewerVerificationError("Say why the credentials are revoked.", code="no_reason")
    profile = ReviewerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if profile.user_id == admin_user.pk:
        raise ReviewerVerificationError(
            "You cannot revoke your own reviewer profile; ask another administrator.",
            code="own_profile",
        )
    if profile.is_revoked:
        raise ReviewerVerificationError(
            f"{profile.display_name}'s credentials are already revoked.", code="already_revoked"
        )
    profile.revoked_at = now
    profile.revoked_by = admin_user
    profile.revocation_reason = reason
    profile.full_clean()
    profile.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    audit_record(
        action=AuditEvent.Action.CREDENTIALS_REVOKED,
        actor=admin_user,
        message=f"Credentials of {profile.display_name} revoked for cause: {reason}",
        data={"profile_id": profile.pk, "reason": reason},
        now=now,
    )
    reviewer_revoked.send(sender=ReviewerProfile, profile=profile, actor=admin_user, now=now)
    return profile
