"""
What a public response may tell HTTP caches: the one contract between the views (which know
what the page was built from) and the HTTP caching layer (`articles.public.http_cache`).

A view attaches a `Freshness` to its response; the caching layer turns it into `ETag`,
`Last-Modified`, `Cache-Control` (never past `stale_at`, the page's next review-status change)
and surrogate keys for purging shared caches. A response without one is not cached publicly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ATTRIBUTE = "_public_freshness"

# Surrogate key of every list page (home, topics, contributors, reviewers, search, feed,
# sitemap): any publication change purges it.
LISTS_KEY = "lists"


def article_key(article_id: int) -> str:
    """The surrogate key of everything that shows one article's own page."""
    return f"article-{article_id}"


@dataclass(frozen=True)
class Freshness:
    """What the response was built from, for HTTP caching."""

    # Changes whenever anything the page shows changes (e.g. publication generations).
    version: str
    last_modified: datetime
    # The next instant the page would render differently without any write (a review status
    # switching to due soon or overdue, a withdrawal for lapse); None if no such instant.
    stale_at: datetime | None = None
    keys: tuple[str, ...] = field(default_factory=tuple)


def attach(response, freshness: Freshness):
    """Attach ``freshness`` to ``response`` and return it."""
    setattr(response, ATTRIBUTE, freshness)
    return response


def of(response) -> Freshness | None:
    """The freshness a view attached, or None."""
    return getattr(response, ATTRIBUTE, None)
