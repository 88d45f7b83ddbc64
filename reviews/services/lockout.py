"""
Signing lockout: wrong passwords on the signing screen lock a physician's signing for a while.

A signature is a password re-entered on a screen that stays open: without a limit, anyone at an
unlocked computer (or a script with a stolen session) could guess the password there as often as
they liked. The rule, counted from the audit trail (`signature_failed` events whose code is
``wrong_password``; the signing service writes them after its transaction rolled back, so they
persist):

    A lock starts at the wrong password that completes ``SIGNING_FAILURE_LIMIT`` wrong passwords
    within ``SIGNING_LOCKOUT_MINUTES`` (that one included), and lasts ``SIGNING_LOCKOUT_MINUTES``
    from it.

So the lock ends at the newest such failure plus the lockout minutes. Failures older than the
window, other users' failures and other refusals (no attestation, a "locked" refusal, ...) never
count. The signing service checks the lock *before* the password, so a locked physician's
attempts are refused as ``locked`` and do not extend the lock.

This module is the only place that reads the two settings (defaults 5 and 15); they are
validated at start-up by `check_signing_lockout_settings`, registered in `reviews.apps`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from reviews.models import AuditEvent
from reviews.services.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

DEFAULT_FAILURE_LIMIT = 5
DEFAULT_LOCKOUT_MINUTES = 15
# The role `setup_site` creates (articles.management.commands.setup_site.SITE_ADMINS; this app
# may not import articles, and a test keeps the two names equal).
SITE_ADMINS_GROUP = "Site admins"


# --- Settings (read only here) ------------------------------------------------------------


def failure_limit() -> int:
    """How many wrong passwords within the window lock signing (``SIGNING_FAILURE_LIMIT``)."""
    return getattr(settings, "SIGNING_FAILURE_LIMIT", DEFAULT_FAILURE_LIMIT)


def lockout_window() -> timedelta:
    """The counting window, and the length of a lock (``SIGNING_LOCKOUT_MINUTES``)."""
    return timedelta(minutes=getattr(settings, "SIGNING_LOCKOUT_MINUTES", DEFAULT_LOCKOUT_MINUTES))


# --- The rule -----------------------------------------------------------------------------


def _wrong_password_times(*, user: AbstractBaseUser, now: datetime) -> list[datetime]:
    """
    When ``user`` entered a wrong signing password, newest first, as far back as can matter.

    A lock in force at ``now`` starts after ``now - window`` and the failures that made it lie
    within one window before that, so nothing older than two windows is read. One query.
    """
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.SIGNATURE_FAILED,
            actor_id=user.pk,
            data__code="wrong_password",
            at__gt=now - 2 * lockout_window(),
            at__lte=now,
        )
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
    )


def _lock_end(times: Sequence[datetime], *, now: datetime) -> datetime | None:
    """When the lock in force at ``now`` ends, from failure times sorted newest first; or None."""
    limit, window = failure_limit(), lockout_window()
    for index, failure in enumerate(times):
        if failure + window <= now:
            return None  # this lock, and any that older failures started, is over
        # Sorted newest first: the limit-th failure counting back from this one is the oldest
        # of the run; the run locks if it fits in one window ending at this failure.
        oldest = index + limit - 1
        if oldest < len(times) and times[oldest] > failure - window:
            return failure + window
    return None


def signing_locked_until(*, user: AbstractBaseUser, now: datetime) -> datetime | None:
    """
    When ``user``'s signing lock ends, or None if they may sign at ``now``.

    Locked until the newest wrong password that completes ``SIGNING_FAILURE_LIMIT`` wrong
    passwords within ``SIGNING_LOCKOUT_MINUTES``, plus those minutes (see the module docstring).
    One query.
    """
    return _lock_end(_wrong_password_times(user=user, now=now), now=now)


def _round_up_to_minute(moment: datetime) -> datetime:
    # "Try again after 15:42" must be true at 15:42:00; a lock ending at 15:42:30 says 15:43.
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def _local_time_label(moment: datetime, *, now: datetime, round_up: bool = False) -> str:
    """'15:42 (UTC)' in the site's time zone; the date too when it is not ``now``'s day there."""
    local = timezone.localtime(_round_up_to_minute(moment) if round_up else moment)
    label = f"{local:%H:%M} ({local.tzname()})"
    if local.date() != timezone.localdate(now):
        label = f"{local:%d %B %Y} {label}"
    return label


def signing_lockout_refusal_message(until: datetime, *, now: datetime | None = None) -> str:
    """
    What a locked physician is told when they try to sign.

    "Signing is locked after 5 incorrect passwords. Try again after 15:42 (UTC), or ask a site
    administrator." The time is in the site's time zone (``TIME_ZONE``), rounded up to the
    minute, with the zone's name; the date is added when the lock ends on another day than
    ``now`` (default: the current time).
    """
    label = _local_time_label(until, now=now or timezone.now(), round_up=True)
    return (
        f"Signing is locked after {failure_limit()} incorrect passwords. Try again after "
        f"{label}, or ask a site administrator."
    )


# --- After a wrong password ---------------------------------------------------------------


def _display_name(user: AbstractBaseUser) -> str:
    try:
        return user.reviewer_profile.display_name
    except ObjectDoesNotExist:
        return user.get_username()


def _recipients(user: AbstractBaseUser) -> list[str]:
    """The physician, then the active site admins and superusers; each address once."""
    admins = (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name=SITE_ADMINS_GROUP), is_active=True)
        .exclude(email="")
        .order_by(Lower("email"))
        .values_list("email", flat=True)
    )
    # No DISTINCT (PostgreSQL refuses it with this ordering): the group join's duplicate rows
    # and addresses differing only in case are dropped here.
    recipients: list[str] = []
    seen: set[str] = set()
    for address in [getattr(user, "email", ""), *admins]:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return recipients


def signing_failure_after(*, user: AbstractBaseUser, now: datetime) -> bool:
    """
    Lock signing if the wrong password just audited for ``user`` reaches the limit; True if so.

    Called by the signing service right after it recorded a ``wrong_password`` refusal (at
    ``now``). Only the failure that *starts* a lock announces it, so a lock is announced once:
    it writes a ``signing_locked`` audit event (`data`: ``failures``, ``locked_until``) and
    e-mails the physician and the site admins (active members of "Site admins" and active
    superusers with an address, each once): a notification, sent by a task after the
    surrounding transaction commits and tried again if the mail server fails.
    """
    times = _wrong_password_times(user=user, now=now)
    if not times:
        return False
    until = _lock_end(times, now=now)
    # Not a new lock if there is none, or if one was already in force just before this failure.
    if until is None or _lock_end(times[1:], now=times[0]) is not None:
        return False

    window = lockout_window()
    failures = sum(1 for moment in times if moment > times[0] - window)
    name = _display_name(user)
    until_label = _local_time_label(until, now=now, round_up=True)
    audit_record(
        action=AuditEvent.Action.SIGNING_LOCKED,
        actor=user,
        message=(
            f"Signing locked for {name} until {until_label} after {failures} incorrect "
            f"passwords within {int(window.total_seconds() // 60)} minutes."
        ),
        data={"failures": failures, "locked_until": until.isoformat()},
        now=now,
    )
    subject = f"Signing locked for {name}"
    body = (
        f"Signing on {settings.SITE_NAME} is locked for {name} ({user.get_username()}).\n\n"
        f"The password was entered incorrectly {failures} times within "
        f"{int(window.total_seconds() // 60)} minutes on the signing screen, most recently at "
        f"{_local_time_label(times[0], now=now)}. Nothing was signed.\n\n"
        f"Signing is possible again after {until_label}.\n\n"
        "If this was not you, tell a site administrator now: someone may be trying to sign in "
        "your name. Site administrators can see each attempt in the audit trail.\n"
    )
    # Recorded with the lock and sent by the task worker after the commit: a slow or failing
    # mail server neither delays the refusal nor loses the e-mail (it is tried again).
    notify(
        kind=Notification.Kind.LOCKOUT,
        key=f"lockout:{user.pk}:{until.isoformat()}",
        recipients=_recipients(user),
        subject=subject,
        body=body,
    )
    return True


# --- System check -------------------------------------------------------------------------


def check_signing_lockout_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: both SIGNING_* lockout settings are whole numbers of at least 1."""
    errors: list[checks.CheckMessage] = []
    for name, default, eid in (
        ("SIGNING_FAILURE_LIMIT", DEFAULT_FAILURE_LIMIT, "reviews.E010"),
        ("SIGNING_LOCKOUT_MINUTES", DEFAULT_LOCKOUT_MINUTES, "reviews.E011"),
    ):
        value = getattr(settings, name, default)
        # bool is an int subclass, but True is a mistake, not "one".
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                checks.Error(
                    f"{name} must be a whole number of at least 1, not {value!r}.",
                    hint=f"Set {name} in the environment, e.g. {name}={default}.",
                    id=eid,
                )
            )
    return errors


__all__ = [
    "SITE_ADMINS_GROUP",
    "check_signing_lockout_settings",
    "failure_limit",
    "lockout_window",
    "signing_failure_after",
    "signing_locked_until",
    "signing_lockout_refusal_message",
]
