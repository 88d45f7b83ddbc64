"""Sitemap, Atom feed, robots.txt and search: live pages only, valid XML, dates from sign-offs."""

from datetime import timedelta

import feedparser
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from articles.content.services import article_update, revision_create
from articles.publishing.workflow import article_unpublish
from tests.factories.articles import (
    ArticleFactory,
    ContributorFactory,
    EditorFactory,
    StaffUserFactory,
    TopicFactory,
)
from tests.factories.reviews import ReviewerProfileFactory
from tests.public.conftest import approve, publish

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def site():
    """Two live articles (one re-reviewed), a draft-only one, an unverified reviewer."""
    topic = TopicFactory(name="Back pain")
    author = ContributorFactory()
    editor = EditorFactory()
    start = timezone.now() - timedelta(days=30)
    live = ArticleFactory(title="Living with sciatica", topics=[topic], authors=[author])
    with time_machine.travel(start):
        first = publish(live, editor=editor)
    other = ArticleFactory(title="Second live page", topics=[topic], authors=[author])
    with time_machine.travel(start + timedelta(days=5)):
        second = publish(other, editor=editor)
    with time_machine.travel(start + timedelta(days=10)):
        rereview = approve(live.live_revision)
    draft_author = ContributorFactory()
    draft = ArticleFactory(
        title="Draft only zebrafishword", topics=[TopicFactory(name="Empty topic")],
        authors=[draft_author], body="<p>zebrafishword</p>",
    )
    approve(revision_create(article=draft, user=editor))  # approved but never published
    return {
        "live": live, "other": other, "draft": draft, "topic": topic, "author": author,
        "draft_author": draft_author, "signoffs": [first, second, rereview],
        "unverified": ReviewerProfileFactory(unverified=True),
    }


def test_the_sitemap_is_valid_xml_with_live_pages_only_and_review_dates(client, site):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    entries = {
        url.findtext("s:loc", namespaces=SITEMAP_NS): url.findtext(
            "s:lastmod", namespaces=SITEMAP_NS
        )
        for url in tree.findall("s:url", SITEMAP_NS)
    }
    absolute = settings.SITE_URL.__add__
    live, other, draft = site["live"], site["other"], site["draft"]
    assert absolute(live.get_absolute_url()) in entries
    assert absolute(other.get_absolute_url()) in entries
    assert absolute(site["topic"].get_absolute_url()) in entries
    assert absolute(site["author"].get_absolute_url()) in entries
    reviewer = site["signoffs"][0].reviewer
    assert absolute(reviewer.get_absolute_url()) in entries
    text = response.content.decode()
    for hidden in (draft.get_absolute_url(), "empty-topic", site["draft_author"].slug,
                   site["unverified"].slug):
        assert hidden not in text
    # lastmod of the re-reviewed page is the re-review, later than its content update.
    rereview = site["signoffs"][2]
    assert entries[absolute(live.get_absolute_url())] == rereview.signed_at.date().isoformat()


def test_the_feed_is_atom_with_one_entry_per_page_for_its_latest_review_newest_first(
    client, site
):
    response = client.get(reverse("articles:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    etree.fromstring(response.content)  # well-formed XML
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Living with sciatica", "Second live page"]
    first, second, rereview = site["signoffs"]
    # The entry's id is the review's: a re-review is a new entry for feed readers.
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == [
        f"signoff-{s.pk}" for s in (rereview, second)
    ]
    assert feed.entries[0].updated_parsed[:6] == rereview.signed_at.utctimetuple()[:6]
    assert feed.entries[0].summary.startswith("Re-reviewed")
    assert feed.entries[1].summary.startswith("Published")
    assert feed.entries[0].link == settings.SITE_URL + site["live"].get_absolute_url()
    assert "zebrafishword" not in response.content.decode()


def test_an_unpublished_page_leaves_the_sitemap_and_the_feed(client, site):
    article_unpublish(article=site["live"], user=EditorFactory(), reason="Out of date")
    assert site["live"].get_absolute_url() not in client.get("/sitemap.xml").content.decode()
    feed = feedparser.parse(client.get(reverse("articles:feed")).content)
    assert [entry.title for entry in feed.entries] == ["Second live page"]


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_admin_and_previews(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines and "Disallow: /preview/" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines


def test_search_finds_live_text_only_never_a_draft(client, site):
    live = site["live"]
    article_update(
        article=live, data={"body": "<p>unreviewedquokka</p>"}, expected_version=live.version,
        user=StaffUserFactory(),
    )
    revision_create(article=live, user=StaffUserFactory())  # a newer, unpublished revision
    url = reverse("articles:search")
    found = client.get(url, {"q": "sciatica"}).content.decode()
    assert "Living with sciatica" in found and "Second live page" not in found
    for word in ("zebrafishword", "unreviewedquokka", "Draft only"):
        page = client.get(url, {"q": word}).content.decode()
        assert "0 results" in page, word
        assert site["draft"].get_absolute_url() not in page


def test_search_ranks_title_matches_first_and_handles_empty_and_long_queries(client, site):
    ArticleFactory(title="A page", body="<p>Sciatica is mentioned once here.</p>", live=True)
    url = reverse("articles:search")
    page = client.get(url, {"q": "sciatica"}).content.decode()
    assert page.index("Living with sciatica") < page.index("A page")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "x" * 5000}).status_code == 200


def test_related_lists_never_show_a_draft_only_article(client, site):
    page = client.get(site["live"].get_absolute_url()).content.decode()
    assert "Second live page" in page
    topic = site["topic"]
    site["draft"].topics.add(topic)
    page = client.get(site["other"].get_absolute_url()).content.decode()
    assert "Living with sciatica" in page and "Draft only" not in page
