"""The task that sends a notification's e-mail, and tries again later when the send fails."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task, task_backends
from django.utils import timezone

from notifications.models import Notification

logger = logging.getLogger(__name__)


@task()
def send_notification(notification_id: int) -> str:
    """Send one notification if it was not sent yet; on failure, schedule another attempt."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id).first()
        )
        if notification is None or notification.sent_at is not None:
            return "already sent"
        notification.attempts += 1
        body = notification.body + (f"\n\n{notification.link}\n" if notification.link else "")
        try:
            send_mail(notification.subject, body, None, notification.recipients)
        except Exception as exc:  # any mail failure: retried below, never lost
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            _retry_later(notification)
            return "failed"
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "sent_at", "last_error"])
    return "sent"


def _retry_later(notification: Notification) -> None:
    retries = int(getattr(settings, "NOTIFICATION_RETRIES", 5))
    if notification.attempts > retries:
        logger.error(
            "Notification %s not sent after %s attempts: %s",
            notification.pk,
            notification.attempts,
            notification.last_error,
        )
        return
    delay = float(getattr(settings, "NOTIFICATION_RETRY_SECONDS", 60)) * 2 ** (
        notification.attempts - 1
    )
    backend = task_backends[send_notification.backend]
    if not backend.supports_defer:
        logger.warning(
            "Notification %s failed (%s); this task backend cannot retry later.",
            notification.pk,
            notification.last_error,
        )
        return
    transaction.on_commit(
        lambda: send_notification.using(
            run_after=timezone.now() + timedelta(seconds=delay)
        ).enqueue(notification.pk)
    )
