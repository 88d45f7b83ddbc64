"""
Periodic re-review at scale: send many live pages whose medical review is due for review at once.

Every page goes through `article_submit_for_review`, the one entry point for sending a page for
review, so the rules and the audit trail are those of a single send. For a page whose content
has not changed since it was approved, that service reuses the live revision: the physician
re-approves it with one decision on the review screen, and the new sign-off moves "last
reviewed" and the next due date. A page with unpublished edits sends its edited draft, which
an editor publishes once approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import formats, timezone

from articles.content.models import Article
from articles.publishing.selectors import reviews_due
from articles.publishing.workflow import article_submit_for_review
from reviews import policy
from reviews.models import ReviewRequest
from reviews.services.audit import resolve_now

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class SkipReason(StrEnum):
    """Why a page was not sent for periodic re-review."""

    NOT_LIVE = "not_live"
    NO_APPROVAL = "no_approval"
    NOT_DUE = "not_due"
    IN_REVIEW = "in_review"
    REFUSED = "refused"


@dataclass(frozen=True)
class Skipped:
    """A page left alone, why, and for a refusal the service's message."""

    article: Article
    reason: SkipReason
    message: str = ""


@dataclass(frozen=True)
class PeriodicReviewOutcome:
    """What `articles_send_for_periodic_review` did: the requests it opened, the pages it left."""

    sent: list[ReviewRequest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # The sent requests for an edited draft rather than the live revision: an editor publishes
    # them once approved (an unchanged page's new approval renews the live page by itself).
    sent_with_edits: list[ReviewRequest] = field(default_factory=list)


def periodic_review_note(*, next_due: datetime, now: datetime) -> str:
    """The note to the physician on a periodic re-review request: why it was sent, and by when."""
    day = formats.date_format(timezone.localdate(next_due), "j F Y")
    if policy.review_status(next_due=next_due, now=now) == policy.ReviewStatus.OVERDUE:
        when = f"was due on {day} and is overdue"
    else:
        when = f"is due on {day}"
    return (
        f"Periodic re-review: this page's medical review {when}. If nothing has changed since "
        "the last approval, approving it again renews the review."
    )


def _asked(row: dict, *, now: datetime) -> dict:
    """
    Whom a periodic re-review asks, and by when: the physician who approved the page, if they
    may still sign (else the reviewing physicians), by the date the review falls due (or the
    default when that is past).
    """
    signoff = row["signoff"]
    reviewer = signoff.reviewer if signoff is not None else None
    assignee = reviewer if reviewer and reviewer.signing_refusal(now) is None else None
    due_on = timezone.localdate(row["next_review_due"])
    return {"assignee": assignee, "due_on": due_on if due_on >= timezone.localdate(now) else None}


def articles_send_for_periodic_review(
    *,
    articles: Iterable[Article],
    user: AbstractBaseUser,
    now: datetime | None = None,
) -> PeriodicReviewOutcome:
    """
    Send each of `articles` whose review is due soon or overdue for a periodic re-review.

    A page is sent only when it is live, its approval in force is due soon or overdue by the
    review policy (`reviews_due` over `REVIEW_DUE_SOON_DAYS`), and no review request of it is
    already open (sending again would only return that request). Each asks the physician who
    approved it, by the date its review falls due (`_asked`). Each is sent with
    `article_submit_for_review` and a note saying it is a periodic re-review; a refusal (no
    permission, a citation PubMed must confirm while it is down ...) skips that page with the
    service's message and the others go on. Every other page is skipped with its reason.

    Deliberately not one transaction: each send opens its own after asking PubMed about any
    unknown citation, which must never happen inside a transaction, and a refusal of one page
    must not undo the others.
    """
    now = resolve_now(now)
    articles = list(articles)
    ids = [article.pk for article in articles]
    # {pk: (live revision, last reviewed)} of the live pages among them; last reviewed is None
    # when the live revision's approval was taken back (changes requested, signer revoked).
    live = {
        pk: (live_revision_id, last_reviewed_at)
        for pk, live_revision_id, last_reviewed_at in Article.objects.live()
        .with_review_dates()
        .filter(pk__in=ids)
        .values_list("pk", "live_revision_id", "last_reviewed_at")
    }
    due = {
        row["article"].pk: row
        for row in reviews_due(now=now, horizon_days=policy.default_due_soon_days())
        if row["article"].pk in live and row["status"] != policy.ReviewStatus.CURRENT
    }
    in_review = set(
        ReviewRequest.objects.filter(
            revision__article_id__in=ids, state=ReviewRequest.State.OPEN
        ).values_list("revision__article_id", flat=True)
    )
    outcome = PeriodicReviewOutcome()
    for article in articles:
        if article.pk not in live:
            outcome.skipped.append(Skipped(article, SkipReason.NOT_LIVE))
        elif live[article.pk][1] is None:
            outcome.skipped.append(Skipped(article, SkipReason.NO_APPROVAL))
        elif article.pk not in due:
            outcome.skipped.append(Skipped(article, SkipReason.NOT_DUE))
        elif article.pk in in_review:
            outcome.skipped.append(Skipped(article, SkipReason.IN_REVIEW))
        else:
            row = due[article.pk]
            note = periodic_review_note(next_due=row["next_review_due"], now=now)
            try:
                request = article_submit_for_review(
                    article=article, user=user, note=note, now=now, **_asked(row, now=now)
                )
            except ValidationError as error:
                message = " ".join(error.messages)
                outcome.skipped.append(Skipped(article, SkipReason.REFUSED, message))
            else:
                outcome.sent.append(request)
                if request.revision_id != live[article.pk][0]:
                    outcome.sent_with_edits.append(request)
    return outcome
