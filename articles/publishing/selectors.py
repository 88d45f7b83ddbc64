"""
Reads of the publishing side: any revision for staff (preview, review screen), the reviews that
are due (the due-reviews page, the month calendar, a physician's calendar feed), scheduled
publications, and which cited papers are retracted. Not the public gate
(`articles.public.selectors`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Prefetch

from articles.content.models import Article, ArticleRevision, Contributor, Topic
from articles.publishing.models import ScheduledPublication
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
    Two queries whatever the number of articles (the articles, their approvals in force).
    """
    return _due_rows(
        Article.objects.live()
        .with_review_dates()
        .filter(next_review_due__lte=now + timedelta(days=horizon_days)),
        now=now,
    )


def reviews_due_between(*, start: datetime, end: datetime, now: datetime) -> list[dict]:
    """
    Live articles whose next review falls due from `start` (included) to `end` (excluded),
    soonest first, as rows of `reviews_due`: the month calendar's due reviews.

    A past period lists only reviews still not done (a re-review moves the due date on).
    Two queries whatever the number of articles.
    """
    rows = _due_rows(
        Article.objects.live()
        .with_review_dates()
        .filter(next_review_due__gte=start, next_review_due__lt=end),
        now=now,
    )
    # The policy's date decides, as everywhere else; the SQL filter only narrows the candidates.
    return [row for row in rows if start <= row["next_review_due"] < end]


def reviews_due_for_reviewer(
    *, reviewer_id: int, now: datetime, horizon_days: int = DUE_HORIZON_DAYS
) -> list[dict]:
    """
    The rows of `reviews_due` of the pages whose approval in force `reviewer_id` signed: the
    re-reviews that fall to that physician (their private calendar feed). Two queries.
    """
    return [
        row
        for row in reviews_due(now=now, horizon_days=horizon_days)
        if row["signoff"] is not None and row["signoff"].reviewer_id == reviewer_id
    ]


def scheduled_publications_between(*, start: datetime, end: datetime) -> list[ScheduledPublication]:
    """
    Pending scheduled publications from `start` (included) to `end` (excluded), in the order
    they will go live, with their article and revision number: the month calendar. One query.
    """
    return list(
        ScheduledPublication.objects.filter(publish_at__gte=start, publish_at__lt=end)
        .select_related("article", "revision")
        # Titles and numbers only: neither the draft's body nor the revision's snapshot.
        .defer("article__body", "revision__snapshot")
        .order_by("publish_at", "pk")
    )


def _due_rows(candidates, *, now: datetime) -> list[dict]:
    """
    `reviews_due`'s rows for a queryset of live articles annotated `with_review_dates`: each
    with its approval in force, and its due date and status from the review policy.
    """
    articles = list(
        candidates.select_related("live_revision")
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
