"""
Cards in public lists (home, topic, search, related, contributor and reviewer pages).

A card is a publication record read with the list columns only (`selectors.LIST_FIELDS`):
the reviewer's printed name and credentials as signed, the last review and the next due date.
Like the page's stamp, the card's review status is worked out at read time from those dates
(`reviews.policy`), so "Review overdue" appears on every card at the exact instant without a
job, and without a query per card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from articles.publishing.models import Publication
from reviews import policy


def with_review_status(records: Sequence[Publication], *, now: datetime) -> Sequence[Publication]:
    """
    Give each record `review_status`: "current", "due-soon" or "overdue" at `now` while its
    approval is in force, "" when it was taken back (the card then names no reviewer).
    Returns `records`, for use inline.
    """
    for record in records:
        current = record.state == Publication.State.CURRENT
        record.review_status = (
            policy.review_status(next_due=record.next_review_due, now=now).value if current else ""
        )
    return records
