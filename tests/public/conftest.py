"""Fixtures for the public-site tests: no network, and helpers to sign and publish."""

import pytest
import time_machine
from django.utils import timezone

from reviews.services import signoff_create
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory


class _NoNetwork:
    def fetch(self, pmids):
        raise AssertionError(f"A test tried to reach PubMed for {list(pmids)}")


@pytest.fixture(autouse=True)
def _no_pubmed(monkeypatch):
    """Tests never reach PubMed: a client built from settings fails the test if used."""
    monkeypatch.setattr("articles.content.services.pubmed_client_from_settings", _NoNetwork)


def approve(revision, reviewer=None, *, now=None):
    """
    A physician's approval of `revision` (a re-review when it was approved before).

    Signing reads the server clock, so `now` moves that clock for the signature.
    """
    reviewer = reviewer or ReviewerProfileFactory()
    with time_machine.travel(now or timezone.now(), tick=now is None):
        return signoff_create(
            revision=revision,
            expected_hash=revision.content_hash,
            user=reviewer.user,
            password=PASSWORD,
            decision="approved",
            attested=True,
        )


def publish(article, reviewer=None, *, editor=None, now=None):
    """
    The real path to the public: a revision of the draft, a physician's approval, publishing.

    Returns the approving sign-off. Unlike `make_live`, this records the "published" audit
    event that the review history lists.
    """
    from articles.content.services import revision_create
    from articles.publishing.workflow import article_publish
    from tests.factories.articles import EditorFactory

    editor = editor or EditorFactory()
    revision = revision_create(article=article, user=editor)
    signoff = approve(revision, reviewer, now=now)
    article_publish(article=article, revision=revision, user=editor, now=now)
    return signoff


@pytest.fixture
def editorial_policy_page(db):
    """
    The editorial policy row as migration 0003 seeds it.

    Browser tests run in transactions that end with a table flush, which removes rows that
    migrations seeded; tests that need the seeded row make sure it is there.
    """
    from articles.public.models import EDITORIAL_POLICY_SLUG, SitePage
    from articles.public.site_defaults import EDITORIAL_POLICY_HTML, EDITORIAL_POLICY_TITLE

    page, _ = SitePage.objects.get_or_create(
        slug=EDITORIAL_POLICY_SLUG,
        defaults={"title": EDITORIAL_POLICY_TITLE, "body": EDITORIAL_POLICY_HTML},
    )
    return page
