"""The audit trail and the reminder log: append records of what happened."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews.models import AuditEvent, ReminderLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reviews.types import Reviewable as Article
    from reviews.types import SignableRevision as ArticleRevision


def resolve_now(now: datetime | None) -> datetime:
    """``now`` if given (it must be timezone-aware), else the current time."""
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware.")
    return now


def audit_record(
    *,
    action: str,
    message: str,
    actor: AbstractBaseUser | None = None,
    revision: ArticleRevision | None = None,
    article: Article | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """
    Append one event to the audit trail.

    When only a revision is given, its article is recorded too, so an article's history can be
    read with one filter. `actor=None` means the system (a command or scheduled job).
    """
    article_id = article.pk if article is not None else getattr(revision, "article_id", None)
    event = AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=resolve_now(now),
        revision_id=revision.pk if revision is not None else None,
        article_id=article_id,
        message=message,
        data=data or {},
    )
    event.full_clean()
    event.save()
    return event


def reminder_claim(
    *,
    article: Article,
    stage: str,
    next_due: datetime,
    recipients: Collection[str] = (),
    now: datetime | None = None,
) -> bool:
    """
    Claim the right to send one review reminder; False if it was already sent.

    Call inside the same transaction as the sending, so a failed send un-claims it::

        with transaction.atomic():
            if reminder_claim(article=a, stage="overdue", next_due=due):
                send_mail(...)

    The unique (article, stage, next_due) constraint makes this idempotent even when two runs
    of the reminder command overlap.
    """
    now = resolve_now(now)
    try:
        with transaction.atomic():
            log = ReminderLog(
                article_id=article.pk,
                stage=stage,
                next_due=next_due,
                sent_at=now,
                recipients=sorted(recipients),
            )
            log.full_clean(validate_unique=False, validate_constraints=False)
            log.save()
    except IntegrityError:
        return False
    audit_record(
        action=AuditEvent.Action.REMINDER_SENT,
        article=article,
        message=f"Review reminder ({log.get_stage_display().lower()}) for the review due "
        f"{next_due.isoformat()}.",
        data={"stage": stage, "next_due": next_due.isoformat(), "recipients": log.recipients},
        now=now,
    )
    return True
