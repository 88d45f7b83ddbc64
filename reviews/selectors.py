"""
Reads of the reviews app that other code (admin, public pages, commands) builds on.

Each returns in a fixed number of queries whatever the number of rows, so the public page and
the admin lists stay at a constant query count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet

from reviews.models import ReviewRequest, SignOff

if TYPE_CHECKING:
    from articles.models import ArticleRevision


def approved_signoff_for(revision: ArticleRevision) -> SignOff | None:
    """
    The latest approval of ``revision`` whose signed hash matches the revision's hash.

    A sign-off whose `content_hash` differs from the revision's signed different content and
    never counts as an approval of this one. The latest approval is the one the public stamp
    shows ("last reviewed"): a periodic re-review adds a newer one on the same revision.
    One query.
    """
    return (
        SignOff.objects.approvals()
        .filter(revision_id=revision.pk, content_hash=revision.content_hash)
        .select_related("reviewer")
        .order_by("-pk")
        .first()
    )


def latest_approval_for_revisions(revision_ids: Iterable[int]) -> dict[int, SignOff]:
    """
    ``{revision_id: latest approving SignOff}`` for many revisions, in one query.

    Revisions never approved are absent from the dict. The reviewer profile is loaded with it,
    for the stamp's profile link. Callers that must also check the revision's current hash
    compare ``signoff.content_hash`` with it (this query does not load revisions).
    """
    ids = list({int(pk) for pk in revision_ids})
    if not ids:
        return {}
    latest_ids = (
        SignOff.objects.approvals()
        .filter(revision_id__in=ids)
        .values("revision_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    # Sign-off ids grow with signing order (the chain is written under a lock), so the
    # highest id per revision is its latest approval. A subquery keeps this one round trip.
    signoffs = SignOff.objects.filter(pk__in=latest_ids).select_related("reviewer")
    return {signoff.revision_id: signoff for signoff in signoffs}


def review_queue() -> QuerySet[ReviewRequest]:
    """Open review requests, oldest first, with revision, article and submitter loaded."""
    return (
        ReviewRequest.objects.filter(state=ReviewRequest.State.OPEN)
        .select_related("revision", "revision__article", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def signoffs_for_article(article_id: int) -> QuerySet[SignOff]:
    """
    Every sign-off on any revision of an article, newest first: its review history.

    Includes requests for changes; filter with `.approvals()` for the public history, which
    lists approvals only.
    """
    return (
        SignOff.objects.filter(revision__article_id=article_id)
        .select_related("reviewer", "revision")
        .order_by("-pk")
    )


def last_approval_for_article(article_id: int) -> SignOff | None:
    """The most recent approval of any revision of the article, or None."""
    return signoffs_for_article(article_id).approvals().first()
