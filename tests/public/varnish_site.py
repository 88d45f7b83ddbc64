"""
The content and the editorial actions of `test_varnish.py`, run with `manage.py shell -c` against
the database of the gunicorn behind Varnish, through the project's real services, so that
purges travel the real way: service -> publication record -> `publication_changed` -> commit ->
`PUBLIC_CACHE_PURGE_URLS`.

Factory sequences restart in every process, so only `seed` makes people; the actions find them
by username.
"""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from django.utils import timezone

from articles.content.models import Article
from articles.content.services import revision_create
from articles.publishing.workflow import article_publish, article_unpublish
from reviews import policy
from reviews.models import ReviewerProfile
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import sign

EDITOR = "varnish-editor"
APPROVER = "varnish-approver"
CRITIC = "varnish-critic"
TITLES = {
    "lapsing": "Lapsing page",
    "steady": "Steady page",
    "contested": "Contested page",
    "waiting": "Waiting page",
    "probe": "Probe page",
}


def _editor():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=EDITOR)


def seed(*, overdue_in: float) -> None:
    """
    Make the site and print its facts as JSON: article ids by name, and the instant (Unix
    time) the "lapsing" page turns overdue, `overdue_in` seconds from now.

    The lapsing page's approval is dated one review interval before that instant, and made
    first: sign-offs form one chain in time order.
    """
    due = timezone.now() + timedelta(seconds=overdue_in)
    with time_machine.travel(due - timedelta(days=policy.default_interval_days()), tick=True):
        editor = EditorFactory(username=EDITOR)
        approver = ReviewerProfileFactory(user__username=APPROVER)
        ReviewerProfileFactory(user__username=CRITIC)
        lapsing = ArticleFactory(title=TITLES["lapsing"], slug="lapsing-page")
        lapsing_revision = revision_create(article=lapsing, user=editor)
        sign(lapsing_revision, reviewer=approver)
    article_publish(article=lapsing, revision=lapsing_revision, user=editor)
    ids = {"lapsing": lapsing.pk}
    for name in ("steady", "contested", "waiting", "probe"):
        article = ArticleFactory(title=TITLES[name], slug=f"{name}-page")
        revision = revision_create(article=article, user=editor)
        sign(revision, reviewer=approver)
        if name != "waiting":
            article_publish(article=article, revision=revision, user=editor)
        ids[name] = article.pk
    print(json.dumps({"ids": ids, "due": due.timestamp()}))


def publish(slug: str) -> None:
    """Publish the article's newest (approved) revision."""
    article = Article.objects.get(slug=slug)
    revision = article.revisions.order_by("-number").first()
    article_publish(article=article, revision=revision, user=_editor())


def unpublish(slug: str) -> None:
    """Withdraw the article from the public site."""
    article_unpublish(
        article=Article.objects.get(slug=slug), user=_editor(), reason="Withdrawn in a test."
    )


def request_changes(slug: str) -> None:
    """A second physician sends the live revision back: its approval is no longer in force."""
    article = Article.objects.get(slug=slug)
    critic = ReviewerProfile.objects.get(user__username=CRITIC)
    sign(article.live_revision, reviewer=critic, decision="changes_requested")
