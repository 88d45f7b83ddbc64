"""
A physician's passkeys: adding one (only by themselves, with their password) and removing one.

Adding a passkey gives a new way to sign in the physician's name, so it asks what signing asks:
the physician's own login, a reviewer profile, signing not locked, and the password re-entered
(a wrong one counts towards the signing lockout). The physician is e-mailed each time, so a
passkey added by someone else in their session does not go unnoticed. Nobody else, site
administrators included, can add a passkey to a profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from reviews.models import AuditEvent, Passkey, ReviewerProfile
from reviews.passkeys import PasskeyInvalid, RelyingParty, registration_verify
from reviews.services import lockout
from reviews.services.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _own_profile(user: AbstractBaseUser) -> ReviewerProfile:
    profile = ReviewerProfile.objects.filter(user_id=user.pk, revoked_at=None).first()
    if profile is None:
        raise ValidationError(
            "Only a reviewing physician can add a passkey, to their own profile.",
            code="no_profile",
        )
    return profile


def passkey_add(
    *,
    user: AbstractBaseUser,
    password: str,
    name: str,
    credential: dict[str, Any],
    challenge: bytes,
    rp: RelyingParty,
) -> Passkey:
    """
    Register the passkey the physician's browser created (``credential``, made for
    ``challenge``) to sign in their name. Raises `ValidationError` saying why not; a wrong
    password is audited and counted towards the signing lockout, and nothing is stored.
    """
    now = timezone.now()
    profile = _own_profile(user)
    if (until := lockout.signing_locked_until(user=user, now=now)) is not None:
        raise ValidationError(lockout.signing_lockout_refusal_message(until), code="locked")
    if not password or not user.check_password(password):
        with transaction.atomic():
            audit_record(
                action=AuditEvent.Action.SIGNATURE_FAILED,
                actor=user,
                message="Passkey not added: the password was not correct.",
                data={"code": "wrong_password", "passkey": True},
                now=now,
            )
            lockout.signing_failure_after(user=user, now=now)
        raise ValidationError(
            "The password is not correct; no passkey was added.", code="wrong_password"
        )
    name = name.strip()
    if not name:
        raise ValidationError("Give the passkey a name, e.g. “Work laptop”.", code="name")
    try:
        credential_id, public_key, sign_count = registration_verify(
            credential=credential, challenge=challenge, rp=rp
        )
    except PasskeyInvalid as error:
        raise ValidationError(str(error), code="invalid") from error
    with transaction.atomic():
        if Passkey.objects.filter(credential_id=credential_id).exists():
            raise ValidationError("This passkey is already registered.", code="duplicate")
        passkey = Passkey.objects.create(
            profile=profile,
            name=name[:80],
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            created_at=now,
        )
        audit_record(
            action=AuditEvent.Action.PASSKEY_ADDED,
            actor=user,
            message=f"{profile.display_name} added the passkey “{passkey.name}”.",
            data={"passkey_id": passkey.pk, "profile_id": profile.pk},
            now=now,
        )
        _tell(profile, passkey, added=True, now=now)
    return passkey


def passkey_remove(*, user: AbstractBaseUser, passkey: Passkey) -> Passkey:
    """
    Remove one of the physician's own passkeys: it cannot sign any more. It is kept, revoked,
    because the sign-offs it made are verified with its public key.
    """
    now = timezone.now()
    profile = _own_profile(user)
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().get(pk=passkey.pk)
        if passkey.profile_id != profile.pk:
            raise ValidationError("You can only remove your own passkeys.", code="not_yours")
        if passkey.revoked_at is not None:
            return passkey
        passkey.revoked_at = now
        passkey.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.PASSKEY_REMOVED,
            actor=user,
            message=f"{profile.display_name} removed the passkey “{passkey.name}”.",
            data={"passkey_id": passkey.pk, "profile_id": profile.pk},
            now=now,
        )
        _tell(profile, passkey, added=False, now=now)
    return passkey


def _tell(profile: ReviewerProfile, passkey: Passkey, *, added: bool, now: datetime) -> None:
    """E-mail the physician about a passkey added or removed in their name."""
    if not profile.user.email:
        return
    what = "added to" if added else "removed from"
    notify(
        kind=Notification.Kind.PASSKEY,
        key=f"passkey:{passkey.pk}:{'added' if added else 'removed'}",
        recipients=[profile.user.email],
        subject=f"A passkey was {what} your signing profile",
        body=(
            f"The passkey “{passkey.name}” was {what} your reviewer profile on "
            f"{timezone.localtime(now):%d %B %Y at %H:%M %Z}."
            + (" It can now sign medical reviews in your name." if added else "")
            + "\n\nIf this was not you, tell a site administrator now."
        ),
    )
