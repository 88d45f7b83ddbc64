"""Public pages and the staff preview. Every URL is named; reverse them, never hard-code."""

from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("contributors/<slug:slug>/", views.contributor_detail, name="contributor"),
    path("reviewers/<slug:slug>/", views.reviewer_detail, name="reviewer"),
    path("preview/revisions/<int:pk>/", views.revision_preview, name="preview"),
]
