"""
What the articles app does when a review decision or a revocation takes an approval back.

The reviews app sends `decision_recorded` and `reviewer_revoked` inside the transaction of the
change; these receivers act in that same transaction, so a live page never keeps a stamp (nor a
pending schedule) that its approval no longer supports. What the reader then sees is decided at
read time by the one rule, the approval in force (`articles.publishing.review_state`).
"""

from __future__ import annotations

import logging

from articles.content.models import Article
from articles.publishing.models import ScheduledPublication
from articles.publishing.signals import publication_changed
from reviews.models import AuditEvent, ReviewRequest, SignOff
from reviews.services import audit_record, review_request_create

logger = logging.getLogger(__name__)


def _cancel_schedules(*, revision_ids, reason: str, now) -> int:
    cancelled = 0
    for scheduled in ScheduledPublication.objects.select_for_update().filter(
        revision_id__in=list(revision_ids)
    ).select_related("revision"):
        audit_record(
            action=AuditEvent.Action.SCHEDULED,
            revision=scheduled.revision,
            message=f"Scheduled publication of revision {scheduled.revision.number} "
            f"cancelled: {reason}",
            data={"cancelled": True, "code": "approval_withdrawn"},
            now=now,
        )
        scheduled.delete()
        cancelled += 1
    return cancelled


def on_decision_recorded(sender, *, signoff: SignOff, now, **kwargs) -> None:
    """
    A physician asked for changes: the approval of that revision is no longer in force.

    Pending schedules of the revision are cancelled; when the revision is live, the change is
    audited ("approval superseded") and the cached page is purged, so the stamp gives way to
    the notice (or the page is withdrawn, with the withdraw setting) at once.
    """
    if signoff.is_approval:
        return
    reason = (
        f"{signoff.display_name} requested changes on {signoff.signed_at:%d %B %Y}, so its "
        "approval is no longer in force."
    )
    _cancel_schedules(revision_ids=[signoff.revision_id], reason=reason, now=now)
    for article in Article.objects.filter(live_revision_id=signoff.revision_id):
        audit_record(
            action=AuditEvent.Action.APPROVAL_SUPERSEDED,
            actor=signoff.signer,
            article=article,
            revision=signoff.revision,
            message=f"The live revision's approval was taken back: {reason} The public page "
            "shows a notice instead of the review stamp until a new approval is published.",
            data={"signoff_id": signoff.pk},
            now=now,
        )
        publication_changed.send(sender=Article, article=article)


def on_reviewer_revoked(sender, *, profile, actor, now, **kwargs) -> None:
    """
    A reviewer's credentials were revoked for cause: none of their approvals is in force.

    Every live page whose live revision they approved loses its stamp (read time), is purged
    from the page cache, and gets a review request (unless one is already open for the
    article); schedules of revisions they approved are cancelled.
    """
    approved_revisions = set(
        SignOff.objects.approvals().filter(reviewer=profile).values_list("revision_id", flat=True)
    )
    reason = f"the credentials of {profile.display_name}, who approved it, were revoked"
    _cancel_schedules(revision_ids=approved_revisions, reason=reason, now=now)
    live = Article.objects.filter(live_revision_id__in=approved_revisions).select_related(
        "live_revision"
    )
    for article in live:
        open_request = ReviewRequest.objects.filter(
            revision__article_id=article.pk, state=ReviewRequest.State.OPEN
        ).exists()
        if not open_request:
            review_request_create(
                revision=article.live_revision,
                user=actor,
                note=f"Re-review needed: {reason}.",
                now=now,
            )
        audit_record(
            action=AuditEvent.Action.APPROVAL_SUPERSEDED,
            actor=actor,
            article=article,
            revision=article.live_revision,
            message=f"The live revision's approval is no longer in force: {reason}. A new "
            "medical review was requested.",
            data={"profile_id": profile.pk, "review_requested": not open_request},
            now=now,
        )
        publication_changed.send(sender=Article, article=article)
    logger.warning("Reviewer %s revoked; %s live page(s) lost their stamp", profile.pk, len(live))


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch uid)."""
    from reviews.signals import decision_recorded, reviewer_revoked

    decision_recorded.connect(on_decision_recorded, dispatch_uid="articles_decision_recorded")
    reviewer_revoked.connect(on_reviewer_revoked, dispatch_uid="articles_reviewer_revoked")
