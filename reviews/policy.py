"""
The review policy: when a physician's review expires, as pure functions.

Nothing here touches the database or the clock. Callers pass `now` (and the date of the last
approval), so the public page, the admin list, the reminder command and the tests all compute the
same answer for the same instant, and no cron job is needed for a page to turn "overdue": the
status is worked out at read time.

This module is the only place that reads the REVIEW_* settings:

- ``REVIEW_INTERVAL_DAYS`` (default 365): a review is valid this long after the sign-off.
- ``REVIEW_DUE_SOON_DAYS`` (default 30): how long before the due date a page counts as due soon.
- ``REVIEW_WITHDRAW_OVERDUE`` (default off): withdraw overdue pages instead of showing a notice.
- ``REVIEW_OVERDUE_GRACE_DAYS`` (default 30): how long an overdue page stays live, with the
  notice, before the withdraw setting takes it down.

They are validated at start-up by `check_review_settings`, a system check registered in
`reviews.apps`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core import checks

DEFAULT_INTERVAL_DAYS = 365
DEFAULT_DUE_SOON_DAYS = 30
DEFAULT_OVERDUE_GRACE_DAYS = 30


class ReviewStatus(StrEnum):
    """Where a page stands in its review cycle; the values are the public `data-review-status`."""

    CURRENT = "current"
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        """Human wording for admin lists and notices."""
        return {
            ReviewStatus.CURRENT: "Current",
            ReviewStatus.DUE_SOON: "Review due soon",
            ReviewStatus.OVERDUE: "Review overdue",
        }[self]


# --- Settings (read only here) ------------------------------------------------------------


def default_interval_days() -> int:
    """The site-wide review interval in days (``REVIEW_INTERVAL_DAYS``)."""
    return getattr(settings, "REVIEW_INTERVAL_DAYS", DEFAULT_INTERVAL_DAYS)


def default_due_soon_days() -> int:
    """How many days before the due date a review counts as due soon (``REVIEW_DUE_SOON_DAYS``)."""
    return getattr(settings, "REVIEW_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS)


def withdraw_overdue_enabled() -> bool:
    """Whether overdue pages are withdrawn after the grace period (``REVIEW_WITHDRAW_OVERDUE``)."""
    return bool(getattr(settings, "REVIEW_WITHDRAW_OVERDUE", False))


def default_overdue_grace_days() -> int:
    """Days an overdue page stays live before withdrawal (``REVIEW_OVERDUE_GRACE_DAYS``)."""
    return getattr(settings, "REVIEW_OVERDUE_GRACE_DAYS", DEFAULT_OVERDUE_GRACE_DAYS)


# --- The policy ---------------------------------------------------------------------------


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime would be read in the server's zone by some callers and in UTC by
    # others; a due date must mean the same instant everywhere, so refuse it outright.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}.")


def effective_interval_days(topic_intervals: Iterable[int | None] = ()) -> int:
    """
    The review interval for an article, given the per-topic overrides of its topics.

    The rule: a topic may shorten or lengthen the interval (`Topic.review_interval_days`); when an
    article sits in several topics with overrides, the **smallest** override wins, because the
    most fast-moving subject decides how soon the whole page must be looked at again. Topics with
    no override (``None``) do not count; with no override at all, the site-wide
    ``REVIEW_INTERVAL_DAYS`` applies.
    """
    overrides = [days for days in topic_intervals if days is not None]
    if not overrides:
        return default_interval_days()
    smallest = min(overrides)
    if smallest <= 0:
        raise ValueError(f"A topic review interval must be a positive number of days: {smallest}.")
    return smallest


def next_review_due(*, last_reviewed_at: datetime, interval_days: int | None = None) -> datetime:
    """
    When the next review is due: the last approval plus the interval.

    ``interval_days`` is the article's override, normally `effective_interval_days()` of its
    topics; ``None`` means the site-wide setting. A periodic re-review of unchanged content is a
    new approval on the same revision, so it moves ``last_reviewed_at`` and therefore this date.
    """
    _require_aware("last_reviewed_at", last_reviewed_at)
    days = default_interval_days() if interval_days is None else interval_days
    if days <= 0:
        raise ValueError(f"interval_days must be a positive number of days, got {days}.")
    return last_reviewed_at + timedelta(days=days)


def review_status(
    *, next_due: datetime, now: datetime, due_soon_days: int | None = None
) -> ReviewStatus:
    """
    The status of a review at the instant ``now``.

    Boundaries are inclusive at the start of each stage, so every instant has exactly one status:

    - ``OVERDUE`` when ``now >= next_due`` (at the due instant itself the review has expired);
    - ``DUE_SOON`` when ``next_due - due_soon_days <= now < next_due``;
    - ``CURRENT`` before that.

    ``due_soon_days`` defaults to ``REVIEW_DUE_SOON_DAYS``.
    """
    _require_aware("next_due", next_due)
    _require_aware("now", now)
    window = default_due_soon_days() if due_soon_days is None else due_soon_days
    if now >= next_due:
        return ReviewStatus.OVERDUE
    if now >= next_due - timedelta(days=window):
        return ReviewStatus.DUE_SOON
    return ReviewStatus.CURRENT


def withdrawal_at(*, next_due: datetime, grace_days: int | None = None) -> datetime:
    """The instant an overdue page is withdrawn when the withdraw setting is on."""
    _require_aware("next_due", next_due)
    grace = default_overdue_grace_days() if grace_days is None else grace_days
    return next_due + timedelta(days=grace)


def is_withdrawn_for_overdue(
    *,
    next_due: datetime,
    now: datetime,
    withdraw: bool | None = None,
    grace_days: int | None = None,
) -> bool:
    """
    Whether a page must be taken off the public site because its review lapsed.

    Only when ``REVIEW_WITHDRAW_OVERDUE`` is on (or ``withdraw=True`` is passed); by default an
    overdue page stays live with a visible "Review overdue" notice. The page is withdrawn from
    ``next_due + grace_days`` inclusive (``REVIEW_OVERDUE_GRACE_DAYS`` by default), so editors
    and reviewers get that long, with the notice showing, to complete the re-review.
    """
    _require_aware("now", now)
    enabled = withdraw_overdue_enabled() if withdraw is None else withdraw
    if not enabled:
        return False
    return now >= withdrawal_at(next_due=next_due, grace_days=grace_days)


# --- System check -------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    # bool is an int subclass, but REVIEW_INTERVAL_DAYS=True is a mistake, not "one day".
    return isinstance(value, int) and not isinstance(value, bool)


def check_review_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """
    System check: the REVIEW_* settings make a coherent policy.

    Interval and due-soon window are positive whole numbers of days and the window is shorter
    than the interval (otherwise a page would be "due soon" the moment it is signed); the grace
    period is zero or more days; the withdraw switch is a boolean.
    """
    errors: list[checks.CheckMessage] = []
    interval = getattr(settings, "REVIEW_INTERVAL_DAYS", DEFAULT_INTERVAL_DAYS)
    soon = getattr(settings, "REVIEW_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS)
    grace = getattr(settings, "REVIEW_OVERDUE_GRACE_DAYS", DEFAULT_OVERDUE_GRACE_DAYS)
    withdraw = getattr(settings, "REVIEW_WITHDRAW_OVERDUE", False)

    for name, value, eid in (
        ("REVIEW_INTERVAL_DAYS", interval, "reviews.E001"),
        ("REVIEW_DUE_SOON_DAYS", soon, "reviews.E002"),
    ):
        if not _is_int(value) or value <= 0:
            errors.append(
                checks.Error(
                    f"{name} must be a positive whole number of days, not {value!r}.",
                    hint=f"Set {name} in the environment, e.g. {name}=365.",
                    id=eid,
                )
            )
    if _is_int(interval) and _is_int(soon) and 0 < interval <= soon:
        errors.append(
            checks.Error(
                f"REVIEW_DUE_SOON_DAYS ({soon}) must be smaller than REVIEW_INTERVAL_DAYS "
                f"({interval}); otherwise every page is due soon as soon as it is signed.",
                id="reviews.E003",
            )
        )
    if not _is_int(grace) or grace < 0:
        errors.append(
            checks.Error(
                f"REVIEW_OVERDUE_GRACE_DAYS must be zero or a positive whole number of days, "
                f"not {grace!r}.",
                id="reviews.E004",
            )
        )
    if not isinstance(withdraw, bool):
        errors.append(
            checks.Error(
                f"REVIEW_WITHDRAW_OVERDUE must be True or False, not {withdraw!r}.",
                id="reviews.E005",
            )
        )
    return errors
