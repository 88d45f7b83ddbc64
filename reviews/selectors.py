"""
Reads of the reviews app that other code (admin, public pages, commands) builds on.

Each returns in a fixed number of queries whatever the number of rows, so the public page and
the admin lists stay at a constant query count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from reviews.models import ReviewerProfile, ReviewRequest, SignOff

if TYPE_CHECKING:
    from reviews.types import SignableRevision as ArticleRevision


def approval_in_force(revision: ArticleRevision) -> SignOff | None:
    """
    The approval in force of ``revision`` (`SignOffQuerySet.in_force`), or None.

    It is the newest decision on the revision, signed the revision's stored hash, and its
    signer was not revoked. What the public stamp shows ("last reviewed") and what publishing
    demands. One query.
    """
    return (
        SignOff.objects.in_force()
        .filter(revision_id=revision.pk)
        .select_related("reviewer")
        .first()
    )


def newest_decision(revision: ArticleRevision) -> SignOff | None:
    """The newest sign-off of either kind on ``revision`` (it decides what is in force)."""
    return (
        SignOff.objects.filter(revision_id=revision.pk)
        .select_related("reviewer")
        .order_by("-pk")
        .first()
    )


def approvals_in_force_for_revisions(revision_ids: Iterable[int]) -> dict[int, SignOff]:
    """
    ``{revision_id: approval in force}`` for many revisions, in one query.

    Revisions with no approval in force (never approved, or taken back by a later decision)
    are absent. The reviewer profile is loaded with it, for the stamp's profile link.
    """
    ids = list({int(pk) for pk in revision_ids})
    if not ids:
        return {}
    signoffs = SignOff.objects.in_force().filter(revision_id__in=ids).select_related("reviewer")
    return {signoff.revision_id: signoff for signoff in signoffs}


def open_request(revision: ArticleRevision) -> ReviewRequest | None:
    """The revision's open review request (there is at most one), or None."""
    return ReviewRequest.objects.filter(
        revision_id=revision.pk, state=ReviewRequest.State.OPEN
    ).first()


def request_decided(revision: ArticleRevision) -> tuple[ReviewRequest | None, SignOff | None]:
    """
    The revision's newest review request when it is decided and none is open, with the
    decision that closed it (the first sign-off after it was sent); (None, None) otherwise.

    A decided request is not signed again (`signoff_create` refuses it): a second identical
    approval would add nothing but a duplicate line on the public review history. Sending the
    revision for review again (a periodic re-review) opens a new request, and signing with it.
    """
    request = revision.review_requests.order_by("-submitted_at", "-pk").first()
    if request is None or request.state not in (
        ReviewRequest.State.APPROVED,
        ReviewRequest.State.CHANGES_REQUESTED,
    ):
        return None, None
    decision = (
        revision.signoffs.filter(signed_at__gte=request.submitted_at).order_by("pk").first()
        or revision.signoffs.order_by("-pk").first()
    )
    return request, decision


def review_queue() -> QuerySet[ReviewRequest]:
    """Open review requests, oldest first, with revision, article and submitter loaded."""
    return (
        ReviewRequest.objects.filter(state=ReviewRequest.State.OPEN)
        .select_related("revision", "revision__article", "submitted_by", "assignee")
        .order_by("submitted_at", "pk")
    )


def requests_for_reviewer(profile: ReviewerProfile) -> QuerySet[ReviewRequest]:
    """
    The open requests ``profile`` is asked to review, oldest first: those naming them, and
    those naming no one whose pool is theirs (their specialty) or everyone's (no pool).
    Whether they may sign a given one (not their own page) is the signing service's to say.
    """
    pooled = Q(assignee__isnull=True) & (Q(pool="") | Q(pool__iexact=profile.specialty))
    return review_queue().filter(Q(assignee=profile) | pooled)


def pool_physicians(pool: str) -> QuerySet[ReviewerProfile]:
    """Verified physicians of the pool: those of the specialty ``pool``, or all when empty."""
    physicians = ReviewerProfile.objects.verified().select_related("user")
    return physicians.filter(specialty__iexact=pool) if pool else physicians


def review_pools() -> list[str]:
    """The pools an editor may send a page to: the specialties of verified physicians."""
    specialties = ReviewerProfile.objects.verified().exclude(specialty="")
    return sorted(
        {s.strip() for s in specialties.values_list("specialty", flat=True)}, key=str.lower
    )


def writers_of(revision: ArticleRevision) -> set[int]:
    """The logins that made, edited or were credited on ``revision``: not asked to review it."""
    return {revision.created_by_id, *(revision.editor_ids or []), *(revision.byline_user_ids or [])}


def physicians_asked(request: ReviewRequest) -> list[ReviewerProfile]:
    """
    The physicians a request asks: its assignee, or the physicians of its pool, leaving out
    whoever wrote, edited or is credited on the revision (they cannot sign it).
    """
    excluded = writers_of(request.revision)
    if request.assignee_id is not None:
        candidates = [request.assignee]
    else:
        candidates = list(pool_physicians(request.pool))
    return [profile for profile in candidates if profile.user_id not in excluded]


def signoffs_for_article(article_id: int) -> QuerySet[SignOff]:
    """
    Every sign-off on any revision of an article, newest first: its review history.

    Includes requests for changes; filter with `.valid_approvals()` for the public history,
    which lists the real approvals only.
    """
    return (
        SignOff.objects.filter(revision__article_id=article_id)
        .select_related("reviewer", "revision")
        .order_by("-pk")
    )


def last_approval_for_article(article_id: int) -> SignOff | None:
    """The most recent valid approval of any revision of the article, or None."""
    return signoffs_for_article(article_id).valid_approvals().first()
