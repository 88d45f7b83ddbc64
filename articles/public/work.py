"""
The admin home's "Your work": what each person has to do, with counts, on their first screen.

- a physician: "Awaiting your review" (open requests naming them or their pool, not their
  own pages), "Your passkeys" (how many they may sign with) and "Due re-reviews" (live pages
  they approved whose review is due soon or overdue);
- an editor: "Changes requested", "Approved, ready to publish", "Flagged for review" (a
  retracted source, a reader's report) and "Reader reports" not yet handled;
- a site admin: "Credentials expiring" (licences ending within 60 days, or ended).

Each row links to the list that shows exactly those items.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone

from articles.content.models import Article
from articles.public.models import ProblemReport
from articles.publishing.selectors import reviews_due_for_reviewer
from reviews import policy
from reviews.models import ReviewerProfile
from reviews.selectors import requests_for_reviewer, writers_of

EXPIRY_HORIZON_DAYS = 60


def _row(label: str, count: int, url: str, help_text: str) -> dict:
    return {"label": label, "count": count, "url": url, "help": help_text}


def work_for(user: AbstractBaseUser) -> list[dict]:
    """The rows of "Your work" for `user` (empty for someone with nothing to do here)."""
    now = timezone.now()
    rows: list[dict] = []
    profile = ReviewerProfile.objects.verified().filter(user_id=user.pk).first()
    if profile is not None:
        waiting = [
            request
            for request in requests_for_reviewer(profile)
            if user.pk not in writers_of(request.revision)
        ]
        rows.append(
            _row(
                "Awaiting your review",
                len(waiting),
                reverse("admin:articles_article_review_queue") + "?for=me",
                "Revisions sent for medical review to you or to your pool.",
            )
        )
        due = reviews_due_for_reviewer(
            reviewer_id=profile.pk, now=now, horizon_days=policy.default_due_soon_days()
        )
        rows.append(
            _row(
                "Your passkeys",
                profile.passkeys.filter(revoked_at=None).count(),
                reverse("admin:reviews_passkeys"),
                "Sign reviews with your own device instead of typing your password.",
            )
        )
        rows.append(
            _row(
                "Due re-reviews",
                len(due),
                reverse("admin:articles_article_due_reviews"),
                "Pages you approved whose review is due soon or overdue.",
            )
        )
    if user.has_perm("articles.change_article"):
        statuses = Article.objects.with_status()
        changelist = reverse("admin:articles_article_changelist")
        rows += [
            _row(
                "Changes requested",
                statuses.filter(status="changes_requested").count(),
                f"{changelist}?status=changes_requested",
                "A physician asked for changes: read the comment, edit, send again.",
            ),
            _row(
                "Approved, ready to publish",
                statuses.filter(status="approved").count(),
                f"{changelist}?status=approved",
                "Signed by a physician and waiting for you to publish.",
            ),
            _row(
                "Flagged for review",
                Article.objects.filter(needs_review=True).count(),
                f"{changelist}?needs_review__exact=1",
                "A cited source was retracted or a reader reported a problem.",
            ),
        ]
    if user.has_perm("articles.view_problemreport"):
        rows.append(
            _row(
                "Reader reports",
                ProblemReport.objects.filter(status="new").count(),
                reverse("admin:articles_problemreport_changelist") + "?status__exact=new",
                "Reports from readers that nobody has handled yet.",
            )
        )
    if user.has_perm("reviews.change_reviewerprofile"):
        horizon = now.date() + timedelta(days=EXPIRY_HORIZON_DAYS)
        rows.append(
            _row(
                "Credentials expiring",
                ReviewerProfile.objects.verified()
                .filter(licence_expires_on__lte=horizon)
                .count(),
                reverse("admin:reviews_reviewerprofile_changelist"),
                f"Physicians whose licence ends within {EXPIRY_HORIZON_DAYS} days, or ended.",
            )
        )
    return rows
