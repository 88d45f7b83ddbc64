"""
Who is told what by e-mail, and when: the editorial loop's notifications (issue 12).

Each event gives one e-mail, recorded once (`notifications.services.notify`, keyed by the
event) and sent by a task after the commit, each with a deep link:

- a page sent for review (by an editor, or by the site for a retracted source): the physician
  it names, or the physicians of its pool (`reviews.selectors.physicians_asked`: verified, not
  among its editors or byline), with the date it is wanted by;
- a physician's decision: the editor who sent it and the page's editors and authors, with the
  physician's comment; and, when an approval leaves the page's approval policy unmet (two
  physicians, one of a specialty), the physicians who can give the next approval;
- a publication: the page's editors and the approving physician;
- a reader's report: the Editors.

(A signing lockout is notified by `reviews.services.lockout`.)
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from articles.content.models import Article, ArticleRevision
from articles.publishing.structured_data import absolute_url
from notifications.models import Notification
from notifications.services import notify
from reviews.models import ReviewRequest, SignOff
from reviews.selectors import physicians_asked

EDITORS = "Editors"


def _addresses(users) -> list[str]:
    return sorted({user.email for user in users if user.is_active and user.email})


def _page_editors(revision: ArticleRevision) -> list:
    """Everyone who edited the revision's content, and its byline authors with a login."""
    User = get_user_model()
    ids = {revision.created_by_id, *(revision.editor_ids or []), *(revision.byline_user_ids or [])}
    return list(User.objects.filter(pk__in=[pk for pk in ids if pk]))


def _admin_url(name: str, *args) -> str:
    return absolute_url(reverse(f"admin:{name}", args=args))


def on_review_request_saved(sender, instance: ReviewRequest, created: bool, **kwargs) -> None:
    """A page was sent for review: tell the physicians it asks (its assignee, or its pool)."""
    if not created:
        return
    revision = instance.revision
    physicians = [profile.user for profile in physicians_asked(instance)]
    title = revision.snapshot.get("title", "")
    sender_name = (
        instance.submitted_by.get_full_name() or instance.submitted_by.get_username()
        if instance.submitted_by
        else "The site (a source the page cites changed)"
    )
    asked = (
        "you"
        if instance.assignee_id
        else (f"the {instance.pool} pool" if instance.pool else "the reviewing physicians")
    )
    due = f", wanted by {instance.due_on.day} {instance.due_on:%B %Y}" if instance.due_on else ""
    notify(
        kind=Notification.Kind.REVIEW_REQUESTED,
        key=f"request:{instance.pk}",
        recipients=_addresses(physicians),
        subject=f"For your review: {title} (revision {revision.number})",
        body=(
            f"{sender_name} sent revision {revision.number} of '{title}' for medical review "
            f"to {asked}{due}."
            + (f"\n\nNote: {instance.note}" if instance.note else "")
            + "\n\nOpen the review screen:"
        ),
        link=_admin_url("articles_article_review", revision.pk),
    )


def on_decision_recorded(sender, *, signoff: SignOff, now, **kwargs) -> None:
    """A physician decided: tell who sent it and the page's editors and authors."""
    revision = signoff.revision
    request = (
        ReviewRequest.objects.filter(revision=revision)
        .select_related("submitted_by")
        .order_by("-submitted_at")
        .first()
    )
    people = _page_editors(revision)
    if request is not None and request.submitted_by is not None:
        people.append(request.submitted_by)
    people = [user for user in people if user.pk != signoff.signer_id]
    title = revision.snapshot.get("title", "")
    decision = signoff.get_decision_display().lower()
    comment = f"\n\nThe physician's comment:\n{signoff.comment}" if signoff.comment else ""
    notify(
        kind=Notification.Kind.DECISION,
        key=f"decision:{signoff.pk}",
        recipients=_addresses(people),
        subject=f"{signoff.display_name}: {decision} on '{title}' (revision {revision.number})",
        body=(
            f"{signoff.display_name} recorded '{decision}' on revision {revision.number} of "
            f"'{title}' on {signoff.signed_at:%d %B %Y at %H:%M %Z}.{comment}\n\nOpen the article:"
        ),
        link=_admin_url("articles_article_change", revision.article_id),
    )
    still_open = ReviewRequest.objects.filter(revision=revision, state=ReviewRequest.State.OPEN)
    if signoff.is_approval and (waiting := still_open.select_related("assignee").first()):
        # An approval policy of several physicians is not met yet: ask the next ones.
        notify(
            kind=Notification.Kind.REVIEW_REQUESTED,
            key=f"request:{waiting.pk}:after:{signoff.pk}",
            recipients=_addresses(
                p.user for p in physicians_asked(waiting) if p.pk != signoff.reviewer_id
            ),
            subject=f"Another approval needed: {title} (revision {revision.number})",
            body=(
                f"{signoff.display_name} approved revision {revision.number} of '{title}'. "
                f"{revision.approval_policy().describe()} Your approval is asked "
                + (f"(the {waiting.pool} pool)" if waiting.pool else "(any physician)")
                + ".\n\nOpen the review screen:"
            ),
            link=_admin_url("articles_article_review", revision.pk),
        )


def notify_published(*, article: Article, revision: ArticleRevision, signoff: SignOff) -> None:
    """A revision went live: tell the page's editors and the approving physician."""
    people = [*_page_editors(revision), signoff.signer]
    title = revision.snapshot.get("title", "")
    notify(
        kind=Notification.Kind.PUBLISHED,
        key=f"published:{article.pk}:{revision.pk}",
        recipients=_addresses(people),
        subject=f"Published: {title}",
        body=(
            f"Revision {revision.number} of '{title}', approved by {signoff.display_name}, is "
            "now live.\n\nThe public page:"
        ),
        link=absolute_url(article.get_absolute_url()),
    )


def notify_report(*, report) -> None:
    """A reader reported a problem: tell the Editors."""
    User = get_user_model()
    editors = User.objects.filter(groups__name=EDITORS, is_active=True).distinct()
    article = report.article
    notify(
        kind=Notification.Kind.REPORT,
        key=f"report:{report.pk}",
        recipients=_addresses(editors),
        subject=f"A reader reported a problem with '{article.title}'",
        body=(
            f"A reader wrote about '{article.title}':\n\n{report.message}\n\n"
            + ("They would like a reply. " if report.email else "")
            + "Open the report:"
        ),
        link=_admin_url("articles_problemreport_change", report.pk),
    )


def connect() -> None:
    from django.db.models.signals import post_save

    from reviews.signals import decision_recorded

    post_save.connect(
        on_review_request_saved, sender=ReviewRequest, dispatch_uid="notify_review_requested"
    )
    decision_recorded.connect(on_decision_recorded, dispatch_uid="notify_decision")
