"""Public pages and the staff preview. Every URL is named; reverse them, never hard-code."""

from django.urls import path

from articles.public import attestation_views, feeds, review_feed_views, views
from articles.public import pages as public_views
from articles.public.http_cache import public_cache

app_name = "articles"

urlpatterns = [
    path("", public_cache(views.home), name="home"),
    path("topics/<slug:slug>/", public_cache(views.topic_detail), name="topic"),
    path("search/", public_cache(public_views.search), name="search"),
    path("feed/", public_cache(feeds.ReviewedPagesFeed()), name="feed"),
    path("review-board/", public_views.review_board, name="review_board"),
    path("editorial-policy/", public_views.editorial_policy, name="editorial_policy"),
    path("articles/<slug:slug>/", public_cache(views.article_detail), name="detail"),
    path(
        "articles/<slug:slug>/review-history/",
        public_cache(public_views.review_history),
        name="history",
    ),
    # The signed proof of review and the exact bytes it hashes (articles.publishing.attestations).
    path(
        "articles/<slug:slug>/review.json",
        public_cache(attestation_views.review_json),
        name="review_json",
    ),
    path(
        "articles/<slug:slug>/revision.json",
        public_cache(attestation_views.revision_json),
        name="revision_json",
    ),
    path(
        "articles/<slug:slug>/report-a-problem/",
        public_views.report_problem,
        name="report_problem",
    ),
    path(
        "articles/<slug:slug>/report-a-problem/thanks/",
        public_views.report_thanks,
        name="report_thanks",
    ),
    path("contributors/<slug:slug>/", public_cache(views.contributor_detail), name="contributor"),
    path("reviewers/<slug:slug>/", public_cache(views.reviewer_detail), name="reviewer"),
    path("preview/revisions/<int:pk>/", views.revision_preview, name="preview"),
    # A physician's private calendar of due reviews: the token is the key (no sign-in).
    path(
        "review-calendar/<int:profile_id>/<slug:token>/reviews-due.ics",
        review_feed_views.review_feed,
        name="review_feed",
    ),
]
