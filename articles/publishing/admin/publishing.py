"""
The publishing panel of an article's change page: the physician's latest decision, send for
review (with the article form's "Save and send for review"), publish, schedule, unpublish.

Each button posts to its own admin URL, which calls the service in `articles.publishing.workflow`
and redirects back to the change page with a message. The services hold every rule; these views
only turn their refusals into messages.
"""

from __future__ import annotations

import functools

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from articles.content.models import Article, ArticleRevision
from articles.publishing.models import ScheduledPublication
from articles.publishing.workflow import (
    article_publish,
    article_schedule_publication,
    article_submit_for_review,
    article_unpublish,
    can_publish,
)
from reviews.approvals import ApprovalPolicy
from reviews.models import ReviewerProfile, ReviewRequest, SignOff
from reviews.selectors import pool_physicians, review_pools

# The article form's button that saves, then sends the saved draft for review.
SAVE_AND_SUBMIT = "_save_and_submit"


class PhysicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReviewerProfile) -> str:
        return f"{obj.display_name} ({obj.specialty})" if obj.specialty else obj.display_name


class ReviewAssignmentForm(forms.Form):
    """
    Who is asked to review, and by when: the "Medical review" fields of the article form,
    read by "Save and send for review". The service decides whether the choice is possible.
    """

    review_assignee = PhysicianChoiceField(
        queryset=ReviewerProfile.objects.none(),
        required=False,
        label="Physician",
        empty_label="Anyone in the pool",
        help_text="Name the physician who should review it, or leave it to the pool.",
    )
    review_pool = forms.ChoiceField(
        required=False,
        label="Pool",
        help_text="When no physician is named: the specialty whose physicians are asked.",
    )
    review_due_on = forms.DateField(
        required=False,
        label="Review wanted by",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"Leave empty for {settings.REVIEW_REQUEST_DUE_DAYS} days from today.",
    )
    review_note = forms.CharField(
        required=False,
        max_length=1000,
        label="Note to the reviewer (optional)",
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="What changed, what to look at.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_assignee"].queryset = pool_physicians("").order_by("printed_name", "pk")
        self.fields["review_pool"].choices = [("", "All reviewing physicians")] + [
            (pool, pool) for pool in review_pools()
        ]

    def assignment(self) -> dict:
        """The keyword arguments of `article_submit_for_review` (call after `is_valid()`)."""
        data = self.cleaned_data
        return {
            "assignee": data["review_assignee"],
            "pool": data["review_pool"],
            "due_on": data["review_due_on"],
            "note": data["review_note"],
        }


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label="Publish at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the site's time zone.",
    )


class UnpublishForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, help_text="Why the page is withdrawn (kept in the audit)."
    )


def approved_unpublished_revision(article: Article) -> ArticleRevision | None:
    """
    The newest revision with a publishable approval in force, unless it is already live.

    This is what "Publish approved revision" publishes; the service checks it again.
    """
    approved = SignOff.objects.publishable().filter(revision_id=OuterRef("pk"))
    newest = (
        ArticleRevision.objects.filter(article=article)
        .filter(Exists(approved))
        .order_by("-number")
        .only("id", "number", "article_id", "content_hash")
        .first()
    )
    if newest is None or newest.pk == article.live_revision_id:
        return None
    return newest


def latest_decision(article: Article) -> SignOff | None:
    """
    The newest physician's decision (approval or changes requested) on any revision of
    `article`, with its revision and signer: what the editor must read before editing on.
    """
    return (
        SignOff.objects.filter(revision__article=article)
        .select_related("revision")
        .order_by("-signed_at", "-pk")
        .first()
    )


def panel_context(*, article: Article, user) -> dict:
    """What the change page's "Medical review and publishing" panel shows."""
    info = "admin:articles_article_{}"
    open_request = (
        ReviewRequest.objects.filter(revision__article=article, state=ReviewRequest.State.OPEN)
        .select_related("revision", "assignee")
        .first()
    )
    scheduled = (
        ScheduledPublication.objects.filter(article=article).select_related("revision").first()
    )
    return {
        "workflow": {
            "can_publish": can_publish(user),
            "can_submit": user.has_perm("articles.change_article"),
            "is_live": article.live_revision_id is not None,
            "live_number": article.live_revision.number if article.live_revision_id else None,
            "open_request": open_request,
            "latest_decision": latest_decision(article),
            "approved": approved_unpublished_revision(article),
            "scheduled": scheduled,
            "schedule_form": ScheduleForm(),
            "unpublish_form": UnpublishForm(),
            "urls": {
                name: reverse(info.format(name), args=[article.pk])
                for name in ("submit", "publish", "schedule", "unpublish")
            },
            "queue_url": reverse(info.format("review_queue")),
            "due_url": reverse(info.format("due_reviews")),
        }
    }


def _post_only(view):
    """`require_POST` for these views, whose first argument is the model admin."""

    @functools.wraps(view)
    def wrapper(model_admin, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, object_id)

    return wrapper


def _article(model_admin, request, object_id) -> Article:
    article = model_admin.get_object(request, object_id)
    if article is None:
        raise Http404("No such article")
    if not model_admin.has_change_permission(request, article):
        raise PermissionDenied
    return article


def _back(article: Article) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


def _posted_revision(article: Article, request) -> ArticleRevision | None:
    """The revision of `article` named by the form's `revision` field, or None (also if garbled)."""
    try:
        pk = int(request.POST.get("revision", ""))
    except ValueError:
        return None
    return ArticleRevision.objects.filter(article=article, pk=pk).first()


def _refused(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def submit_saved(request, article: Article | None) -> None:
    """
    The second half of "Save and send for review": send `article`, just saved by the article
    form, for review, and tell the editor what happened. `article` is None when the form was
    refused, and then nothing is sent. Call it after the admin's transaction has committed.
    """
    if article is None:
        messages.error(
            request,
            "Not sent for review: the form was not saved. Correct the problems below, then "
            "press “Save and send for review” again.",
        )
        return
    form = ReviewAssignmentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [f"{form[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()]
            )
        review = article_submit_for_review(article=article, user=request.user, **form.assignment())
    except ValidationError as error:
        messages.error(
            request,
            f"“{article}” was saved, but not sent for review: {' '.join(error.messages)}",
        )
    else:
        messages.success(
            request,
            f"“{article}” was saved, and revision {review.revision.number} was sent "
            f"for medical review to {asked_of(review)}, wanted by {review.due_on.day} "
            f"{review.due_on:%B %Y}.",
        )


def last_assignment(article: Article | None) -> dict:
    """
    The form's initial choice of whom to ask: the article's last review request's physician
    and pool (after "changes requested", the edited page goes back to the same physician
    unless the editor chooses otherwise); for a page never sent, the pool of the specialty its
    topics require (their approval policy), if any. {} otherwise.
    """
    if article is None:
        return {}
    last = (
        ReviewRequest.objects.filter(revision__article=article, submitted_by__isnull=False)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if last is not None:
        return {"review_assignee": last.assignee_id, "review_pool": last.pool}
    specialties = ApprovalPolicy.combine(t.approval_policy() for t in article.topics.all())
    return {"review_pool": specialties.specialties[0]} if specialties.specialties else {}


def asked_of(review: ReviewRequest) -> str:
    """Whom a request asks, as the editor reads it: "Jane Roe, DO", "the Pain medicine pool"."""
    if review.assignee_id is not None:
        return review.assignee.display_name
    return f"the {review.pool} pool" if review.pool else "the reviewing physicians"


@_post_only
def submit_view(model_admin, request, object_id):
    """
    Send the stored draft for medical review. The change page no longer posts here (its
    button saves the form first, `SAVE_AND_SUBMIT`); kept for callers that send without a form.
    """
    article = _article(model_admin, request, object_id)
    try:
        review = article_submit_for_review(
            article=article, user=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Revision {review.revision.number} was sent for medical review.")
    return _back(article)


@_post_only
def publish_view(model_admin, request, object_id):
    """Publish the approved revision named in the POST (`revision`)."""
    article = _article(model_admin, request, object_id)
    revision = _posted_revision(article, request)
    if revision is None:
        messages.error(request, "Choose an approved revision of this article to publish.")
        return _back(article)
    try:
        article_publish(article=article, revision=revision, user=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Revision {revision.number} is now live.")
    return _back(article)


@_post_only
def schedule_view(model_admin, request, object_id):
    """Schedule the approved revision named in the POST for `publish_at`."""
    article = _article(model_admin, request, object_id)
    form = ScheduleForm(request.POST)
    revision = _posted_revision(article, request)
    if revision is None or not form.is_valid():
        messages.error(request, "Choose an approved revision and a valid publication time.")
        return _back(article)
    try:
        scheduled = article_schedule_publication(
            article=article,
            revision=revision,
            user=request.user,
            publish_at=form.cleaned_data["publish_at"],
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        when = timezone.localtime(scheduled.publish_at)
        messages.success(
            request, f"Revision {revision.number} will be published at {when:%Y-%m-%d %H:%M %Z}."
        )
    return _back(article)


@_post_only
def unpublish_view(model_admin, request, object_id):
    """Withdraw the article from the public site."""
    article = _article(model_admin, request, object_id)
    form = UnpublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the article is being unpublished.")
        return _back(article)
    try:
        article_unpublish(article=article, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "The article was unpublished; its public page is gone.")
    return _back(article)
