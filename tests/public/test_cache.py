"""The article page cache: no SQL on a hit, invalidation on sign-off/publish/unpublish, and
review status recomputed at read time."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.content.services import article_update
from articles.publishing.workflow import article_unpublish
from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    ContributorFactory,
    EditorFactory,
    TopicFactory,
)
from tests.public.conftest import approve, publish

pytestmark = pytest.mark.django_db


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


@pytest.fixture
def article():
    article = ArticleFactory(title="Cached page", faq=1)
    publish(article)
    return article


def test_a_cache_hit_makes_no_sql_query_and_returns_the_same_page(client, article):
    url = article.get_absolute_url()
    first, first_queries = _get(client, url)
    assert first.status_code == 200 and first["X-Article-Cache"] == "miss"
    assert first_queries > 0
    second, second_queries = _get(client, url)
    assert second["X-Article-Cache"] == "hit"
    assert second_queries == 0
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Content-Security-Policy" in second


def test_a_new_sign_off_invalidates_the_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    signoff = approve(article.live_revision, now=timezone.now() + timedelta(seconds=1))
    response, queries = _get(client, url)
    assert queries > 0 and response["X-Article-Cache"] == "miss"
    assert signoff.printed_name in response.content.decode()


def test_publishing_a_new_revision_invalidates_the_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    editor = EditorFactory()
    article_update(
        article=article, data={"title": "Cached page, revised"},
        expected_version=article.version, user=editor,
    )
    # Saving the draft changes nothing public: the cached page is still right.
    assert client.get(url)["X-Article-Cache"] == "hit"
    publish(article, editor=editor, now=timezone.now() + timedelta(seconds=1))
    assert "<h1>Cached page, revised</h1>" in client.get(url).content.decode()


def test_unpublishing_invalidates_the_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    article_unpublish(article=article, user=EditorFactory(), reason="Under correction")
    assert client.get(url).status_code == 404


def test_a_slug_change_invalidates_the_old_address(client, article):
    old = article.get_absolute_url()
    client.get(old)
    article_update(
        article=article, data={"slug": "moved-page"}, expected_version=article.version,
        user=EditorFactory(),
    )
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == reverse("articles:detail", args=["moved-page"])


def test_the_review_status_flips_at_read_time_without_a_write(client, settings, article):
    url = article.get_absolute_url()
    signed = article.live_revision.signoffs.get().signed_at
    due = signed + timedelta(days=settings.REVIEW_INTERVAL_DAYS)
    assert 'data-review-status="current"' in client.get(url).content.decode()
    assert client.get(url)["X-Article-Cache"] == "hit"
    with time_machine.travel(due - timedelta(days=settings.REVIEW_DUE_SOON_DAYS - 1)):
        response = client.get(url)
        assert response["X-Article-Cache"] == "miss"
        assert 'data-review-status="due-soon"' in response.content.decode()
        assert client.get(url)["X-Article-Cache"] == "hit"
    with time_machine.travel(due + timedelta(days=1)):
        page = client.get(url).content.decode()
        assert 'data-review-status="overdue"' in page and "Review overdue." in page


def test_a_page_rendered_with_a_flash_message_is_never_cached(client, article):
    url = article.get_absolute_url()
    report = reverse("articles:report_problem", args=[article.slug])
    client.post(report, {"message": "Typo in the title"})  # queues a thank-you message
    with_message = client.get(url)
    assert "Your report has been sent" in with_message.content.decode()
    assert "X-Article-Cache" not in with_message
    after = client.get(url)
    assert "Your report has been sent" not in after.content.decode()
    assert after["X-Article-Cache"] == "miss"  # the page with the message was not stored
    client.post(report, {"message": "Another one"})
    assert "Your report has been sent" in client.get(url).content.decode()  # not a cached copy


def test_a_cache_time_of_zero_turns_the_cache_off(client, settings, article):
    settings.ARTICLE_CACHE_SECONDS = 0
    url = article.get_absolute_url()
    client.get(url)
    response, queries = _get(client, url)
    assert queries > 0 and "X-Article-Cache" not in response


def _world(size):
    """An article with `size` of everything and 2 * size references, plus related pages."""
    topics = [TopicFactory() for _ in range(size)]
    citations = [CitationFactory() for _ in range(2 * size)]
    body = "".join(f"<p>Claim [PMID:{c.pmid}]</p>" for c in citations)
    article = ArticleFactory(
        body=body, topics=topics, takeaways=size, faq=size, comparisons=size,
        authors=[ContributorFactory() for _ in range(size)],
    )
    publish(article)
    for index in range(size):
        publish(ArticleFactory(topics=[topics[index]]))
    for _ in range(size - 1):  # re-reviews
        approve(article.live_revision)
    return article


def test_the_uncached_page_runs_a_constant_small_number_of_queries(client, settings):
    settings.ARTICLE_CACHE_SECONDS = 0
    counts = []
    for size in (1, 20):
        article = _world(size)
        response, queries = _get(client, article.get_absolute_url())
        assert response.status_code == 200
        assert response.content.decode().count('<li id="ref-') == 2 * size
        counts.append(queries)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 5, counts


def test_changing_an_articles_authors_or_topics_invalidates_the_page(client, article):
    url = article.get_absolute_url()
    client.get(url)
    author = ContributorFactory(name="Newly Credited")
    article.authors.add(author)
    assert "Newly Credited" in client.get(url).content.decode()
    client.get(url)
    topic = TopicFactory(name="Another topic")
    topic.articles.add(article)  # from the other side of the relation
    assert client.get(url)["X-Article-Cache"] == "miss"
