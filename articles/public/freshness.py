"""
What a public response may tell HTTP caches: the one contract between the views (which know
what the page was built from) and the HTTP caching layer (`articles.public.http_cache`).

A view attaches a `Freshness` to its response; the caching layer turns it into `ETag`,
`Last-Modified`, `Cache-Control` (never past `stale_at`, the page's next review-status change)
and surrogate keys for purging shared caches. A response without one is not cached publicly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reviews import policy

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


def stale_at(records: Iterable, now: datetime) -> datetime | None:
    """
    The next instant any of these publication records would render differently without a
    write: its review turning due soon or overdue, or its withdrawal for lapse.
    """
    due_soon = timedelta(days=policy.default_due_soon_days())
    instants = []
    for record in records:
        instants += [record.next_review_due - due_soon, record.next_review_due]
        if record.withdraw_at:
            instants.append(record.withdraw_at)
    future = [instant for instant in instants if instant > now]
    return min(future) if future else None


def last_switch(records: Iterable, now: datetime) -> datetime | None:
    """The latest instant at or before `now` at which one of these records' status switched."""
    due_soon = timedelta(days=policy.default_due_soon_days())
    instants = [
        instant
        for record in records
        for instant in (
            record.next_review_due - due_soon,
            record.next_review_due,
            record.withdraw_at,
        )
        if instant and instant <= now
    ]
    return max(instants, default=None)


def of_record(record, now: datetime, *, extra: str = "") -> Freshness:
    """
    The freshness of a response about one record alone (review history, attestation, export):
    it changes with the record (its generation) and with its review status.
    """
    return Freshness(
        version=f"{record.pk}.{record.generation}{extra}",
        last_modified=max(filter(None, [record.written_at, last_switch([record], now)])),
        stale_at=stale_at([record], now),
        keys=(article_key(record.article_id),),
    )


def of_list(records: Sequence, now: datetime, *, extra: str = "", keys=()) -> Freshness:
    """
    The freshness of a page that lists records (and so changes when one *leaves* the list,
    which no remaining record's date shows): validated by its version (ETag), and dated now,
    so that a date-only revalidation never confirms an old copy.
    """
    return Freshness(
        version=",".join(f"{r.pk}.{r.generation}" for r in records) + extra or "empty",
        last_modified=now,
        stale_at=stale_at(records, now),
        keys=(LISTS_KEY, *keys),
    )
