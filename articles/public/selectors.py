"""
Reads of the public site: the public gate. Every one reads publication records
(`articles.publishing.models.Publication`), never drafts, revisions or sign-offs directly.

A record exists only while the publishing code says the article is public, and holds what the
page and the lists show, so each read is one indexed query. Records whose seal does not verify
(changed behind the app's back) are dropped from every list as they are read, and the page
itself answers "under review" (`articles.public.views`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet

from articles.content.models import Article, Contributor, SlugRedirect, Topic
from articles.publishing.models import Publication, PublicationTopic
from articles.publishing.publication import SEAL_INPUTS, publication_is_sound
from reviews.models import ReviewerProfile

logger = logging.getLogger(__name__)

# What a card and the lists need: the sealed columns (so each row's seal can be checked) and
# no more; the page's HTML, JSON-LD and search text are left out of list reads.
LIST_FIELDS = ("id", *SEAL_INPUTS, "written_at")


def sound(records: Iterable[Publication]) -> list[Publication]:
    """The records whose seal verifies; the others are logged and left out."""
    kept = []
    for record in records:
        if publication_is_sound(record, lists_only=True):
            kept.append(record)
        else:
            logger.error("Publication %s fails its seal; left out of a public list.", record.pk)
    return kept


def publication_get_public(*, slug: str, now: datetime | None = None) -> Publication:
    """
    The publication record of the page at `slug`, with what the page shows loaded: the
    revision (for the hash check), the approval and its reviewer.

    Raises `Publication.DoesNotExist` when the article is not public (never published,
    unpublished, withdrawn).
    """
    # The later decision (`taken_back_by`) is read only by pages that show it: not joined.
    return (
        Publication.objects.public(now=now)
        .select_related("revision", "signoff__reviewer")
        .get(slug=slug)
    )


def publication_list_public(
    *,
    topic: Topic | None = None,
    topics: Iterable[int] | None = None,
    author: Contributor | None = None,
    reviewer: ReviewerProfile | None = None,
    featured: bool | None = None,
    exclude: Publication | None = None,
    now: datetime | None = None,
) -> QuerySet[Publication]:
    """
    Public records, newest first, for lists and cards (list columns only).

    Filter by one `topic`, any of the topic ids `topics` (related articles), an `author`, a
    `reviewer` whose approval in force covers the page, `featured`; `exclude` leaves out one
    record. Slice or paginate the result, then pass the page through `sound()`.
    """
    queryset = Publication.objects.public(now=now).only(*LIST_FIELDS).newest_first()
    if topic is not None:
        # Read in the order of the topic rows' own index: a topic page never sorts the site.
        queryset = queryset.filter(topic_links__topic=topic).order_by(
            "-topic_links__published_at", "-topic_links__publication_id"
        )
    elif topics is not None:
        # EXISTS rather than a join, so an article in several of the topics appears once.
        queryset = queryset.filter(
            Exists(
                PublicationTopic.objects.filter(
                    publication_id=OuterRef("pk"), topic_id__in=list(topics)
                )
            )
        )
    if author is not None:
        queryset = queryset.filter(
            Exists(
                Article.authors.through.objects.filter(
                    article_id=OuterRef("article_id"), contributor_id=author.pk
                )
            )
        )
    if reviewer is not None:
        queryset = queryset.filter(reviewer=reviewer, state=Publication.State.CURRENT)
    if featured is not None:
        queryset = queryset.filter(featured=featured)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset


def publication_redirect_get_public(*, old_slug: str) -> str | None:
    """The current address of the public article that used to be at `old_slug`, or None."""
    return (
        SlugRedirect.objects.filter(old_slug=old_slug, article__publication__isnull=False)
        .values_list("article__publication__slug", flat=True)
        .first()
    )


def topic_list_public() -> QuerySet[Topic]:
    """Topics that have at least one public article, with `article_count`, by name."""
    return (
        Topic.objects.annotate(article_count=Count("publication_links"))
        .filter(article_count__gt=0)
        .order_by("name")
    )


def topic_get_public(*, slug: str) -> Topic:
    """The topic with this slug (raises `Topic.DoesNotExist`)."""
    return Topic.objects.get(slug=slug)


def contributor_get_public(*, slug: str) -> Contributor:
    """The contributor with this slug (raises `Contributor.DoesNotExist`)."""
    return Contributor.objects.get(slug=slug)


def reviewer_get_public(*, slug: str) -> ReviewerProfile:
    """
    A reviewing physician's public profile (raises `ReviewerProfile.DoesNotExist`).

    Only verified, unrevoked profiles are public: others are not presented to readers as
    medical reviewers.
    """
    return ReviewerProfile.objects.verified().get(slug=slug)

