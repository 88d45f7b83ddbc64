"""
The public read model: every public page from one sealed publication record, written only by
publishing, withdrawn everywhere at once, and read with a fixed, small number of queries.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.publishing.models import Publication
from articles.publishing.publication import publication_is_sound
from articles.publishing.workflow import article_unpublish
from tests.factories.articles import ArticleFactory, EditorFactory, TopicFactory, make_live
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import sign
from tests.tamper import tamper


def surfaces(client, *, topic, query) -> dict[str, str]:
    """Every public list an article can appear on, as text."""
    return {
        "home": client.get(reverse("articles:home")).content.decode(),
        "topic": client.get(topic.get_absolute_url()).content.decode(),
        "search": client.get(reverse("articles:search") + f"?q={query}").content.decode(),
        "feed": client.get(reverse("articles:feed")).content.decode(),
        "sitemap": client.get(reverse("sitemap")).content.decode(),
    }


def shows(text: str, *, title: str, slug: str) -> bool:
    """Whether a surface lists the page: by its title (pages, feed) or address (sitemap)."""
    return title in text or f"/articles/{slug}/" in text


@pytest.fixture
def two_pages(db):
    topic = TopicFactory(name="Back pain", slug="back-pain")
    kept = ArticleFactory(title="Sciatica basics", slug="sciatica", topics=[topic], live=True)
    other = ArticleFactory(title="Lumbago basics", slug="lumbago", topics=[topic], live=True)
    return topic, kept, other


def test_publishing_writes_the_record_and_unpublishing_removes_it(client, two_pages):
    topic, kept, other = two_pages
    record = Publication.objects.get(article=kept)
    assert (record.slug, record.title, record.revision_id) == (
        "sciatica",
        "Sciatica basics",
        kept.live_revision_id,
    )
    assert publication_is_sound(record)
    article_unpublish(article=kept, user=EditorFactory(), reason="Out of date")
    assert not Publication.objects.filter(article=kept).exists()
    for name, text in surfaces(client, topic=topic, query="basics").items():
        assert not shows(text, title="Sciatica basics", slug="sciatica"), name
        assert shows(text, title="Lumbago basics", slug="lumbago"), name
    assert client.get(kept.get_absolute_url()).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_record_changed_in_sql_leaves_every_list_at_the_next_request(client, two_pages):
    topic, kept, other = two_pages
    tamper(
        "UPDATE articles_publication SET title = %s WHERE article_id = %s",
        ["Miracle cure for sciatica", kept.pk],
    )
    for name, text in surfaces(client, topic=topic, query="sciatica").items():
        assert "Miracle cure" not in text, name
        assert not shows(text, title="Sciatica basics", slug="sciatica"), name
    related = client.get(other.get_absolute_url()).content.decode()
    assert "Miracle cure" not in related and "sciatica" not in related.split("related")[-1]
    # Its own page is never shown from the altered record: the record is derived again from
    # the signed sources, which brings back the signed title, not the altered one.
    assert client.get(kept.get_absolute_url()).status_code == 503
    page = client.get(kept.get_absolute_url()).content.decode()
    assert "Sciatica basics" in page and "Miracle cure" not in page


@pytest.mark.django_db(transaction=True)
def test_a_revision_changed_in_sql_never_shows_and_is_withdrawn_everywhere(client, two_pages):
    topic, kept, other = two_pages
    revision = kept.live_revision
    altered = {**revision.snapshot, "title": "Miracle cure", "body": "<p>Guaranteed.</p>"}
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(altered), revision.pk],
    )
    before = surfaces(client, topic=topic, query="guaranteed")
    assert all("Miracle cure" not in text and "Guaranteed" not in text for text in before.values())
    assert client.get(kept.get_absolute_url()).status_code == 503
    assert not Publication.objects.filter(article=kept).exists()
    for name, text in surfaces(client, topic=topic, query="basics").items():
        assert not shows(text, title="Sciatica basics", slug="sciatica"), name
        assert shows(text, title="Lumbago basics", slug="lumbago"), name
    assert client.get(reverse("articles:review_json", args=[kept.slug])).status_code == 404
    assert client.get(reverse("articles:history", args=[kept.slug])).status_code == 404


def test_a_request_for_changes_rewrites_the_record_with_the_notice_at_once(client, two_pages):
    topic, kept, other = two_pages
    before = Publication.objects.get(article=kept)
    sign(kept.live_revision, decision="changes_requested", comment="Update the dose.")
    after = Publication.objects.get(article=kept)
    assert after.state == Publication.State.TAKEN_BACK and after.generation > before.generation
    card = client.get(topic.get_absolute_url()).content.decode().split("Sciatica basics")[1]
    assert "Medically reviewed by" not in card.split("</article>")[0]


def test_a_re_review_moves_the_records_review_dates(two_pages):
    topic, kept, other = two_pages
    before = Publication.objects.get(article=kept)
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        sign(kept.live_revision)
    after = Publication.objects.get(article=kept)
    assert after.last_reviewed_at > before.last_reviewed_at
    assert after.next_review_due - after.last_reviewed_at == timedelta(days=365)
    assert after.rereview


def test_the_review_status_switches_at_read_time_without_a_write(client, two_pages, settings):
    settings.REVIEW_DUE_SOON_DAYS = 30
    topic, kept, other = two_pages
    record = Publication.objects.get(article=kept)
    written = record.generation
    with time_machine.travel(record.next_review_due - timedelta(days=30, seconds=1)):
        assert 'data-review-status="current"' in client.get(kept.get_absolute_url()).text
    with time_machine.travel(record.next_review_due - timedelta(days=30)):
        assert 'data-review-status="due-soon"' in client.get(kept.get_absolute_url()).text
    with time_machine.travel(record.next_review_due):
        assert 'data-review-status="overdue"' in client.get(kept.get_absolute_url()).text
    assert Publication.objects.get(article=kept).generation == written


def test_topic_membership_and_author_changes_follow_into_the_record(two_pages):
    topic, kept, other = two_pages
    short = TopicFactory(name="Acute", slug="acute", review_interval_days=90)
    kept.topics.add(short)
    record = Publication.objects.get(article=kept)
    assert {t["slug"] for t in record.topics} == {"back-pain", "acute"}
    assert record.next_review_due - record.last_reviewed_at == timedelta(days=90)
    assert publication_is_sound(record)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page", 2),  # the record with its revision and approval; the related cards
        ("home", 3),  # featured, latest, topics
        ("topic", 3),  # the topic, the count, the page of records
        ("contributor", 3),
        ("search", 2),  # the count, the page of records
        ("review_json", 2),  # the record; the log position of the approval
        ("reviewer", 3),  # the profile, the count, the page of records
        ("history", 5),  # the record, approvals, corrections, publications, the live number
        ("feed", 4),  # the records; the log's size and newest entry, and (first view) the log
        ("revision_json", 1),  # the record with its revision
        ("sitemap", 8),  # one per sitemap section, and the records for the validators
    ],
)
def test_public_pages_run_a_fixed_number_of_queries_whatever_the_number_of_pages(
    client, db, name, expected
):
    topic = TopicFactory()
    reviewer = ReviewerProfileFactory()
    counts = []
    for total in (1, 20):
        while Publication.objects.count() < total:
            article = ArticleFactory(topics=[topic])
            make_live(article, reviewer=reviewer)
        url = {
            "page": article.get_absolute_url(),
            "home": reverse("articles:home"),
            "topic": topic.get_absolute_url(),
            "contributor": reverse("articles:contributor", args=[article.authors.get().slug]),
            "search": reverse("articles:search") + "?q=condition",
            "review_json": reverse("articles:review_json", args=[article.slug]),
            "reviewer": reverse("articles:reviewer", args=[reviewer.slug]),
            "history": reverse("articles:history", args=[article.slug]),
            "feed": reverse("articles:feed"),
            "revision_json": reverse("articles:revision_json", args=[article.slug]),
            "sitemap": reverse("sitemap"),
        }[name]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts == [expected, expected]


def test_lists_are_paginated_twenty_a_page(client, db):
    topic = TopicFactory()
    for _ in range(23):
        ArticleFactory(live=True, topics=[topic])
    first = client.get(topic.get_absolute_url()).content.decode()
    second = client.get(topic.get_absolute_url() + "?page=2").content.decode()
    assert first.count('class="card"') == 20 and second.count('class="card"') == 3
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert client.get(topic.get_absolute_url() + "?page=zz").status_code == 200


def test_the_review_history_says_when_an_approval_was_taken_back(client, two_pages):
    topic, kept, other = two_pages
    sign(kept.live_revision, decision="changes_requested", comment="New guidance.")
    history = client.get(reverse("articles:history", args=[kept.slug])).content.decode()
    assert "Taken back:" in history and "asked for changes to this revision" in history
    assert "Taken back:" not in client.get(reverse("articles:history", args=[other.slug])).text


def test_the_feed_hashes_the_whole_log_only_when_it_changed(client, db):
    """Its tree head's root is cached under the log's size and newest record."""
    ArticleFactory(live=True)
    client.get(reverse("articles:feed"))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse("articles:feed"))
    assert again.status_code == 200 and len(queries) == 3  # records, newest entry, size
    ArticleFactory(live=True)
    first = client.get(reverse("articles:feed")).content.decode()
    assert 'size="2"' in first
