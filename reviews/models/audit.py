"""The audit trail and the record of review reminders sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from reviews.db import append_only_trigger
from reviews.models.signoffs import AppendOnlyModel, AppendOnlyQuerySet


class AuditEvent(AppendOnlyModel):
    """
    Who did what, and when: submissions, decisions, publishing, failed signatures, reminders.

    Append-only through the ORM, like sign-offs. Foreign keys are kept nullable so that the
    event outlives the objects it mentions; `message` and `data` keep what a reader of the trail
    needs even then. `articles` records its own events (published, unpublished, ...) through
    `reviews.services.audit_record`.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        SIGNATURE_FAILED = "signature_failed", "Signature refused"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        SCHEDULED = "scheduled", "Publication scheduled"
        WITHDRAWN_OVERDUE = "withdrawn_overdue", "Withdrawn: review overdue"
        REMINDER_SENT = "reminder_sent", "Review reminder sent"
        TAMPER_DETECTED = "tamper_detected", "Tampering detected"
        CREDENTIALS_VERIFIED = "credentials_verified", "Reviewer credentials verified"
        FLAGGED = "flagged", "Flagged for review"
        PROFILE_CHANGED = "profile_changed", "Reviewer profile changed"
        CREDENTIALS_REVOKED = "credentials_revoked", "Reviewer credentials revoked for cause"
        APPROVAL_SUPERSEDED = "approval_superseded", "Live approval superseded"
        SIGNING_LOCKED = "signing_locked", "Signing locked after failed passwords"
        POLICY_CHANGED = "policy_changed", "Review policy changed"
        PASSKEY_ADDED = "passkey_added", "Passkey added"
        PASSKEY_REMOVED = "passkey_removed", "Passkey removed"

    action = models.CharField(
        max_length=32, choices=Action.choices, db_index=True, help_text="What happened."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who did it; empty for the system (scheduled jobs, commands).",
    )
    at = models.DateTimeField(db_index=True, help_text="When it happened.")
    revision = models.ForeignKey(
        "articles.ArticleRevision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text="The revision concerned, if any.",
    )
    article = models.ForeignKey(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text="The article concerned, if any.",
    )
    message = models.TextField(help_text="What happened, in words.")
    data = models.JSONField(
        default=dict, blank=True, help_text="Details for machines: ids, hashes, reasons."
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["article", "-at"], name="auditevent_article_at")]
        triggers = [append_only_trigger()]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}: {self.message[:60]}"


class ReminderLog(models.Model):
    """
    A review reminder that was sent, so each one goes out at most once.

    Unique per article, stage and due date: the same stage of the same review cycle is never
    reminded twice, while a new cycle (a new sign-off, hence a new due date) reminds again.
    """

    class Stage(models.TextChoices):
        DUE_SOON = "due-soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="review_reminders",
        help_text="The article whose review was due.",
    )
    stage = models.CharField(
        max_length=10, choices=Stage.choices, help_text="Which reminder: due soon or overdue."
    )
    next_due = models.DateTimeField(help_text="The review due date the reminder was about.")
    sent_at = models.DateTimeField(help_text="When the reminder was sent.")
    recipients = models.JSONField(
        default=list, blank=True, help_text="The addresses it was sent to."
    )

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "stage", "next_due"], name="reminderlog_once_per_stage_and_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} reminder for article {self.article_id}"
