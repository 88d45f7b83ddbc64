"""
Site search over what the public can read: publication records, nothing else.

The text searched is what the publishing code stored on each record from the signed snapshot
(title, standfirst, and the plain text of the body, takeaways and FAQ), never the draft, so
unreviewed draft text is not findable and cannot even show up as a hint in the ranking.

On PostgreSQL this is full-text search over the record's stored, GIN-indexed `search_vector`
(title A, standfirst B, text C) with a `websearch` query ordered by `SearchRank`. On SQLite
(development) a simple fallback requires every word of the query somewhere in the title,
standfirst or text, and ranks title matches above standfirst matches above text matches.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When

from articles.public import selectors
from articles.publishing.models import Publication
from articles.publishing.publication import SEARCH_CONFIG

MAX_QUERY_LENGTH = 200


def normalise_query(raw: str | None) -> str:
    """
    The query as searched: whitespace collapsed, characters PostgreSQL cannot take (NUL)
    removed, cut to `MAX_QUERY_LENGTH` characters.
    """
    return " ".join((raw or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def _postgres(queryset: QuerySet[Publication], query: str) -> QuerySet[Publication]:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.filter(search_vector=search_query)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .order_by("-rank", "-published_at", "-id")
    )


def _fallback(queryset: QuerySet[Publication], query: str) -> QuerySet[Publication]:
    rank = Value(0)
    for word in query.split():
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(standfirst__icontains=word)
            | Q(search_text__icontains=word)
        )
        # A crude stand-in for SearchRank's weights: title 3, standfirst 2, text 1.
        for field, weight in (("title", 3), ("standfirst", 2), ("search_text", 1)):
            rank = rank + Case(
                When(**{f"{field}__icontains": word}, then=Value(weight)), default=Value(0)
            )
    return queryset.annotate(rank=rank).order_by("-rank", "-published_at", "-id")


def search_public(raw_query: str | None) -> QuerySet[Publication]:
    """
    Public records matching the query, best first (list columns only; paginate, then pass the
    page through `selectors.sound`). An empty query finds nothing.
    """
    query = normalise_query(raw_query)
    queryset = selectors.publication_list_public()
    if not query:
        return queryset.none()
    if connection.vendor == "postgresql":
        return _postgres(queryset, query)
    return _fallback(queryset, query)
