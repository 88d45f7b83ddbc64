"""
The article page cache: rendered pages served without touching the database.

`cached_article_detail` wraps `articles.public.views.article_detail`. An entry, keyed by the
article's slug, holds the rendered HTML together with the facts it was rendered from: the live
revision id, the approving sign-off id, the next-review-due instant and the review status. A
hit costs no
SQL query. The review status is worked out again from the stored due date and `now` on every
hit, and a page whose status has changed (current -> due soon -> overdue, or withdrawn) is
rendered afresh, so the stamp flips at read time with no cron job and no stale "current".

What changes a page invalidates its entry, through signals (connected in `ArticlesConfig.ready`,
because a cache purge must not know who published or signed):

- a sign-off saved (approval or re-review) -> the article of its revision;
- an article saved with a new live revision (publish, unpublish);
- an article's topics or authors changed (breadcrumb, bylines);
- a slug redirect created -> the old slug, so it answers 301 instead of the cached page.

The entry is deleted at once and again when the transaction commits, so a request that read the
old state while the write was in flight cannot leave a stale page behind. With Redis as the
cache (REDIS_URL) every app server sees the same entries and the same invalidations.

Entries also expire after ``ARTICLE_CACHE_SECONDS`` (default 600; 0 turns the cache off), which
bounds how long a changed "Related articles" list can lag. A page rendered with a flash message
is never stored, and one is never served from the cache to a request that has messages waiting.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from reviews import policy

# Where the article template leaves the facts of the page it rendered (see
# `articles.templatetags.public_pages.page_cache_facts`): the view's context is gone once
# `render()` returns, and re-reading the sign-off here would cost the queries the cache saves.
FACTS_ATTRIBUTE = "_article_page_facts"
KEY_VERSION = 1


def page_key(slug: str) -> str:
    """The cache key of an article page (hashed: slugs may be long, keys should not be)."""
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:32]
    return f"article-page:v{KEY_VERSION}:{digest}"


def cache_seconds() -> int:
    """How long a page stays cached (``ARTICLE_CACHE_SECONDS``); 0 means no caching."""
    return int(getattr(settings, "ARTICLE_CACHE_SECONDS", 600))


def page_facts(review, revision) -> dict[str, Any]:
    """The facts a cached page depends on, from the page's review state and revision."""
    return {
        "revision_id": revision.pk,
        "signoff_id": review.signoff.pk if review.signoff else None,
        "next_due": review.next_review_due,
        "status": review.status_value,
    }


def _entry_is_fresh(entry: dict[str, Any], now: datetime) -> bool:
    next_due = entry.get("next_due")
    if next_due is None:
        return False
    if policy.review_status(next_due=next_due, now=now).value != entry.get("status"):
        return False
    return not policy.is_withdrawn_for_overdue(next_due=next_due, now=now)


def _has_messages(request: HttpRequest) -> bool:
    # Reading the length loads the messages without marking them used: they still show on the
    # page this request renders.
    return len(get_messages(request)) > 0


def cached_article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """`articles:detail`, served from the cache when the stored page is still right."""
    from articles.public.views import article_detail

    seconds = cache_seconds()
    if seconds <= 0 or request.method not in ("GET", "HEAD") or _has_messages(request):
        return article_detail(request, slug)
    key = page_key(slug)
    entry = cache.get(key)
    if entry is not None and _entry_is_fresh(entry, timezone.now()):
        response = HttpResponse(entry["content"], content_type=entry["content_type"])
        response["X-Article-Cache"] = "hit"
        return response
    response = article_detail(request, slug)
    facts = getattr(request, FACTS_ATTRIBUTE, None)
    storable = (
        response.status_code == 200
        and facts is not None
        and not response.cookies
        and not _has_messages(request)
        and not getattr(response, "streaming", False)
    )
    if storable:
        cache.set(
            key,
            {
                **facts,
                "content": response.content,
                "content_type": response["Content-Type"],
                "stored_at": timezone.now(),
            },
            seconds,
        )
        response["X-Article-Cache"] = "miss"
    return response


def invalidate_article_page(slug: str) -> None:
    """Forget the cached page of `slug`, now and again when the current transaction commits."""
    key = page_key(slug)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# --- Signal receivers (connected by `connect_signals`) ------------------------------------

# Article fields the public page reads. Not `slug`: a new slug has no cached page yet, and the
# old one is purged when its SlugRedirect is created. Draft fields are not public at all, so an
# editor saving the draft (article_update) leaves the cached page alone.
_PAGE_FIELDS = {"live_revision", "first_published_at"}


def _article_saved(sender, instance, update_fields=None, **kwargs):
    # A full save may have changed anything; a partial one matters only if it touched what
    # the public page shows (publishing and unpublishing save `live_revision`).
    if update_fields is None or _PAGE_FIELDS.intersection(update_fields):
        invalidate_article_page(instance.slug)


def _article_relations_changed(sender, instance, action, reverse, pk_set=None, **kwargs):
    # Topics and authors are read from the article itself (breadcrumb, bylines, JSON-LD).
    if not action.startswith("post_"):
        return
    from articles.content.models import Article

    if not reverse:
        invalidate_article_page(instance.slug)
    elif pk_set:
        for slug in Article.objects.filter(pk__in=pk_set).values_list("slug", flat=True):
            invalidate_article_page(slug)


def _article_deleted(sender, instance, **kwargs):
    invalidate_article_page(instance.slug)


def _signoff_saved(sender, instance, **kwargs):
    from articles.content.models import Article

    slug = (
        Article.objects.filter(revisions__pk=instance.revision_id)
        .values_list("slug", flat=True)
        .first()
    )
    if slug is not None:
        invalidate_article_page(slug)


def _publication_changed(sender, article, **kwargs):
    invalidate_article_page(article.slug)


def _slug_redirect_saved(sender, instance, **kwargs):
    invalidate_article_page(instance.old_slug)


def connect_signals() -> None:
    """Connect the invalidation receivers (idempotent: each has a dispatch uid)."""
    from articles.content.models import Article, SlugRedirect
    from articles.publishing.signals import publication_changed
    from reviews.models import SignOff

    post_save.connect(_article_saved, sender=Article, dispatch_uid="article_page_cache_save")
    post_delete.connect(
        _article_deleted, sender=Article, dispatch_uid="article_page_cache_delete"
    )
    for through in (Article.topics.through, Article.authors.through):
        m2m_changed.connect(
            _article_relations_changed,
            sender=through,
            dispatch_uid=f"article_page_cache_{through._meta.model_name}",
        )
    post_save.connect(_signoff_saved, sender=SignOff, dispatch_uid="article_page_cache_signoff")
    post_save.connect(
        _slug_redirect_saved, sender=SlugRedirect, dispatch_uid="article_page_cache_redirect"
    )
    publication_changed.connect(
        _publication_changed, dispatch_uid="article_page_cache_publication_changed"
    )
