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

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from articles.models import Article, ArticleRevision, Contributor, SlugRedirect, Topic
from reviews import policy
from reviews.models import ReviewerProfile, SignOff
from reviews.selectors import approvals_in_force_for_revisions

# How far ahead the "Due reviews" page and the reminders look.
DUE_HORIZON_DAYS = 90

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


def revision_get_for_preview(*, revision_id: int) -> ArticleRevision:
    """
    Any revision, published or not, with its article's metadata: for the staff-only preview.

    Not a public read; the preview view checks that the user is staff before calling it.
    """
    return (
        ArticleRevision.objects.select_related("article", "article__live_revision")
        .prefetch_related(
            Prefetch("article__topics", queryset=Topic.objects.only(*_TOPIC_FIELDS)),
            Prefetch(
                "article__authors",
                queryset=Contributor.objects.only("id", "name", "slug", "credentials"),
            ),
        )
        .get(pk=revision_id)
    )


def citations_retracted_among(pmids) -> set[str]:
    """
    The PMIDs among `pmids` whose stored citation PubMed marks as retracted.

    Registered as the review checks' retraction source (ArticlesConfig.ready): `reviews` may
    not import `references`, so `articles`, which imports both, connects them.
    """
    from references.models import Citation

    return set(
        Citation.objects.retracted()
        .filter(pmid__in=[str(pmid) for pmid in pmids])
        .values_list("pmid", flat=True)
    )


def reviews_due(*, now, horizon_days: int = DUE_HORIZON_DAYS) -> list[dict]:
    """
    Live articles whose review is overdue or falls due within `horizon_days`, soonest first.

    The candidates come from the SQL annotation (`with_review_dates`); each row's due date and
    status are then computed by the review policy, the same functions the public stamp uses.
    Three queries whatever the number of articles.
    """
    articles = list(
        Article.objects.live()
        .with_review_dates()
        .filter(next_review_due__lte=now + timedelta(days=horizon_days))
        .select_related("live_revision")
        .only("id", "title", "slug", "live_revision__id", "live_revision__number")
        .order_by("next_review_due", "pk")
    )
    approvals = approvals_in_force_for_revisions(a.live_revision_id for a in articles)
    rows = []
    for article in articles:
        next_due = policy.next_review_due(
            last_reviewed_at=article.last_reviewed_at,
            interval_days=article.review_interval_days,
        )
        rows.append(
            {
                "article": article,
                "signoff": approvals.get(article.live_revision_id),
                "last_reviewed_at": article.last_reviewed_at,
                "next_review_due": next_due,
                "status": policy.review_status(next_due=next_due, now=now),
            }
        )
    return rows
