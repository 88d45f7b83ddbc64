"""
Admin for the site's own pages, the readers' corrections queue and public correction notes.

The corrections queue (`ProblemReport`) is where editors triage what readers report: newest
first, filtered by status, with actions to move reports along. The reader's message and email
are shown read-only: they are the reader's words, and editors write in `editor_notes`.
"""

from urllib.parse import quote, urlencode

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from articles.content.admin.forms import rich_text_widget
from articles.public.models import CorrectionNote, ProblemReport, ProblemReportStatus, SitePage


class SitePageForm(forms.ModelForm):
    """The site page form, with the same rich-text editor as articles (one place chooses it)."""

    class Meta:
        model = SitePage
        fields = ["title", "slug", "body"]
        widgets = {"body": rich_text_widget()}


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    form = SitePageForm
    list_display = ["title", "slug", "updated_at"]
    search_fields = ["title", "body"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The site finds its pages by slug: renaming one would silently orphan it.
        if obj is not None:
            return [*self.readonly_fields, "slug"]
        return self.readonly_fields


def _status_action(status: ProblemReportStatus):
    def action(modeladmin, request, queryset):
        count = queryset.update(status=status)
        modeladmin.message_user(
            request, f"{count} report(s) marked {status.label.lower()}.", messages.SUCCESS
        )

    action.__name__ = f"mark_{status.value}"
    action.short_description = f"Mark selected reports as {status.label.lower()}"
    return action


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """The corrections queue: readers' reports, newest first, triaged by status."""

    list_display = ["created_at", "article", "status", "short_message", "email"]
    list_filter = ["status", "created_at"]
    list_select_related = ["article"]
    search_fields = ["message", "email", "article__title", "article__slug"]
    ordering = ["-created_at", "-pk"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "article", "revision", "message", "email", "created_at", "ip_hash", "next_steps",
    ]
    fieldsets = [
        ("What the reader reported", {"fields": ["article", "revision", "message", "email"]}),
        ("Triage", {"fields": ["next_steps", "status", "editor_notes"]}),
        ("Record", {"fields": ["created_at", "ip_hash"], "classes": ["collapse"]}),
    ]
    actions = [_status_action(status) for status in ProblemReportStatus]

    def has_add_permission(self, request):
        # Reports come from readers through the public form only.
        return False

    @admin.display(description="Next step")
    def next_steps(self, obj):
        """One click to a correction note for the page, or to a reply to the reader."""
        if obj is None or obj.pk is None:
            return "-"
        draft = (
            f"Corrected on the basis of a reader's report of {obj.created_at:%d %B %Y}: "
            "[say what was wrong and what the page says now]."
        )
        links = [
            (
                reverse("admin:articles_correctionnote_add")
                + "?"
                + urlencode({"article": obj.article_id, "text": draft}),
                "Write a correction note for this page",
            )
        ]
        if obj.email:
            subject = f"Your report about '{obj.article.title}'"
            body = (
                f"Thank you for your report of {obj.created_at:%d %B %Y} about "
                f"'{obj.article.title}'. You wrote:\n\n> {obj.message}\n\n"
            )
            links.append(
                (
                    f"mailto:{quote(obj.email)}?subject={quote(subject)}&body={quote(body)}",
                    "Reply to the reader by e-mail",
                )
            )
        return format_html_join(" · ", '<a href="{}">{}</a>', links) or format_html("-")

    @admin.display(description="Message")
    def short_message(self, obj):
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"


@admin.register(CorrectionNote)
class CorrectionNoteAdmin(admin.ModelAdmin):
    """Public correction notes, shown on each article's review-history page."""

    list_display = ["published_at", "article", "text"]
    list_select_related = ["article"]
    search_fields = ["text", "article__title"]
    autocomplete_fields = ["article"]
    date_hierarchy = "published_at"
    fieldsets = [(None, {"fields": ["article", "text", "published_at"]})]
