"""Public pages and the staff preview. Every URL is named; reverse them, never hard-code."""

from django.urls import path

from articles.public import attestation_views, cache, feeds, views
from articles.public import pages as public_views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("search/", public_views.search, name="search"),
    path("feed/", feeds.ReviewedPagesFeed(), name="feed"),
    path("review-board/", public_views.review_board, name="review_board"),
    path("editorial-policy/", public_views.editorial_policy, name="editorial_policy"),
    # Served from the page cache, which calls views.article_detail on a miss.
    path("articles/<slug:slug>/", cache.cached_article_detail, name="detail"),
    path(
        "articles/<slug:slug>/review-history/", public_views.review_history, name="history"
    ),
    # The signed proof of review and the exact bytes it hashes (articles.publishing.attestations).
    path(
        "articles/<slug:slug>/review.json", attestation_views.review_json, name="review_json"
    ),
    path(
        "articles/<slug:slug>/revision.json",
        attestation_views.revision_json,
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
    path("contributors/<slug:slug>/", views.contributor_detail, name="contributor"),
    path("reviewers/<slug:slug>/", views.reviewer_detail, name="reviewer"),
    path("preview/revisions/<int:pk>/", views.revision_preview, name="preview"),
]
