"""
Periodic re-review in the admin: the article list's "Send for periodic re-review" action, the
due-reviews page's "Send all overdue for re-review" button, and what the due-reviews page shows
beside its lists (the calendar link, a physician's calendar feed address).

`articles.publishing.periodic_review.articles_send_for_periodic_review` decides what is sent;
this module only turns its outcome into messages for the editor.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from articles.publishing.periodic_review import (
    PeriodicReviewOutcome,
    SkipReason,
    articles_send_for_periodic_review,
)
from articles.publishing.review_feed import review_feed_path
from articles.publishing.selectors import reviews_due
from articles.publishing.structured_data import absolute_url
from reviews import policy
from reviews.models import ReviewerProfile


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _skip_reasons() -> dict[SkipReason, tuple[str, str]]:
    """Each reason as the editor reads it, after "1 page" and after "2 pages"."""
    soon = policy.default_due_soon_days()
    return {
        SkipReason.NOT_LIVE: ("is not live", "are not live"),
        SkipReason.NO_APPROVAL: (
            "has no approval in force to renew (changes were requested, or the physician's "
            "credentials were revoked): edit it and send it for review from its page",
            "have no approval in force to renew (changes were requested, or the physician's "
            "credentials were revoked): edit them and send them for review from their pages",
        ),
        SkipReason.NOT_DUE: (
            f"is not due for review yet (due in more than {soon} days)",
            f"are not due for review yet (due in more than {soon} days)",
        ),
        SkipReason.IN_REVIEW: ("is already waiting for review", "are already waiting for review"),
    }


def report(request, outcome: PeriodicReviewOutcome) -> None:
    """
    The outcome as messages: one success message with the number sent; one warning with how
    many were skipped and why; one error per distinct refusal, naming the pages and saying why.
    """
    if outcome.sent:
        text = f"{_pages(len(outcome.sent))} sent for periodic re-review."
        if edited := len(outcome.sent_with_edits):
            text += (
                f" {_pages(edited)} had edits not yet published: the physician reviews the "
                "edited draft, and you publish it once it is approved."
            )
        messages.success(request, text)
    counts = Counter(s.reason for s in outcome.skipped if s.reason != SkipReason.REFUSED)
    if counts:
        wording = _skip_reasons()
        parts = [
            f"{_pages(counts[reason])} {wording[reason][0 if counts[reason] == 1 else 1]}"
            for reason in SkipReason  # always in the same order
            if counts[reason]
        ]
        total = sum(counts.values())
        messages.warning(request, f"{_pages(total)} skipped: {'; '.join(parts)}.")
    refused = defaultdict(list)
    for skipped in outcome.skipped:
        if skipped.reason == SkipReason.REFUSED:
            refused[skipped.message].append(f"“{skipped.article.title}”")
    for message, titles in refused.items():
        messages.error(request, f"Not sent for re-review: {', '.join(titles)}. {message}")


@admin.action(description="Send for periodic re-review", permissions=["change"])
def send_for_periodic_review(modeladmin, request, queryset):
    """The article list's bulk action: send the selected pages whose review is due or overdue."""
    report(request, articles_send_for_periodic_review(articles=queryset, user=request.user))


def send_overdue_view(model_admin, request):
    """The due-reviews page's button: every overdue live page, sent as the bulk action sends."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    now = timezone.now()
    overdue = [
        row["article"]
        for row in reviews_due(now=now)
        if row["status"] == policy.ReviewStatus.OVERDUE
    ]
    if overdue:
        outcome = articles_send_for_periodic_review(articles=overdue, user=request.user, now=now)
        report(request, outcome)
    else:
        messages.info(request, "No live page is overdue for review: nothing was sent.")
    return HttpResponseRedirect(
        reverse("admin:articles_article_due_reviews", current_app=model_admin.admin_site.name)
    )


def due_page_context(model_admin, request) -> dict:
    """
    What the due-reviews page adds to its lists: the calendar link; the button for those who
    may send pages for review; and, for a verified physician, their calendar feed's address.
    """
    site = model_admin.admin_site.name
    context = {
        "calendar_url": reverse("admin:articles_article_review_calendar", current_app=site),
        "send_overdue_url": None,
        "review_feed_url": None,
    }
    if model_admin.has_change_permission(request):
        context["send_overdue_url"] = reverse(
            "admin:articles_article_due_reviews_send_overdue", current_app=site
        )
    profile = (
        ReviewerProfile.objects.verified()
        .select_related("user")
        .filter(user_id=request.user.pk, user__is_active=True)
        .first()
    )
    if profile is not None:
        context["review_feed_url"] = absolute_url(review_feed_path(profile))
    return context
