"""
Public pages and the staff preview: short views over the public gate (`selectors`).

Each public page reads publication records (one indexed query for the page, one per list) and
tells HTTP caches what it was built from (`freshness`): the records' generations, the newest
change, and the next instant a review status would switch.
"""

from __future__ import annotations

import logging

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.content.models import Article, ArticleRevision, Contributor, Topic
from articles.content.permissions import can_preview
from articles.public import cards, freshness, selectors
from articles.publishing import selectors as publishing_selectors
from articles.publishing.models import Publication
from articles.publishing.presentation import article_page_context, meta_description
from articles.publishing.publication import (
    RENDER_VERSION,
    page_context,
    publication_intact,
    publication_sync,
)
from articles.publishing.review_state import review_state_for
from articles.publishing.structured_data import article_json_ld
from reviews.models import ReviewerProfile

logger = logging.getLogger(__name__)

HOME_FEATURED = 4
HOME_LATEST = 10
RELATED = 6
PAGE_SIZE = 20


def render_list(request, template, context, queryset, *, now, key="articles", version=""):
    """
    A list page: page `?page=N` of `queryset`, 20 at a time (a bad number is the first or last
    page), its unsound records left out, rendered with `context` and what HTTP caches need.
    """
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = cards.with_review_status(selectors.sound(page.object_list), now=now)
    response = render(request, template, {**context, key: page, "page": page})
    return freshness.attach(
        response, freshness.of_list(page.object_list, now, extra=f"{version}.{page.number}")
    )


@require_safe
def home(request):
    """Featured and latest public articles, and the topics that have any."""
    now = timezone.now()
    featured = selectors.sound(
        selectors.publication_list_public(featured=True, now=now)[:HOME_FEATURED]
    )
    latest = selectors.sound(selectors.publication_list_public(now=now)[:HOME_LATEST])
    cards.with_review_status([*featured, *latest], now=now)
    response = render(
        request,
        "articles/home.html",
        {"featured": featured, "latest": latest, "topics": selectors.topic_list_public()},
    )
    return freshness.attach(response, freshness.of_list(featured + latest, now))


@require_safe
def topic_detail(request, slug):
    """One topic and its public articles, 20 a page."""
    try:
        topic = selectors.topic_get_public(slug=slug)
    except Topic.DoesNotExist:
        raise Http404("No such topic") from None
    now = timezone.now()
    queryset = selectors.publication_list_public(topic=topic, now=now)
    return render_list(
        request, "articles/topic_detail.html", {"topic": topic}, queryset, now=now,
        version=f"t{topic.pk}",
    )


@require_safe
def contributor_detail(request, slug):
    """A contributor's profile and the public articles they wrote, 20 a page."""
    try:
        contributor = selectors.contributor_get_public(slug=slug)
    except Contributor.DoesNotExist:
        raise Http404("No such contributor") from None
    now = timezone.now()
    queryset = selectors.publication_list_public(author=contributor, now=now)
    return render_list(
        request, "articles/contributor_detail.html", {"contributor": contributor}, queryset,
        now=now, version=f"c{contributor.pk}",
    )


@require_safe
def reviewer_detail(request, slug):
    """A verified reviewing physician's public profile and the pages they approved, 20 a page."""
    try:
        profile = selectors.reviewer_get_public(slug=slug)
    except ReviewerProfile.DoesNotExist:
        raise Http404("No such reviewer") from None
    now = timezone.now()
    queryset = selectors.publication_list_public(reviewer=profile, now=now)
    return render_list(
        request, "articles/reviewer_detail.html", {"profile": profile}, queryset, now=now,
        version=f"r{profile.pk}",
    )


def public_record_or_redirect(slug: str, url_name: str, *, now):
    """
    ``(record, None)`` for the public page at `slug`, or ``(None, 301 response)`` to the
    current address of a former slug (to `url_name`); raises Http404 otherwise.
    """
    try:
        return selectors.publication_get_public(slug=slug, now=now), None
    except Publication.DoesNotExist:
        target = selectors.publication_redirect_get_public(old_slug=slug)
        if target is None:
            raise Http404("No such article") from None
        return None, redirect(url_name, slug=target, permanent=True)


def _under_review(request):
    response = render(request, "articles/under_review.html", status=503)
    response["Retry-After"] = "3600"
    return response


@require_safe
def article_detail(request, slug):
    """
    A public article page, read from its publication record.

    A former slug answers 301 to the current address. A page withdrawn because its review
    lapsed (with the withdraw setting on) is 404. A record that fails its seal or HTML hash,
    or whose revision no longer matches what was signed, is never shown: the record is
    re-derived from the signed sources (which withdraws it everywhere when the revision was
    tampered with) and readers get an "under review" notice.
    """
    now = timezone.now()
    record, moved = public_record_or_redirect(slug, "articles:detail", now=now)
    if moved is not None:
        return moved
    intact = publication_intact(record)
    if not intact or record.render_version != RENDER_VERSION:
        if not intact:
            logger.error("Publication of %s failed its integrity check; re-deriving it.", slug)
        with transaction.atomic():
            fresh = publication_sync(article=Article(pk=record.article_id), now=now)
        if not intact or fresh is None:
            return _under_review(request)
        record = selectors.publication_get_public(slug=fresh.slug, now=now)
    context = page_context(record, now=now)
    # From the signed snapshot the record shows (loaded with it: no query).
    context["meta_description"] = meta_description(record.revision.snapshot)
    review = context["review"]
    if review.withdrawn:
        raise Http404("This page is withdrawn until its medical review is renewed")
    related = []
    if record.topics:
        related = selectors.sound(
            selectors.publication_list_public(
                topics=[t["id"] for t in record.topics], exclude=record, now=now
            )[:RELATED]
        )
    context["related"] = cards.with_review_status(related, now=now)
    response = render(request, "articles/article_detail.html", context)
    # The page lists related cards, so it is dated and versioned as a list would be.
    return freshness.attach(
        response,
        freshness.of_list(
            [record, *related], now, keys=(freshness.article_key(record.article_id),)
        ),
    )


@staff_member_required
@require_safe
def revision_preview(request, pk):
    """
    Any revision exactly as its public page would look, never indexed.

    Only for staff who may view that article in the admin (editors) or review it (reviewing
    physicians): a preview shows unreviewed text.
    """
    try:
        revision = publishing_selectors.revision_get_for_preview(revision_id=pk)
    except ArticleRevision.DoesNotExist:
        raise Http404("No such revision") from None
    if not can_preview(request.user, revision.article):
        raise PermissionDenied
    now = timezone.now()
    context = article_page_context(article=revision.article, revision=revision)
    context["preview"] = True
    context["review"] = review_state_for(article=revision.article, revision=revision, now=now)
    context["json_ld"] = article_json_ld(context)
    response = render(request, "articles/article_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # A preview may show unreviewed text: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
