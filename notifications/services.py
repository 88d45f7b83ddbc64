"""
Notifications: `notify()` records one e-mail per event and enqueues its sending after commit.

The send runs in Django's tasks framework (`notifications.tasks.send_notification`): in
production on a database-backed queue (django-tasks-db) that `manage.py db_worker` works
through, so a slow or failing mail server never slows a request or rolls back the change that
caused the e-mail; in development and tests the immediate backend sends at once. A failed send
is tried again later (NOTIFICATION_RETRIES times, NOTIFICATION_RETRY_SECONDS apart, doubling).

This app imports neither `articles` nor `reviews`: callers pass the recipients, the text and an
absolute link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from notifications.models import Notification

logger = logging.getLogger(__name__)


def notify(
    *,
    kind: str,
    key: str,
    recipients: Iterable[str],
    subject: str,
    body: str,
    link: str = "",
) -> Notification | None:
    """
    Record the e-mail for event (`kind`, `key`) once and send it after the caller's commit.

    Returns the notification, or None when there is nobody to tell or the event was already
    notified (a rerun, a second worker).
    """
    addresses: list[str] = []
    for address in recipients:
        address = (address or "").strip()
        if address and address.lower() not in {known.lower() for known in addresses}:
            addresses.append(address)  # in the caller's order, each inbox once
    if not addresses:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                kind=kind,
                key=key[:200],
                recipients=addresses,
                subject=" ".join(subject.split())[:250],
                body=body,
                link=link,
            )
    except IntegrityError:
        return None  # this event was notified before
    transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from notifications.tasks import send_notification

    try:
        send_notification.enqueue(notification_id)
    except Exception:
        # The queue itself failed: the row stays unsent, `send_unsent` picks it up.
        logger.exception("Could not queue notification %s", notification_id)
