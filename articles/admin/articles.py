"""Admin for articles (CKEditor, inlines, optimistic locking), topics and contributors."""

from django.contrib import admin
from django.urls import path, reverse

from articles.admin import revisions
from articles.admin.forms import ArticleAdminForm, FAQEntryForm
from articles.models import (
    Article,
    Comparison,
    Contributor,
    FAQEntry,
    SlugRedirect,
    Takeaway,
    Topic,
)
from articles.services import (
    ARTICLE_FIELDS,
    ARTICLE_RELATIONS,
    article_create,
    article_update,
    revision_create,
)

STATUSES = [("draft", "Draft"), ("published", "Published")]


class StatusFilter(admin.SimpleListFilter):
    """Filter on the annotated `status` (ArticleQuerySet.with_status)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return STATUSES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class TakeawayInline(admin.TabularInline):
    model = Takeaway
    fields = ["position", "text"]
    extra = 1
    verbose_name_plural = "Key takeaways (shown in a box above the body)"


class ComparisonInline(admin.StackedInline):
    model = Comparison
    fields = ["position", "term", "explanation"]
    extra = 0
    verbose_name_plural = 'Comparisons ("how it differs", after the body)'


class FAQEntryInline(admin.StackedInline):
    model = FAQEntry
    form = FAQEntryForm
    extra = 0
    verbose_name_plural = "FAQ (after the comparisons)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """
    Articles. Saving goes through the services: `article_create`/`article_update` in
    `save_model`, then the inlines, then `revision_create` once the whole draft is stored.
    The admin wraps the request in one transaction, so a refused save stores nothing.
    """

    form = ArticleAdminForm
    change_form_template = "admin/articles/article/change_form.html"
    inlines = [TakeawayInline, ComparisonInline, FAQEntryInline]
    fieldsets = [
        (
            "Page header",
            {"fields": ["topics", "title", "slug", "standfirst", "authors", "expected_version"]},
        ),
        ("Body", {"fields": ["body"]}),
        ("Listing", {"fields": ["article_type", "featured"]}),
        ("Medical review flag", {"fields": ["needs_review", "needs_review_reason"]}),
    ]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics", "authors"]
    list_display = [
        "title",
        "topic_names",
        "status",
        "updated_at",
        "last_reviewed_at",
        "next_review_due",
    ]
    list_filter = [StatusFilter, "topics", "authors"]
    search_fields = ["title", "body"]
    list_select_related = ["live_revision"]

    def get_queryset(self, request):
        # Status and review dates are annotations and topics one prefetch, so the change list
        # costs the same few queries for 10 articles or 100.
        return (
            super()
            .get_queryset(request)
            .with_status()
            .with_review_dates()
            .prefetch_related("topics")
        )

    @admin.display(description="Topics")
    def topic_names(self, obj):
        return ", ".join(topic.name for topic in obj.topics.all())

    @admin.display(description="Status", ordering="status")
    def status(self, obj):
        return dict(STATUSES).get(obj.status, obj.status)

    @admin.display(description="Last reviewed", ordering="last_reviewed_at")
    def last_reviewed_at(self, obj):
        return obj.last_reviewed_at

    @admin.display(description="Next review due", ordering="next_review_due")
    def next_review_due(self, obj):
        return obj.next_review_due

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in (*ARTICLE_FIELDS, *ARTICLE_RELATIONS)
            if name in form.cleaned_data
        }
        if change:
            article_update(
                article=obj,
                data=data,
                expected_version=form.cleaned_data["expected_version"],
                user=request.user,
            )
            return
        created = article_create(data=data, user=request.user)
        # The inline formsets are bound to `obj`: make it the stored article.
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Topics and authors were set by the service in save_model; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        revision_create(article=form.instance, user=request.user)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/revisions/",
                self.admin_site.admin_view(self.revision_history_view),
                name="{}_{}_revisions".format(*info),
            ),
            path(
                "<path:object_id>/revisions/diff/",
                self.admin_site.admin_view(self.revision_diff_view),
                name="{}_{}_revision_diff".format(*info),
            ),
            *super().get_urls(),
        ]

    def revision_history_view(self, request, object_id):
        return revisions.history_view(self, request, object_id)

    def revision_diff_view(self, request, object_id):
        return revisions.diff_view(self, request, object_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "revisions_url": reverse(
                "admin:articles_article_revisions",
                args=[object_id],
                current_app=self.admin_site.name,
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_condition", "review_interval_days"]
    list_filter = ["is_condition"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description"]}),
        ("Medical review", {"fields": ["is_condition", "review_interval_days"]}),
    ]


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "user"]
    search_fields = ["name", "credentials", "bio"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["user"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "credentials"]}),
        ("Profile page", {"fields": ["bio", "photo"]}),
        ("Login", {"fields": ["user"]}),
    ]


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    """Former addresses; made by the slug change itself, so read-only here."""

    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__title"]
    list_select_related = ["article"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
