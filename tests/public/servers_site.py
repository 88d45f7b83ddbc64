"""
The editorial actions of `test_withdrawal_servers.py`, run with `manage.py shell -c` against the
database of the gunicorn servers, through the project's real services on the demo site
(`manage.py loaddemo`): the shell returns only after the service's transaction committed.

Each action prints one JSON line: the instant (Unix time) its service returned, that is after the
commit, and the cache backend and database vendor it ran with, so the test can check that the
configuration (local memory or Redis; SQLite or PostgreSQL) is the one under test.
"""

from __future__ import annotations

import json
import time

from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection

from articles.content.models import Article
from articles.management.commands.setup_site import DEMO_USERS
from articles.publishing.workflow import article_unpublish
from reviews.services import review_request_create, signoff_create

PASSWORDS = {username: password for username, password, *_ in DEMO_USERS}
EDITOR = "editor"
# A second physician: the demo's live pages were approved by "reviewer" or "reviewer2"; either
# may send a live revision back.
CRITIC = "reviewer2"


def _report(action: str, slug: str, committed: float) -> None:
    print(
        json.dumps(
            {
                "action": action,
                "slug": slug,
                "committed": committed,
                "cache": type(caches["default"]).__name__,
                "vendor": connection.vendor,
            }
        )
    )


def withdraw(slug: str) -> None:
    """Unpublish the article: its page must answer 404 everywhere from the next request."""
    article_unpublish(
        article=Article.objects.get(slug=slug),
        user=get_user_model().objects.get(username=EDITOR),
        reason="Withdrawn by the servers test.",
    )
    _report("withdraw", slug, committed=time.time())


def request_changes(slug: str) -> None:
    """A physician sends the live revision back: its "current" stamp must go everywhere."""
    revision = Article.objects.get(slug=slug).live_revision
    # A periodic re-review opens a new request (a decided one is not signed again).
    review_request_create(revision=revision, user=get_user_model().objects.get(username=EDITOR))
    signoff_create(
        revision=revision,
        user=get_user_model().objects.get(username=CRITIC),
        password=PASSWORDS[CRITIC],
        decision="changes_requested",
        comment="Changes requested by the servers test.",
        expected_hash=revision.content_hash,
        attested=True,
    )
    _report("request_changes", slug, committed=time.time())
