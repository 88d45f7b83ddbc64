"""The public sign-off log. Every URL is named."""

from django.urls import path

from reviews import views

app_name = "transparency"

urlpatterns = [
    path("tree-head.json", views.tree_head, name="tree_head"),
    path("entries.json", views.entries, name="entries"),
    path("proof/inclusion.json", views.inclusion_proof, name="inclusion"),
    path("proof/consistency.json", views.consistency_proof, name="consistency"),
]
