"""
The review state of the revision a page shows: the one record behind every public stamp.

The visible stamp, the JSON-LD `lastReviewed`/`reviewedBy`, the admin and the page cache all
read `ReviewState`, built here from the sign-off record and the review policy, never from a
free-text field. A revision whose stored content no longer hashes to what was signed gets no
stamp: the page shows an "under review" notice instead and the incident is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from articles.content.models import Article, ArticleRevision
from reviews import policy
from reviews.models import SignOff
from reviews.selectors import approval_in_force, newest_decision
from reviews.services import audit_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewState:
    """What the public may be told about the medical review of one revision."""

    signoff: SignOff | None
    intact: bool
    # The newest decision, when it took the approval back (changes requested, or an approval
    # by a physician whose credentials were then revoked); None while an approval is in force.
    taken_back_by: SignOff | None
    last_reviewed_at: datetime | None
    next_review_due: datetime | None
    status: policy.ReviewStatus | None
    withdrawn: bool
    last_updated_at: datetime
    # Sources the page cites that were retracted or put under concern since the approval
    # (publication record's `source_alerts`): the page is "under review" while there are any.
    source_alerts: tuple[dict, ...] = ()
    # The other physicians whose approvals a policy of several needed (the record's
    # `co_reviewers`: name, credentials, slug, signed_at), named in the stamp with `signoff`'s.
    co_reviewers: tuple[dict, ...] = ()

    @property
    def show_stamp(self) -> bool:
        """A stamp only for an intact revision that a physician approved."""
        return self.intact and self.signoff is not None

    @property
    def taken_back(self) -> bool:
        """Whether the page was approved but the approval is no longer in force."""
        return self.intact and self.signoff is None and self.taken_back_by is not None

    @property
    def changes_requested_at(self) -> datetime | None:
        """When a physician asked for changes on this content, if that took the approval back."""
        decision = self.taken_back_by
        if decision is not None and not decision.is_approval:
            return decision.signed_at
        return None

    @property
    def under_review(self) -> bool:
        """A cited source was retracted (or put under concern) since the approval."""
        return bool(self.source_alerts)

    @property
    def status_value(self) -> str:
        """
        The `data-review-status` value ("current", "due-soon", "overdue", or "under-review"
        while a cited source's notice awaits a physician), or "".
        """
        if self.under_review and self.status is not None:
            return "under-review"
        return self.status.value if self.status else ""

    @property
    def show_updated(self) -> bool:
        """'Last updated' is shown when the content changed on another day than the review."""
        return bool(
            self.last_reviewed_at
            and self.last_updated_at.date() != self.last_reviewed_at.date()
        )


def review_state_for(
    *, article: Article, revision: ArticleRevision, now: datetime, log_tampering: bool = True
) -> ReviewState:
    """
    The review state of `revision` (the live one on public pages) at the instant `now`.

    One query (the approval in force with its reviewer; a second only when there is none, to
    say why); the topics' intervals come from the article's prefetched topics. When a later
    decision took the approval back, `taken_back_by` holds it and the page shows a notice
    instead of the stamp. When the revision's content no longer matches its stored
    hash, or no longer matches the hash the physician signed, the state is not intact: no stamp,
    and the incident is logged and written to the audit trail (once per call, so the public page
    cache keeps it from flooding the log).
    """
    intact = revision.compute_hash() == revision.content_hash
    signoff = approval_in_force(revision) if intact else None
    taken_back_by = newest_decision(revision) if intact and signoff is None else None
    if not intact and log_tampering:
        logger.error(
            "Revision %s of article %s does not match its signed hash; stamp withheld.",
            revision.pk,
            article.pk,
        )
        audit_record(
            action="tamper_detected",
            message=(
                f"Revision {revision.number} of '{article.slug}' no longer matches its stored "
                "hash; the public page shows an 'under review' notice instead of the stamp."
            ),
            revision=revision,
            article=article,
            now=now,
        )
    last_reviewed_at = signoff.signed_at if signoff else None
    next_due = status = None
    withdrawn = False
    if last_reviewed_at is not None:
        interval = policy.effective_interval_days(
            topic.review_interval_days for topic in article.topics.all()
        )
        next_due = policy.next_review_due(last_reviewed_at=last_reviewed_at, interval_days=interval)
        status = policy.review_status(next_due=next_due, now=now)
        withdrawn = policy.is_withdrawn_for_overdue(next_due=next_due, now=now)
    elif taken_back_by is not None:
        # Approved once, taken back since: with the withdraw setting on, the page goes.
        withdrawn = policy.withdraw_overdue_enabled()
    return ReviewState(
        signoff=signoff,
        intact=intact,
        taken_back_by=taken_back_by,
        last_reviewed_at=last_reviewed_at,
        next_review_due=next_due,
        status=status,
        withdrawn=withdrawn,
        last_updated_at=revision.created_at,
    )
