"""A notification: one e-mail, recorded once per event and sent by a task."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """
    One e-mail about one event (a page sent for review, a decision, a publication, a reader's
    report, a signing lockout), with a deep link. `key` names the event: the same event never
    gives a second notification, however often its code runs.
    """

    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", "Sent for review"
        DECISION = "decision", "Physician's decision"
        PUBLISHED = "published", "Published"
        REPORT = "report", "Reader's report"
        LOCKOUT = "lockout", "Signing locked"
        PASSKEY = "passkey", "Passkey added"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="The event: one notification per key.")
    recipients = models.JSONField(default=list, help_text="E-mail addresses.")
    subject = models.CharField(max_length=250)
    body = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="notifications_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
