"""
Revisions in the admin: read-only, with an article's history and a diff between any two.

A revision is what a physician signs, so the admin can show it but never change or delete
it (the model refuses too; this keeps the buttons away).
"""

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from articles.content.admin.diff import diff_snapshots
from articles.content.models import Article, ArticleRevision


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    """Revisions, viewable only."""

    list_display = ["article", "number", "created_by", "created_at", "hash_prefix", "preview_link"]
    list_select_related = ["article", "created_by"]
    list_filter = ["created_at"]
    search_fields = ["article__title", "content_hash"]
    fields = ["article", "number", "created_by", "created_at", "content_hash", "snapshot_json"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Hash")
    def hash_prefix(self, obj):
        return obj.hash_prefix

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">Preview</a>', reverse("articles:preview", args=[obj.pk]))

    @admin.display(description="Snapshot")
    def snapshot_json(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.snapshot, indent=2, ensure_ascii=False, sort_keys=True)
        )


def _article_or_404(model_admin, request, object_id) -> Article:
    article = model_admin.get_object(request, object_id)
    if article is None:
        raise Http404("No such article")
    if not model_admin.has_view_or_change_permission(request, article):
        raise PermissionDenied
    return article


def history_view(model_admin, request, object_id):
    """Every revision of one article, newest first, with links to preview and compare."""
    article = _article_or_404(model_admin, request, object_id)
    revisions = list(article.revisions.select_related("created_by").order_by("-number"))
    diff_url = reverse("admin:articles_article_revision_diff", args=[article.pk])
    rows = []
    for index, revision in enumerate(revisions):
        previous = revisions[index + 1] if index + 1 < len(revisions) else None
        rows.append(
            {
                "revision": revision,
                "is_live": revision.pk == article.live_revision_id,
                "preview_url": reverse("articles:preview", args=[revision.pk]),
                "diff_url": (
                    f"{diff_url}?from={previous.number}&to={revision.number}" if previous else ""
                ),
            }
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"History of revisions: {article}",
        "article": article,
        "rows": rows,
        "numbers": [revision.number for revision in revisions],
        "diff_url": diff_url,
    }
    return TemplateResponse(request, "admin/articles/article/revision_history.html", context)


def diff_view(model_admin, request, object_id):
    """The changes between two revisions of one article (?from=<number>&to=<number>)."""
    article = _article_or_404(model_admin, request, object_id)
    try:
        old_number, new_number = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        raise Http404("Choose two revisions to compare") from None
    old = get_object_or_404(ArticleRevision, article=article, number=old_number)
    new = get_object_or_404(ArticleRevision, article=article, number=new_number)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Changes from revision {old.number} to {new.number}: {article}",
        "article": article,
        "old": old,
        "new": new,
        "lines": diff_snapshots(old.snapshot, new.snapshot, context=3),
        "history_url": reverse("admin:articles_article_revisions", args=[article.pk]),
    }
    return TemplateResponse(request, "admin/articles/article/revision_diff.html", context)
