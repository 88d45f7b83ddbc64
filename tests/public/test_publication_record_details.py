"""
What a page takes from its publication record, and the trail a record leaves: the page's
dates and topic link come from the record, re-rendering after a deploy rewrites every record,
and a withdrawal says which page went and why (the log; for tampering, the audit trail, dated
at the instant of the sync).
"""

import json
import logging
from datetime import UTC, date, datetime, timedelta

import lxml.html
import pytest
import time_machine
from django.urls import reverse
from django.utils import dateformat, timezone

from articles.publishing.models import Publication
from articles.publishing.publication import (
    publication_is_sound,
    publication_render_all,
    publication_sync,
)
from articles.publishing.workflow import article_unpublish
from reviews.models import AuditEvent
from tests.factories.articles import ArticleFactory, EditorFactory, TopicFactory, make_live
from tests.factories.workflow import sign
from tests.public.conftest import approve
from tests.tamper import tamper

pytestmark = pytest.mark.django_db
LOGGER = "articles.publishing.publication"


def medical_web_page(html: str) -> dict:
    """The page's JSON-LD `MedicalWebPage` node."""
    (script,) = lxml.html.fromstring(html).xpath('//script[@type="application/ld+json"]')
    (page,) = [n for n in json.loads(script.text)["@graph"] if n["@type"] == "MedicalWebPage"]
    return page


def logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_a_page_updated_after_its_first_publication_says_when_and_links_its_topic(client):
    topic = TopicFactory(name="Knee pain", slug="knee-pain")
    article = ArticleFactory(topics=[topic])
    revision = make_live(article, published_at=timezone.now() - timedelta(days=10))
    updated = timezone.localtime(revision.created_at)

    page = client.get(article.get_absolute_url()).content.decode()

    assert f'Updated <time datetime="{dateformat.format(updated, r"Y-m-d\TH:i:sO")}">' in page
    assert (
        f'<meta property="article:modified_time" content="{dateformat.format(updated, "c")}">'
        in page
    )
    topic_url = reverse("articles:topic", kwargs={"slug": "knee-pain"})
    assert f'<a href="{topic_url}">Knee pain</a>' in page


def test_a_page_first_published_on_the_day_of_its_revision_shows_no_update(client):
    article = ArticleFactory(live=True)
    assert "Updated <time" not in client.get(article.get_absolute_url()).content.decode()


def test_re_rendering_rewrites_every_record_at_the_instant_given():
    # A draft between two live articles: their records are numbered one after the other and
    # the articles are not, so re-rendering by any number but the article's misses one.
    first = ArticleFactory(live=True)
    ArticleFactory()
    articles = [first, ArticleFactory(live=True)]
    before = {r.article_id: r.generation for r in Publication.objects.all()}
    now = timezone.now() + timedelta(minutes=5)

    assert publication_render_all(now=now) == 2

    for article in articles:
        record = Publication.objects.get(article=article)
        assert record.generation == before[article.pk] + 1
        assert record.written_at == now
        assert publication_is_sound(record)


def test_unpublishing_logs_which_page_was_withdrawn_and_why(caplog):
    article = ArticleFactory(live=True)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        article_unpublish(article=article, user=EditorFactory(), reason="Outdated advice.")
    assert logged(caplog) == [f"Publication of article {article.pk} withdrawn: not published"]


@pytest.mark.django_db(transaction=True)
def test_a_revision_changed_in_sql_is_withdrawn_with_its_reason_logged_and_audited_at_once(
    caplog,
):
    article = ArticleFactory(slug="knee-pain", live=True)
    revision = article.live_revision
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps({**revision.snapshot, "title": "Miracle cure"}), revision.pk],
    )
    at = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)
    reason = "Revision 1 of 'knee-pain' no longer matches its stored hash"

    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert publication_sync(article=article, now=at) is None

    assert not Publication.objects.filter(article=article).exists()
    assert logged(caplog) == [f"Publication of article {article.pk} withdrawn: {reason}"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.TAMPER_DETECTED)
    assert (event.at, event.article_id, event.revision_id) == (at, article.pk, revision.pk)
    assert event.message == f"{reason}; the page was withdrawn from every public page."


def test_moving_a_page_to_a_slower_topic_does_not_push_back_its_due_date_until_a_re_review():
    fast = TopicFactory(review_interval_days=90)
    slow = TopicFactory(review_interval_days=730)
    article = ArticleFactory(topics=[fast], live=True)
    first = Publication.objects.get(article=article)
    assert first.next_review_due == first.last_reviewed_at + timedelta(days=90)

    article.topics.set([slow])  # the page's record is rewritten, under the same approval
    moved = Publication.objects.get(article=article)
    assert moved.generation > first.generation and moved.topics[0]["id"] == slow.pk
    assert (moved.review_interval_days, moved.next_review_due) == (90, first.next_review_due)

    approve(article.live_revision)  # a new approval: the slower topic's interval applies now
    re_reviewed = Publication.objects.get(article=article)
    assert re_reviewed.review_interval_days == 730
    assert re_reviewed.next_review_due == re_reviewed.last_reviewed_at + timedelta(days=730)


def test_with_the_withdraw_setting_off_no_withdrawal_instant_is_recorded(settings):
    settings.REVIEW_WITHDRAW_OVERDUE = False
    article = ArticleFactory(live=True)
    assert Publication.objects.get(article=article).withdraw_at is None


def test_turning_the_withdraw_setting_on_takes_a_lapsed_page_down_at_once(client, settings):
    settings.REVIEW_WITHDRAW_OVERDUE = False
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        article = ArticleFactory(live=True)  # interval 365, grace 30: lapsed 5 days ago
    assert client.get(article.get_absolute_url()).status_code == 200

    settings.REVIEW_WITHDRAW_OVERDUE = True  # no record is rewritten
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:review_json", args=[article.slug])).status_code == 404


def test_a_page_whose_approval_was_taken_back_names_no_reviewer_to_search_engines(client):
    article = ArticleFactory(live=True)
    sign(article.live_revision, decision="changes_requested", comment="Update the dose.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Update in preparation" in html
    page = medical_web_page(html)
    assert "reviewedBy" not in page and "lastReviewed" not in page


def test_the_page_header_shows_the_records_dates_reading_time_authors_and_disclaimer(client):
    article = ArticleFactory(live=True)
    record = Publication.objects.get(article=article)
    page = lxml.html.fromstring(client.get(reverse("articles:detail", args=[article.slug])).content)
    [dates] = page.find_class("dates")
    published = dateformat.format(timezone.localtime(record.published_at), "j F Y")
    assert " ".join(dates.text_content().split()).startswith(f"Published {published}")
    assert page.find_class("reading-time")[0].text == f"{record.reading_minutes} min read"
    [author] = record.authors
    [link] = page.find_class("byline")[0].xpath("a")
    assert link.get("href") == reverse("articles:contributor", kwargs={"slug": author["slug"]})
    [disclaimer] = page.find_class("disclaimer")
    assert (
        disclaimer.text_content()
        .strip()
        .startswith("This page is for general information and is not a substitute")
    )


def test_a_first_approval_is_not_a_re_review_whatever_other_pages_had():
    """The feed says "re-reviewed" only for a page whose own content was approved before."""
    ArticleFactory(live=True)
    article = ArticleFactory(live=True)
    assert Publication.objects.get(article=article).rereview is False
    revision = article.live_revision
    sign(revision)  # a periodic re-review of the same content
    publication_sync(article=article)
    assert Publication.objects.get(article=article).rereview is True


def test_publishing_tells_the_caches_which_page_changed_and_numbers_the_record_from_one():
    from articles.publishing.signals import publication_changed

    told = []

    def receiver(sender, article, **kwargs):
        told.append(article)

    publication_changed.connect(receiver)
    try:
        article = ArticleFactory(live=True)
    finally:
        publication_changed.disconnect(receiver)
    assert told and all(item is not None and item.pk == article.pk for item in told)
    assert Publication.objects.get(article=article).generation == 1


def test_a_withdrawal_tells_the_caches_which_page_went():
    from articles.publishing.signals import publication_changed

    article = ArticleFactory(live=True)
    told = []

    def receiver(sender, article, **kwargs):
        told.append(article)

    publication_changed.connect(receiver)
    try:
        article_unpublish(article=article, user=EditorFactory(), reason="Out of date.")
    finally:
        publication_changed.disconnect(receiver)
    assert told and all(item is not None and item.pk == article.pk for item in told)


def _imported_live_page():
    """A page brought across from a previous site, then signed and published here."""
    article = ArticleFactory(
        original_published_on=date(2019, 3, 3),
        legacy_reviews=[{"reviewer": "Dana Whitfield, MD", "date": "2021-06-12"}],
    )
    make_live(article)
    return article


def test_the_seal_covers_an_imported_pages_original_date_and_old_review_lines():
    article = _imported_live_page()
    assert publication_is_sound(Publication.objects.get(article=article))
    Publication.objects.filter(article=article).update(original_published_on=date(2010, 1, 1))
    assert not publication_is_sound(Publication.objects.get(article=article))
    Publication.objects.filter(article=article).update(
        original_published_on=date(2019, 3, 3),
        legacy_reviews=[{"reviewer": "Someone Else, MD", "date": "2021-06-12"}],
    )
    assert not publication_is_sound(Publication.objects.get(article=article))


def test_an_imported_pages_past_is_read_from_its_record_and_old_lines_only_when_enabled(
    client, settings
):
    article = _imported_live_page()
    settings.SHOW_LEGACY_REVIEWS = False
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'First published <time datetime="2019-03-03">3 March 2019</time>' in html
    assert "Dana Whitfield" not in html
    settings.SHOW_LEGACY_REVIEWS = True
    html = client.get(article.get_absolute_url()).content.decode()
    assert (
        'Reviewed by Dana Whitfield, MD on <time datetime="2021-06-12">12 June 2021</time> '
        "(before this site's signed reviews)"
    ) in html


def test_an_imported_pages_original_date_is_its_json_ld_publication_date(client):
    article = _imported_live_page()
    page = medical_web_page(client.get(article.get_absolute_url()).content.decode())
    assert page["datePublished"] == "2019-03-03"


def test_json_ld_last_reviewed_is_the_day_the_physician_signed_not_the_day_it_was_written(
    client,
):
    from tests.public.conftest import publish

    article = ArticleFactory()
    signed = timezone.now() - timedelta(days=40)
    publish(article, now=signed)
    page = medical_web_page(client.get(article.get_absolute_url()).content.decode())
    assert page["lastReviewed"] == timezone.localdate(signed).isoformat()
