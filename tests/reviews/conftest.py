"""Fixtures for the reviews tests: revisions with a snapshot each test controls."""

import pytest

from articles.content.snapshot import content_hash
from articles.models import ArticleRevision
from reviews import checks
from tests.factories.articles import ArticleFactory, StaffUserFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory

CITED = {
    "pmid": "29870458",
    "doi": "10.1000/x",
    "text": "Smith J. A trial. Pain Med. 2020;21:100-9.",
    "evidence_label": "rct",
    "url": "https://pubmed.ncbi.nlm.nih.gov/29870458/",
    "manual": False,
}


def make_snapshot(body="<p>Most back pain gets better [PMID:29870458].</p>", **extra):
    return {
        "title": "Back pain",
        "standfirst": "What helps.",
        "body": body,
        "takeaways": ["Keep moving."],
        "faq": [],
        "comparisons": [],
        "citations": [CITED],
        **extra,
    }


def make_revision(article=None, *, user=None, snapshot=None):
    """The next revision of ``article`` (a new article by default), created by ``user``."""
    article = article or ArticleFactory()
    latest = ArticleRevision.objects.filter(article=article).order_by("-number").first()
    number = latest.number + 1 if latest else 1
    snapshot = snapshot or make_snapshot(body=f"<p>Version {number} [PMID:29870458].</p>")
    return ArticleRevision.objects.create(
        article=article,
        number=number,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        created_by=user or StaffUserFactory(),
    )


@pytest.fixture
def revision(db):
    return make_revision(snapshot=make_snapshot())


@pytest.fixture
def reviewer(db):
    return ReviewerProfileFactory()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture(autouse=True)
def _no_retractions():
    """A retraction source that knows of none; tests that need one register their own."""
    previous = checks.set_retraction_source(lambda pmids: set())
    yield
    checks.set_retraction_source(previous)
