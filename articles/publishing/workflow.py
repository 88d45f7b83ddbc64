"""
The editorial workflow that joins articles to medical review: submit, publish, schedule, withdraw.

`article_publish` is the only code that sets `Article.live_revision`. It publishes a revision
only when a physician approved that exact content: an approving sign-off whose signed
`content_hash` is the revision's stored hash, *and* a stored snapshot that still hashes to it
(so a revision changed behind the application's back is refused, with both hashes named).
Scheduled publications run the same checks twice: when they are scheduled and again when
`publish_due_scheduled` carries them out.

Who may publish: an active staff user with the `articles.change_article` permission (the
Editors role), or a superuser. There is deliberately no separate "publish" permission: the
gate that matters is the physician's approval, which no role can skip. Refusals raise
`PublishRefused`; a refusal caused by tampering is also written to the audit trail, after the
publishing transaction has rolled back so the record survives (callers must handle the
exception rather than let an enclosing transaction roll back, as with `signoff_create`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from articles.content.models import Article, ArticleRevision
from articles.content.services import article_citations_fetch, revision_create
from articles.publishing.models import ScheduledPublication
from articles.publishing.notifications import notify_published
from articles.publishing.publication import publication_sync
from references.services import OFFLINE
from reviews.models import AuditEvent, ReviewerProfile, ReviewRequest, SignOff
from reviews.selectors import approval_in_force, newest_decision
from reviews.services import audit_record, review_request_create, separation_of_duties_refusal
from reviews.services.audit import resolve_now

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


class WorkflowRefused(ValidationError):
    """A workflow step was refused; `code` names the rule and the message says why."""


class PublishRefused(WorkflowRefused):
    """A revision may not be published (or scheduled); nothing was changed."""


def can_publish(user: AbstractBaseUser) -> bool:
    """Whether `user` may publish, schedule and unpublish articles (Editors, superusers)."""
    return bool(
        user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("articles.change_article"))
    )


def _require_publisher(user: AbstractBaseUser) -> None:
    if not can_publish(user):
        raise PublishRefused(
            "Only editors (staff with permission to change articles) can publish, schedule "
            "or unpublish an article.",
            code="permission",
        )


def _short(digest: str) -> str:
    return f"{digest[:8]}…"


def publish_refusal(*, article: Article, revision: ArticleRevision) -> PublishRefused | None:
    """
    Why `revision` may not be published as `article`'s live content, or None if it may.

    `revision` must be freshly read from the database: the hash check is only worth anything
    against the stored snapshot. The rules, in order: the revision belongs to the article; it
    has an approval in force (`SignOff.objects.in_force`: the newest decision on it, of its
    stored hash, by a signer not revoked); the signer is verified and active now; the signer
    did not write, edit or author it (as the revision recorded it); the approvals in standing
    meet the approval policy of the article's topics (two physicians, one of a specialty...);
    the stored content still hashes to the signed hash.
    """
    label = f"Revision {revision.number} of '{article.title}'"
    if revision.article_id != article.pk:
        return PublishRefused(
            f"Revision {revision.number} belongs to another article, not '{article.title}'.",
            code="wrong_article",
        )
    signoff = approval_in_force(revision)
    if signoff is None:
        latest = newest_decision(revision)
        if latest is None:
            return PublishRefused(
                f"{label} has not been approved by a medical reviewer, so it cannot be "
                "published. Send it for review first.",
                code="not_approved",
            )
        if not latest.is_approval:
            return PublishRefused(
                f"{label} cannot be published: {latest.display_name} requested changes on "
                f"{latest.signed_at:%d %B %Y}. Make the changes and send it for review again.",
                code="changes_requested",
            )
        if latest.reviewer.is_revoked:
            return PublishRefused(
                f"{label} cannot be published: the credentials of {latest.display_name}, who "
                "approved it, were revoked. Send it for review by another physician.",
                code="signer_revoked",
            )
        # An approval on record, but of other content than the revision now claims.
        return PublishRefused(
            f"{label} has no approval of its content: the approval on record signed hash "
            f"{_short(latest.content_hash)}, but the revision's hash is "
            f"{_short(revision.content_hash)}.",
            code="hash_mismatch",
        )
    signer = ReviewerProfile.objects.select_related("user").get(pk=signoff.reviewer_id)
    if not signer.is_verified or not signer.user.is_active:
        return PublishRefused(
            f"{label} cannot be published: {signoff.display_name}, who approved it, is no "
            "longer a verified, active reviewer. Send it for review again.",
            code="signer_not_in_good_standing",
        )
    if (reason := separation_of_duties_refusal(revision=revision, user=signer.user)) is not None:
        return PublishRefused(
            f"{label} cannot be published: its approval by {signoff.display_name} breaks "
            f"separation of duties ({reason}) Send it for review by another physician.",
            code="separation_of_duties",
        )
    if (unmet := _approval_policy_unmet(revision)) is not None:
        return PublishRefused(
            f"{label} cannot be published yet: {unmet}", code="approval_policy_unmet"
        )
    actual = revision.compute_hash()
    if actual != signoff.content_hash:
        return PublishRefused(
            f"{label} was changed after approval: signed hash {_short(signoff.content_hash)}, "
            f"content now hashes to {_short(actual)}. It cannot be published; run "
            "verify_signoffs and investigate.",
            code="tampered",
        )
    return None


def _approval_policy_unmet(revision: ArticleRevision) -> str | None:
    """
    What the revision's approval policy (its topics': `reviews.approvals`) still needs, counting
    the approvals in standing whose physicians may vouch for them now (verified, active, not
    an author or editor of it); None when it is met.
    """
    policy = revision.approval_policy()
    if policy.needed == 1 and not policy.specialties:
        return None  # the approval in force, checked above, is all it needs
    standing = (
        SignOff.objects.standing()
        .filter(revision_id=revision.pk, reviewer__verified_at__isnull=False)
        .filter(reviewer__user__is_active=True)
        .select_related("reviewer__user")
    )
    return policy.unmet(
        (s.reviewer_id, s.reviewer.specialty)
        for s in standing
        if separation_of_duties_refusal(revision=revision, user=s.reviewer.user) is None
    )


def _audit_tampering(refusal: PublishRefused, *, revision: ArticleRevision, user, now) -> None:
    if refusal.code in {"tampered", "hash_mismatch"}:
        audit_record(
            action=AuditEvent.Action.TAMPER_DETECTED,
            actor=user,
            revision=revision,
            message=f"Publication refused: {refusal.message}",
            data={"code": refusal.code},
            now=now,
        )


def article_submit_for_review(
    *,
    article: Article,
    user: AbstractBaseUser,
    note: str = "",
    assignee: ReviewerProfile | None = None,
    pool: str = "",
    due_on: date | None = None,
    client: Any = None,
    now: datetime | None = None,
) -> ReviewRequest:
    """
    Send the article's current draft for medical review, to ``assignee`` or a ``pool`` of
    physicians, wanted by ``due_on`` (`review_request_create` says the defaults and refusals).

    Makes sure a revision of the stored draft exists (`revision_create`, which reuses the
    latest revision when the content is unchanged, so re-submitting approved content asks for a
    periodic re-review of the same revision), then opens a review request for it
    (`review_request_create`, which records "submitted" in the audit trail and cancels older
    open requests of the article). `client` is the PubMed client for unknown PMIDs: they are
    fetched before the transaction opens.
    """
    if not (user.is_active and user.is_staff and user.has_perm("articles.change_article")):
        raise WorkflowRefused(
            "Only editors (staff with permission to change articles) can send an article for "
            "review.",
            code="permission",
        )
    article_citations_fetch(article=article, client=client)
    with transaction.atomic():
        revision = revision_create(article=article, user=user, client=OFFLINE)
        return review_request_create(
            revision=revision,
            user=user,
            note=note.strip(),
            assignee=assignee,
            pool=pool,
            due_on=due_on,
            now=now,
        )


def _set_live(
    *, article: Article, revision: ArticleRevision, signoff: SignOff, user, now: datetime
) -> Article:
    """Point the article at `revision`. The article row must be locked by the caller."""
    fields = ["live_revision"]
    article.live_revision = revision
    if article.first_published_at is None:
        article.first_published_at = now
        fields.append("first_published_at")
    # The flag is cleared only by an approval made after it was set. The flag has no timestamp
    # of its own, but every write that sets it (an editor's save, `refresh_citations`) moves
    # `updated_at`, so an approval signed later than that has seen the flagged state.
    cleared = article.needs_review and signoff.signed_at > article.updated_at
    if cleared:
        article.needs_review = False
        article.needs_review_reason = ""
        # A change of a field the editors' form holds: bump the version so that a form opened
        # before now cannot silently put the flag back (optimistic locking).
        article.version = F("version") + 1
        fields += ["needs_review", "needs_review_reason", "version"]
    article.save(update_fields=fields)
    article.refresh_from_db(fields=["version"])
    # The public read model follows in the same transaction: no reader sees one without the other.
    publication_sync(article=article, now=now)
    # A publication made now replaces whatever was scheduled for later.
    ScheduledPublication.objects.filter(article=article).delete()
    audit_record(
        action=AuditEvent.Action.PUBLISHED,
        actor=user,
        revision=revision,
        message=f"Revision {revision.number} published (approved by {signoff.display_name}, "
        f"{signoff.signed_at:%Y-%m-%d %H:%M %Z}).",
        data={
            "signoff_id": signoff.pk,
            "content_hash": signoff.content_hash,
            "needs_review_cleared": cleared,
        },
        now=now,
    )
    logger.info("Article %s revision %s published by %s", article.pk, revision.number, user)
    return article


def _locked(article: Article, revision: ArticleRevision) -> tuple[Article, ArticleRevision]:
    """The article row locked for this transaction, and the revision as stored now."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    return locked, ArticleRevision.objects.get(pk=revision.pk)


def article_publish(
    *,
    article: Article,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    now: datetime | None = None,
) -> Article:
    """
    Make `revision` the article's public content: the only way anything reaches the public.

    Refuses (`PublishRefused`, nothing changed) a user who may not publish and any revision
    that `publish_refusal` rejects: another article's, unapproved, only "changes requested",
    approved for a different hash, or changed since it was approved. Sets `first_published_at`
    on the first publication, clears `needs_review` when the approval postdates the flag,
    replaces any scheduled publication, and records "published". Returns the article as now
    stored; the caller's `article` instance is refreshed too.
    """
    now = resolve_now(now)
    try:
        with transaction.atomic():
            _require_publisher(user)
            locked, stored = _locked(article, revision)
            if (refusal := publish_refusal(article=locked, revision=stored)) is not None:
                raise refusal
            signoff = approval_in_force(stored)
            published = _set_live(
                article=locked, revision=stored, signoff=signoff, user=user, now=now
            )
            notify_published(article=locked, revision=stored, signoff=signoff)
    except PublishRefused as refusal:
        _audit_tampering(refusal, revision=revision, user=user, now=now)
        raise
    if published is not article:
        article.refresh_from_db()  # the caller's instance shows what is now stored
    return published


def article_schedule_publication(
    *,
    article: Article,
    revision: ArticleRevision,
    user: AbstractBaseUser,
    publish_at: datetime,
    now: datetime | None = None,
) -> ScheduledPublication:
    """
    Schedule `revision` to go live at `publish_at` (replacing any pending schedule).

    The same checks as `article_publish` are made now, and again when `publish_due_scheduled`
    carries the schedule out. `publish_at` must be in the future: to publish now, publish.
    Records "scheduled".
    """
    now = resolve_now(now)
    try:
        with transaction.atomic():
            _require_publisher(user)
            if publish_at <= now:
                raise PublishRefused(
                    "Choose a publication time in the future, or publish now.", code="past"
                )
            locked, stored = _locked(article, revision)
            if (refusal := publish_refusal(article=locked, revision=stored)) is not None:
                raise refusal
            scheduled, _ = ScheduledPublication.objects.update_or_create(
                article=locked,
                defaults={
                    "revision": stored,
                    "publish_at": publish_at,
                    "scheduled_by": user,
                    "created_at": now,
                },
            )
            audit_record(
                action=AuditEvent.Action.SCHEDULED,
                actor=user,
                revision=stored,
                message=f"Revision {stored.number} scheduled for publication at "
                f"{publish_at:%Y-%m-%d %H:%M %Z}.",
                data={"publish_at": publish_at.isoformat()},
                now=now,
            )
            return scheduled
    except PublishRefused as refusal:
        _audit_tampering(refusal, revision=revision, user=user, now=now)
        raise


@transaction.atomic
def article_unpublish(
    *, article: Article, user: AbstractBaseUser, reason: str, now: datetime | None = None
) -> Article:
    """
    Withdraw a live article from the public site (its page answers 404), saying why.

    The revisions and sign-offs stay; the article can be published again. A pending scheduled
    publication is cancelled too, since it would otherwise bring the page back unannounced.
    `first_published_at` is kept: the article is "withdrawn", not "never published".
    """
    now = resolve_now(now)
    _require_publisher(user)
    reason = reason.strip()
    if not reason:
        raise WorkflowRefused("Say why the article is being unpublished.", code="no_reason")
    locked = Article.objects.select_for_update().get(pk=article.pk)
    cancelled = ScheduledPublication.objects.filter(article=locked).delete()[0]
    if locked.live_revision_id is None and not cancelled:
        raise WorkflowRefused(f"'{locked.title}' is not published.", code="not_live")
    was_live = locked.live_revision_id
    locked.live_revision = None
    locked.save(update_fields=["live_revision"])
    publication_sync(article=locked, now=now)
    audit_record(
        action=AuditEvent.Action.UNPUBLISHED,
        actor=user,
        article=locked,
        message=f"Unpublished: {reason}",
        data={"revision_id": was_live, "scheduled_publication_cancelled": bool(cancelled)},
        now=now,
    )
    logger.info("Article %s unpublished by %s", locked.pk, user)
    article.live_revision = None
    return locked


def publish_due_scheduled(*, now: datetime) -> list[Article]:
    """
    Carry out every scheduled publication due at `now`; return the articles published.

    Run every minute by `manage.py publish_scheduled`. Each schedule is handled in its own
    transaction with its row locked (on PostgreSQL, rows another run holds are skipped, so two
    overlapping runs never publish twice). The checks are made again: a schedule that no
    longer passes (the revision was tampered with, the scheduler lost the right to publish) is
    cancelled and the reason recorded in the audit trail, rather than retried every minute.
    """
    published = []
    due_ids = list(
        ScheduledPublication.objects.filter(publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in due_ids:
        refusal = None
        with transaction.atomic():
            scheduled = (
                ScheduledPublication.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("article", "revision", "scheduled_by")
                .filter(pk=pk, publish_at__lte=now)
                .first()
            )
            if scheduled is None:  # done by another run, or rescheduled meanwhile
                continue
            try:
                with transaction.atomic():
                    article = article_publish(
                        article=scheduled.article,
                        revision=scheduled.revision,
                        user=scheduled.scheduled_by,
                        now=now,
                    )
            except PublishRefused as error:
                refusal = error
                scheduled.delete()
                audit_record(
                    action=AuditEvent.Action.SCHEDULED,
                    revision=scheduled.revision,
                    message=f"Scheduled publication of revision {scheduled.revision.number} "
                    f"cancelled: {error.message}",
                    data={"cancelled": True, "code": error.code},
                    now=now,
                )
            else:
                published.append(article)
        if refusal is not None:
            logger.warning("Scheduled publication %s cancelled: %s", pk, refusal.message)
    return published
