"""
The public gate's own contract (`articles.public.selectors`): a page is public at the instant
asked about, a former address leads only to its own article, and a record whose seal fails is
left out of lists and named in the log.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.content.services import article_update
from articles.public import selectors
from articles.publishing.models import Publication
from tests.factories.articles import (
    ArticleFactory,
    ContributorFactory,
    StaffUserFactory,
    TopicFactory,
    make_live,
)

pytestmark = pytest.mark.django_db


def test_a_page_past_its_withdrawal_instant_is_not_public_at_that_instant(settings):
    settings.REVIEW_WITHDRAW_OVERDUE = True
    article = ArticleFactory(slug="knee-pain", live=True)
    withdraw_at = Publication.objects.get(article=article).withdraw_at
    assert withdraw_at is not None

    just_before = selectors.publication_get_public(
        slug="knee-pain", now=withdraw_at - timedelta(seconds=1)
    )
    assert just_before.article_id == article.pk
    with pytest.raises(Publication.DoesNotExist):
        selectors.publication_get_public(slug="knee-pain", now=withdraw_at)
    assert not selectors.publication_list_public(now=withdraw_at).filter(pk=just_before.pk)


def test_an_unknown_address_is_404_even_when_another_page_has_a_former_address(client):
    moved = ArticleFactory(slug="old-knee", live=True)
    article_update(
        article=moved, data={"slug": "knee-pain"}, expected_version=1, user=StaffUserFactory()
    )
    assert selectors.publication_redirect_get_public(old_slug="old-knee") == "knee-pain"
    assert selectors.publication_redirect_get_public(old_slug="old-hip") is None
    assert client.get("/articles/old-hip/").status_code == 404
    assert client.get("/articles/old-knee/")["Location"] == "/articles/knee-pain/"


def test_a_record_failing_its_seal_is_left_out_of_a_list_and_logged_by_its_id(caplog):
    kept, altered = (ArticleFactory(live=True), ArticleFactory(live=True))
    records = list(selectors.publication_list_public().order_by("article_id"))
    assert [r.article_id for r in records] == [kept.pk, altered.pk]
    records[1].title = "Miracle cure"  # as read from a row changed behind the app's back

    with caplog.at_level(logging.ERROR, logger="articles.public.selectors"):
        shown = selectors.sound(records)

    assert [r.article_id for r in shown] == [kept.pk]
    logged = [r.getMessage() for r in caplog.records if r.name == "articles.public.selectors"]
    assert logged == [f"Publication {records[1].pk} fails its seal; left out of a public list."]


def titles(records) -> list[str]:
    return [record.title for record in records]


def test_a_topic_lists_its_pages_by_publication_date_newest_first_then_newest_record():
    topic = TopicFactory()
    now = timezone.now()
    # Published in another order than their records were written.
    for title, days_ago in (("Yesterday", 1), ("Last week", 7), ("Today", 0)):
        article = ArticleFactory(title=title, topics=[topic])
        make_live(article, published_at=now - timedelta(days=days_ago))
    same_day = now - timedelta(days=3)
    for title in ("Written first", "Written second"):
        make_live(ArticleFactory(title=title, topics=[topic]), published_at=same_day)
    ArticleFactory(title="Elsewhere", topics=[TopicFactory()], live=True)

    assert titles(selectors.publication_list_public(topic=topic)) == [
        "Today",
        "Yesterday",
        "Written second",
        "Written first",
        "Last week",
    ]


def test_related_cards_are_other_public_pages_sharing_a_topic(client):
    knee, hip, back = TopicFactory(), TopicFactory(), TopicFactory()
    page = ArticleFactory(title="Knee and hip", topics=[knee, hip], live=True)
    ArticleFactory(title="Knee only", topics=[knee], live=True)
    ArticleFactory(title="Hip only", topics=[hip], live=True)
    ArticleFactory(title="Back only", topics=[back], live=True)
    record = Publication.objects.get(article=page)

    related = selectors.publication_list_public(topics=[knee.pk, hip.pk], exclude=record)
    assert sorted(titles(related)) == ["Hip only", "Knee only"]
    cards = client.get(page.get_absolute_url()).content.decode().split('class="related')[-1]
    assert "Knee only" in cards and "Back only" not in cards and "Knee and hip" not in cards


def test_an_authors_list_has_only_the_pages_they_wrote():
    author, other = ContributorFactory(), ContributorFactory()
    ArticleFactory(title="Hers", authors=[author], live=True)
    ArticleFactory(title="Both", authors=[author, other], live=True)
    ArticleFactory(title="His", authors=[other], live=True)
    ArticleFactory(title="Unsigned draft", authors=[author])
    assert sorted(titles(selectors.publication_list_public(author=author))) == ["Both", "Hers"]


def test_featured_and_not_featured_lists_split_the_public_pages():
    ArticleFactory(title="Featured", featured=True, live=True)
    ArticleFactory(title="Ordinary", live=True)
    assert titles(selectors.publication_list_public(featured=True)) == ["Featured"]
    assert titles(selectors.publication_list_public(featured=False)) == ["Ordinary"]
