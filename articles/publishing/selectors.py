"""
Reads of the publishing side: any revision for staff (preview, review screen), the reviews that
are due, and which cited papers are retracted. Not the public gate (`articles.public.selectors`).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch

from articles.content.models import Article, ArticleRevision, Contributor, Topic
from reviews import policy
from reviews.selectors import approvals_in_force_for_revisions

# How far ahead the "Due reviews" page and the reminders look.
DUE_HORIZON_DAYS = 90
# What an article page needs of its topics: links, JSON-LD `about`, and the review interval.
_TOPIC_FIELDS = ("id", "name", "slug", "is_condition", "review_interval_days")


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


def citation_abstracts_among(pmids) -> dict[str, str]:
    """
    {pmid: abstract} for the cited papers whose stored citation has an abstract.

    For the review screen: the abstract is metadata the physician reads to judge a source; it
    is not part of the revision's snapshot (readers never see it), so it is read from the
    stored citation.
    """
    from references.models import Citation

    return dict(
        Citation.objects.filter(pmid__in=[str(pmid) for pmid in pmids])
        .exclude(abstract="")
        .values_list("pmid", "abstract")
    )


def citation_notices_among(pmids) -> dict[str, str]:
    """{pmid: the notice as a reviewer reads it} for the cited papers under any notice."""
    from articles.publishing.retractions import notice_date_text, notice_sentence
    from references.models import Citation

    return {
        citation.pmid: notice_sentence(
            citation.retraction_status, notice_date_text(citation.retraction_date)
        )
        + f" (reported by {citation.get_retraction_source_display()})"
        for citation in Citation.objects.with_notice().filter(
            pmid__in=[str(pmid) for pmid in pmids]
        )
    }


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
