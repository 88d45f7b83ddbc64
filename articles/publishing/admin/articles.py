"""Admin for articles (CKEditor, inlines, optimistic locking), topics and contributors."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from articles.content.admin import revisions
from articles.content.admin.forms import ArticleAdminForm, FAQEntryForm
from articles.content.models import (
    Article,
    Comparison,
    Contributor,
    FAQEntry,
    ReferenceNote,
    RevisionCitation,
    SlugRedirect,
    Takeaway,
    Topic,
)
from articles.content.services import (
    ARTICLE_FIELDS,
    ARTICLE_RELATIONS,
    TOPIC_POLICY_FIELDS,
    article_citations_prefetch,
    article_create,
    article_update,
    revision_create,
    topic_save,
)
from articles.publishing.admin import due_calendar, periodic, preview, publishing, review
from references.services import OFFLINE
from reviews import policy

# The values of the `status` annotation (ArticleQuerySet.with_status), in workflow order.
STATUSES = [
    ("draft", "Draft"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved, not published"),
    ("published", "Published"),
    ("withdrawn", "Withdrawn"),
]


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


class ReviewDueFilter(admin.SimpleListFilter):
    """
    Filter live articles by where their medical review stands, on the `next_review_due`
    annotation, with the same boundaries as `reviews.policy.review_status`: overdue from the
    due instant, due soon within REVIEW_DUE_SOON_DAYS before it.
    """

    title = "medical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("current", "Current"),
            ("due-soon", "Due soon"),
            ("overdue", "Overdue"),
            ("never", "Never reviewed"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        soon = now + timedelta(days=policy.default_due_soon_days())
        if self.value() == "current":
            return queryset.filter(next_review_due__gt=soon)
        if self.value() == "due-soon":
            return queryset.filter(next_review_due__gt=now, next_review_due__lte=soon)
        if self.value() == "overdue":
            return queryset.filter(next_review_due__lte=now)
        if self.value() == "never":
            return queryset.filter(last_reviewed_at__isnull=True)
        return queryset


class TakeawayInline(admin.StackedInline):
    # Stacked, not tabular: each field keeps its own <label> (a tabular inline's inputs have
    # only the column headings, which screen readers do not tie to them).
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


class ReferenceNoteInline(admin.StackedInline):
    model = ReferenceNote
    fields = ["citation", "note"]
    autocomplete_fields = ["citation"]
    extra = 0
    verbose_name = "note on a reference"
    verbose_name_plural = (
        'Notes on references (shown after the reference, e.g. "Multi-society consensus '
        'guidelines"; a note on a source the body does not cite is not shown)'
    )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """
    Articles. Saving goes through the services: `article_create`/`article_update` in
    `save_model`, then the inlines, then `revision_create` once the whole draft is stored.
    The admin wraps the request in one transaction, so a refused save stores nothing.

    "Save and send for review" saves exactly as "Save" does, then, once the admin's
    transaction has committed, sends the saved draft for review (`changeform_view`): a send
    never leaves edits on screen behind. "Preview" renders the unsaved form (`preview`).

    The list's action "Send for periodic re-review" and the due-reviews page's additions are in
    `periodic`; the month calendar of due reviews and scheduled publications in `due_calendar`.
    """

    class Media:
        # Warns before leaving the form with unsaved changes (CKEditor's included).
        # admin_a11y.js: an ARIA fix for the Topics/Authors pickers (see the file).
        js = ["articles/unsaved_changes.js", "articles/admin_a11y.js"]

    form = ArticleAdminForm
    change_form_template = "admin/articles/article/change_form.html"
    inlines = [TakeawayInline, ComparisonInline, FAQEntryInline, ReferenceNoteInline]
    fieldsets = [
        (
            "Page header",
            {"fields": ["topics", "title", "slug", "standfirst", "authors", "expected_version"]},
        ),
        ("Body", {"fields": ["body"]}),
        ("Page disclaimer", {"fields": ["disclaimer"], "classes": ["collapse"]}),
        ("Search and sharing", {"fields": ["search_description"], "classes": ["collapse"]}),
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
        "review_status",
    ]
    list_filter = [StatusFilter, ReviewDueFilter, "needs_review", "topics", "authors"]
    search_fields = ["title", "body"]
    list_select_related = ["live_revision"]
    actions = [periodic.send_for_periodic_review]

    def get_queryset(self, request):
        # Status and review dates are annotations and topics one prefetch, so the change list
        # costs the same few queries for 10 articles or 100.
        queryset = (
            super()
            .get_queryset(request)
            .with_status()
            .with_review_dates()
            .prefetch_related("topics")
        )
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "articles_article_changelist":
            # The list shows no body; long drafts need not be read for it.
            queryset = queryset.defer("body")
        return queryset

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

    @admin.display(description="Review")
    def review_status(self, obj):
        # From the annotation, with the policy's boundaries: no query per row.
        if obj.next_review_due is None:
            return "-"
        return policy.review_status(next_due=obj.next_review_due, now=timezone.now()).label

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
        # The form resolved every citation before the transaction (changeform_view).
        revision_create(article=form.instance, user=request.user, client=OFFLINE)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        workflow = [
            path(
                f"<path:object_id>/workflow/{name}/",
                view(handler),
                name="{}_{}_{}".format(*info, name),
            )
            for name, handler in (
                ("submit", self.submit_view),
                ("publish", self.publish_view),
                ("schedule", self.schedule_view),
                ("unpublish", self.unpublish_view),
            )
        ]
        return [
            path(
                "review-queue/",
                view(self.review_queue_view),
                name="{}_{}_review_queue".format(*info),
            ),
            path(
                "review-queue/revisions/<int:revision_id>/passkey-options/",
                view(self.review_passkey_options_view),
                name="{}_{}_review_passkey_options".format(*info),
            ),
            path(
                "review-queue/revisions/<path:revision_id>/",
                view(self.review_view),
                name="{}_{}_review".format(*info),
            ),
            path(
                "due-reviews/", view(self.due_reviews_view), name="{}_{}_due_reviews".format(*info)
            ),
            path(
                "due-reviews/send-overdue/",
                view(self.send_overdue_view),
                name="{}_{}_due_reviews_send_overdue".format(*info),
            ),
            path(
                "review-calendar/",
                view(self.review_calendar_view),
                name="{}_{}_review_calendar".format(*info),
            ),
            path("add/preview/", view(self.preview_view), name="{}_{}_add_preview".format(*info)),
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            *workflow,
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

    def review_queue_view(self, request):
        return review.queue_view(self, request)

    def review_view(self, request, revision_id):
        return review.review_view(self, request, revision_id)

    def review_passkey_options_view(self, request, revision_id):
        return review.passkey_options_view(self, request, revision_id)

    def due_reviews_view(self, request):
        response = review.due_view(self, request)
        # The page's additions (calendar link, "Send all overdue", a physician's feed address).
        response.context_data.update(periodic.due_page_context(self, request))
        return response

    def send_overdue_view(self, request):
        return periodic.send_overdue_view(self, request)

    def review_calendar_view(self, request):
        return due_calendar.month_view(self, request)

    def preview_view(self, request, object_id=None):
        return preview.preview_view(self, request, object_id)

    def submit_view(self, request, object_id):
        return publishing.submit_view(self, request, object_id)

    def publish_view(self, request, object_id):
        return publishing.publish_view(self, request, object_id)

    def schedule_view(self, request, object_id):
        return publishing.schedule_view(self, request, object_id)

    def unpublish_view(self, request, object_id):
        return publishing.unpublish_view(self, request, object_id)

    def revision_history_view(self, request, object_id):
        return revisions.history_view(self, request, object_id)

    def revision_diff_view(self, request, object_id):
        return revisions.diff_view(self, request, object_id)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # PubMed is asked here, before the admin opens its transaction and the form locks the
        # article's row: a slow or hanging PubMed never holds the database, and the editor gets
        # its message within PUBMED_SAVE_DEADLINE with the typed text kept in the form.
        request.citations_problem = None
        request.article_saved_for_review = None
        if (
            request.method == "POST"
            and "body" in request.POST
            and (self.has_add_permission(request) or self.has_change_permission(request))
        ):
            request.citations_problem = article_citations_prefetch(body=request.POST["body"])
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and publishing.SAVE_AND_SUBMIT in request.POST:
            # The admin's transaction has committed here: sending for review makes the revision
            # in its own transaction, and may ask PubMed first, which it must not do inside one.
            publishing.submit_saved(request, request.article_saved_for_review)
        return response

    def response_add(self, request, obj, post_url_continue=None):
        if publishing.SAVE_AND_SUBMIT in request.POST:
            return self._saved_for_review(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if publishing.SAVE_AND_SUBMIT in request.POST:
            return self._saved_for_review(request, obj)
        return super().response_change(request, obj)

    def _saved_for_review(self, request, obj):
        # Saved; `changeform_view` sends it once the transaction is over, and says so.
        request.article_saved_for_review = obj
        return HttpResponseRedirect(
            reverse(
                "admin:articles_article_change", args=[obj.pk], current_app=self.admin_site.name
            )
        )

    def _editing_context(self, request, article=None) -> dict:
        """The editing-loop buttons of the form (preview, save and send), for those who edit."""
        if article is None:
            if not self.has_add_permission(request):
                return {}
            url = reverse("admin:articles_article_add_preview", current_app=self.admin_site.name)
        else:
            if not self.has_change_permission(request, article):
                return {}
            url = reverse(
                "admin:articles_article_preview",
                args=[article.pk],
                current_app=self.admin_site.name,
            )
        return {
            "editing_loop": {
                "preview_url": url,
                "can_submit": request.user.has_perm("articles.change_article"),
                "assignment_form": publishing.ReviewAssignmentForm(
                    initial=publishing.last_assignment(article)
                ),
            }
        }

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self._editing_context(request)}
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # A class made for this request by modelform_factory: safe to give it the problem.
        form.citations_problem = getattr(request, "citations_problem", None)
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "revisions_url": reverse(
                "admin:articles_article_revisions",
                args=[object_id],
                current_app=self.admin_site.name,
            ),
        }
        article = self.get_object(request, object_id)
        if article is not None:
            extra_context.update(publishing.panel_context(article=article, user=request.user))
            extra_context.update(self._editing_context(request, article))
            extra_context["reference_links"] = self.reference_links(article)
        return super().change_view(request, object_id, form_url, extra_context)

    def reference_links(self, article):
        """
        The newest revision's references in reference-list order, with each source's evidence
        label and current retraction status (read now, not from the snapshot): one query.
        """
        newest = article.revisions.order_by("-number").values_list("pk", flat=True).first()
        if newest is None:
            return []
        return list(
            RevisionCitation.objects.filter(revision_id=newest)
            .select_related("citation")
            .order_by("position")
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "review_queue_url": reverse("admin:articles_article_review_queue"),
            "due_reviews_url": reverse("admin:articles_article_due_reviews"),
            "review_calendar_url": reverse("admin:articles_article_review_calendar"),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "is_condition",
        "review_interval_days",
        "approvals_required",
        "specialty_required",
    ]
    list_filter = ["is_condition"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description"]}),
        (
            "Medical review",
            {
                "fields": [
                    "is_condition",
                    "review_interval_days",
                    "approvals_required",
                    "specialty_required",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The review interval and approval policy: site administrators set them (audited).
        if request.user.has_perm("articles.change_review_interval"):
            return ()
        return tuple(TOPIC_POLICY_FIELDS)

    def save_model(self, request, obj, form, change):
        try:
            topic_save(topic=obj, user=request.user)
        except ValidationError as error:
            # The field is read-only for everyone else, so only a forged POST gets here.
            raise PermissionDenied(" ".join(error.messages)) from error


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "user"]
    search_fields = ["name", "credentials", "bio"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["user"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "credentials"]}),
        ("Profile page", {"fields": ["bio", "photo"]}),
        (
            "Login",
            {
                "fields": ["user"],
                "description": "Links the author to their login, so they cannot review their "
                "own pages. Fixed once set: unlinking it would let an author approve their "
                "own work.",
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.user_id is not None:
            return ("user",)
        return ()


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
