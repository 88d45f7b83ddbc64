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
from articles.publishing.publication import publication_sync
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
        # A re-review of the live revision: the record's stamp and dates follow at once.
        for article in Article.objects.filter(live_revision_id=signoff.revision_id):
            publication_sync(article=article, now=now)
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
        publication_sync(article=article, now=now)


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
        publication_sync(article=article, now=now)
    logger.warning("Reviewer %s revoked; %s live page(s) lost their stamp", profile.pk, len(live))


# --- The publication record follows the article's metadata ---------------------------------


def _sync_published(articles, **kwargs) -> None:
    from articles.publishing.models import Publication

    ids = Publication.objects.filter(article__in=articles).values_list("article_id", flat=True)
    for article_id in list(ids):
        publication_sync(article=Article(pk=article_id))


def on_article_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A live article's address or "featured" flag changed: its record follows."""
    from articles.publishing.models import Publication

    if update_fields is not None and not {"slug", "featured"} & set(update_fields):
        return
    record = Publication.objects.filter(article_id=instance.pk).only("slug", "featured").first()
    if record is not None and (record.slug, record.featured) != (
        instance.slug,
        instance.featured,
    ):
        publication_sync(article=instance)


def on_article_relations_changed(sender, instance, action, reverse, pk_set=None, **kwargs):
    """Topics or authors of live articles changed: bylines, breadcrumbs and intervals follow."""
    if not action.startswith("post_"):
        return
    if not reverse:
        _sync_published([instance])
    elif pk_set:
        _sync_published(list(pk_set))


def on_topic_saved(sender, instance, **kwargs) -> None:
    """A topic's name or review interval changed: its live articles' records follow."""
    _sync_published(Article.objects.filter(topics=instance))


def on_contributor_saved(sender, instance, **kwargs) -> None:
    """An author's name or credentials changed: the bylines of their live articles follow."""
    _sync_published(Article.objects.filter(authors=instance))


def on_reviewer_saved(sender, instance, **kwargs) -> None:
    """A reviewer's public address changed: the cards of the pages they approved follow."""
    from articles.publishing.models import Publication

    articles = Publication.objects.filter(reviewer=instance).exclude(reviewer_slug=instance.slug)
    _sync_published(articles.values("article_id"))


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch uid)."""
    from django.db.models.signals import m2m_changed, post_save

    from articles.content.models import Contributor, Topic
    from reviews.models import ReviewerProfile
    from reviews.signals import decision_recorded, reviewer_revoked

    decision_recorded.connect(on_decision_recorded, dispatch_uid="articles_decision_recorded")
    reviewer_revoked.connect(on_reviewer_revoked, dispatch_uid="articles_reviewer_revoked")
    post_save.connect(on_article_saved, sender=Article, dispatch_uid="publication_article")
    for through in (Article.topics.through, Article.authors.through):
        m2m_changed.connect(
            on_article_relations_changed,
            sender=through,
            dispatch_uid=f"publication_{through._meta.model_name}",
        )
    post_save.connect(on_topic_saved, sender=Topic, dispatch_uid="publication_topic")
    post_save.connect(on_contributor_saved, sender=Contributor, dispatch_uid="publication_author")
    post_save.connect(on_reviewer_saved, sender=ReviewerProfile, dispatch_uid="publication_rev")
