"""
Site search over what the public can read: the live revisions' snapshots, nothing else.

The candidates are `article_list_public()` (live, approved articles) and the text searched is
read from each one's live revision snapshot (title, standfirst, body) with JSON key extraction,
never from the draft fields, so unreviewed draft text is not findable and cannot even show up
as a hint in the ranking.

On PostgreSQL this is full-text search (`django.contrib.postgres.search`): a weighted
`SearchVector` (title A, standfirst B, body C) matched against a `websearch` query and ordered by
`SearchRank`. The body is HTML; PostgreSQL's default parser reads tags as their own tokens,
which the text search configuration drops, so markup does not match. On SQLite (development)
a simple fallback requires every word of the query somewhere in the title, standfirst or body,
and ranks title matches above standfirst matches above body matches.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from articles.content.models import Article
from articles.public import selectors

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 50
# Stemming and stop words for the language the pages are written in.
SEARCH_CONFIG = "english"


def normalise_query(raw: str | None) -> str:
    """The query as searched: whitespace collapsed, cut to `MAX_QUERY_LENGTH` characters."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def _postgres(queryset: QuerySet[Article], query: str) -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    def field(key):
        # A missing key would make the whole vector NULL: read it as empty text instead.
        return Coalesce(
            KeyTextTransform(key, "live_revision__snapshot"), Value(""), output_field=TextField()
        )

    vector = (
        SearchVector(field("title"), weight="A", config=SEARCH_CONFIG)
        + SearchVector(field("standfirst"), weight="B", config=SEARCH_CONFIG)
        + SearchVector(field("body"), weight="C", config=SEARCH_CONFIG)
    )
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.annotate(search=vector, rank=SearchRank(vector, search_query))
        .filter(search=search_query)
        .order_by("-rank", "-first_published_at", "-id")
    )


def _fallback(queryset: QuerySet[Article], query: str) -> QuerySet[Article]:
    queryset = queryset.annotate(
        public_body=KeyTextTransform("body", "live_revision__snapshot"),
    )
    rank = Value(0)
    for word in query.split():
        queryset = queryset.filter(
            Q(public_title__icontains=word)
            | Q(public_standfirst__icontains=word)
            | Q(public_body__icontains=word)
        )
        # A crude stand-in for SearchRank's weights: title 3, standfirst 2, body 1.
        for field, weight in (("public_title", 3), ("public_standfirst", 2), ("public_body", 1)):
            rank = rank + Case(
                When(**{f"{field}__icontains": word}, then=Value(weight)), default=Value(0)
            )
    return queryset.annotate(rank=rank).order_by("-rank", "-first_published_at", "-id")


def search_live(raw_query: str | None, *, limit: int = MAX_RESULTS) -> list[Article]:
    """
    Live articles matching the query, best first, as list items (`public_title`,
    `public_standfirst`, as `article_list_public` gives them). An empty query finds nothing.
    """
    query = normalise_query(raw_query)
    if not query:
        return []
    queryset = selectors.article_list_public()
    if connection.vendor == "postgresql":
        queryset = _postgres(queryset, query)
    else:
        queryset = _fallback(queryset, query)
    return list(queryset[:limit])
