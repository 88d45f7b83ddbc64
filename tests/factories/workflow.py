"""Helpers for workflow tests: revisions signed by a physician, through the real services."""

from __future__ import annotations

import functools

import time_machine

from articles.content.services import article_update, revision_create
from articles.models import Article, ArticleRevision
from reviews.models import SignOff
from reviews.services import signoff_create
from tests.factories.articles import EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory


def sign(revision: ArticleRevision, *, reviewer=None, decision="approved", now=None, **kwargs):
    """
    A real sign-off of `revision` by `reviewer` (a new verified physician by default).

    Signing reads the server clock; `now` moves that clock (time-machine) for the signature,
    as the demo loader does, rather than passing a time to the service.
    """
    reviewer = reviewer or ReviewerProfileFactory()
    kwargs.setdefault("expected_hash", revision.content_hash)
    call = functools.partial(
        signoff_create,
        revision=revision,
        user=reviewer.user,
        password=PASSWORD,
        decision=decision,
        attested=True,
        comment=kwargs.pop("comment", "Needs a source." if decision != "approved" else ""),
        **kwargs,
    )
    if now is None:
        return call()
    with time_machine.travel(now, tick=False):
        return call()


def approved_revision(article: Article, *, editor=None, reviewer=None, now=None):
    """The article's current draft as a revision made by `editor`, approved by a physician."""
    editor = editor or EditorFactory()
    revision = revision_create(article=article, user=editor)
    sign(revision, reviewer=reviewer, decision=SignOff.Decision.APPROVED, now=now)
    return revision


def edit_body(article: Article, body: str, *, editor) -> ArticleRevision:
    """Save a new body through the service (as the admin does) and make its revision."""
    article.refresh_from_db()
    article_update(
        article=article, data={"body": body}, expected_version=article.version, user=editor
    )
    return revision_create(article=article, user=editor)
