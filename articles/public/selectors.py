"""
Reads of articles, topics and contributors: the public gate.

`article_get_public` and `article_list_public` are the only way public code (views, and later
sitemaps, feeds and JSON-LD) reads articles. Both return only articles with a live revision,
and what they expose to templates comes from that revision's snapshot, never from the draft:
the draft fields (title, body ...) can hold unreviewed text. Only metadata that is not
reviewed content (slug, topics, authors, dates) is read from the article itself.

Every selector fetches what its page shows in a fixed number of queries (`select_related`,
`prefetch_related`, JSON key extraction in SQL), whatever the number of items.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from articles.content.models import Article, Contributor, SlugRedirect, Topic
from reviews.models import ReviewerProfile, SignOff

_LIST_FIELDS = ("id", "slug", "featured", "first_published_at", "live_revision_id")
# What an article page needs of its topics: links, JSON-LD `about`, and the review interval.
_TOPIC_FIELDS = ("id", "name", "slug", "is_condition", "review_interval_days")


def article_get_public(*, slug: str) -> Article:
    """
    The live article with this slug, with its live revision, topics and authors loaded.

    Raises `Article.DoesNotExist` for an unknown slug and for an article that has never had a
    revision published: to the public, an unpublished article does not exist.
    """
    return (
        Article.objects.live()
        .select_related("live_revision")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.only(*_TOPIC_FIELDS)),
            Prefetch(
                "authors",
                queryset=Contributor.objects.only("id", "name", "slug", "credentials"),
            ),
        )
        .get(slug=slug)
    )


def article_list_public(
    *,
    topic: Topic | None = None,
    topics: list[Topic] | None = None,
    author: Contributor | None = None,
    reviewer: ReviewerProfile | None = None,
    featured: bool | None = None,
    exclude: Article | None = None,
) -> QuerySet[Article]:
    """
    Live articles, newest first, for lists and cards.

    Each item carries `public_title` and `public_standfirst`, read in SQL from the live
    revision's snapshot (the draft's may be unreviewed), and no other content: a list never
    loads article bodies. Filter by one `topic`, any of `topics` (related articles), an
    `author`, a `reviewer` who approved the live revision, `featured`; `exclude` leaves out
    one article (the one being read).
    """
    queryset = (
        Article.objects.live()
        .only(*_LIST_FIELDS)
        .annotate(
            public_title=KeyTextTransform("title", "live_revision__snapshot"),
            public_standfirst=KeyTextTransform("standfirst", "live_revision__snapshot"),
        )
        .order_by("-first_published_at", "-id")
    )
    if topic is not None:
        topics = [topic]
    if topics is not None:
        # EXISTS rather than a join, so an article in several of the topics appears once.
        queryset = queryset.filter(
            Exists(
                Article.topics.through.objects.filter(
                    article_id=OuterRef("pk"), topic_id__in=[t.pk for t in topics]
                )
            )
        )
    if author is not None:
        queryset = queryset.filter(
            Exists(
                Article.authors.through.objects.filter(
                    article_id=OuterRef("pk"), contributor_id=author.pk
                )
            )
        )
    if reviewer is not None:
        # Pages whose live revision this physician's approval in force covers.
        queryset = queryset.filter(
            Exists(
                SignOff.objects.in_force().filter(
                    revision_id=OuterRef("live_revision_id"), reviewer_id=reviewer.pk
                )
            )
        )
    if featured is not None:
        queryset = queryset.filter(featured=featured)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset


def article_redirect_get_public(*, old_slug: str) -> Article | None:
    """The live article that used to have `old_slug`, or None (also when it is not live)."""
    redirect = (
        SlugRedirect.objects.filter(old_slug=old_slug, article__live_revision__isnull=False)
        .select_related("article")
        .only("article__slug")
        .first()
    )
    return redirect.article if redirect else None


def topic_list_public() -> QuerySet[Topic]:
    """Topics that have at least one live article, with `article_count`, by name."""
    return (
        Topic.objects.annotate(
            article_count=Count("articles", filter=Q(articles__live_revision__isnull=False))
        )
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

    Only verified profiles are public: an unverified one is not presented to readers as a
    medical reviewer.
    """
    return ReviewerProfile.objects.verified().get(slug=slug)
