"""
Cards in public lists (issue 13, part 4): every card names the physician who reviewed the page,
with credentials and the review date, or says "Review overdue", worked out at read time.
"""

from datetime import datetime, timedelta

import lxml.html
import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories.articles import ArticleFactory, ContributorFactory, TopicFactory, make_live
from tests.factories.reviews import ReviewerProfileFactory

pytestmark = pytest.mark.django_db

SIGNED = datetime(2026, 5, 31, 9, 0)


def at(moment: datetime):
    return time_machine.travel(timezone.make_aware(moment), tick=False)


@pytest.fixture
def site():
    """
    Two pages on one topic by one author: "Overdue page" approved 400 days before 31 May 2026,
    "Current page" approved by Dr. Jane Roe, DO on 31 May 2026. Lists are read a day later.
    """
    topic = TopicFactory(name="Back pain")
    author = ContributorFactory(name="Dana Writer")
    reviewer = ReviewerProfileFactory(honorific="Dr.", printed_name="Jane Roe", credentials="DO")
    with at(SIGNED - timedelta(days=400)):
        overdue = ArticleFactory(title="Overdue page", topics=[topic], authors=[author])
        make_live(overdue, reviewer=reviewer)
    with at(SIGNED):
        current = ArticleFactory(title="Current page", topics=[topic], authors=[author])
        make_live(current, reviewer=reviewer)
    return {
        "topic": topic,
        "author": author,
        "reviewer": reviewer,
        "current": current,
        "overdue": overdue,
    }


def cards(client, url: str) -> dict[str, str]:
    """The text of each card on the page at `url`, by title, read a day after the signature."""
    with at(SIGNED + timedelta(days=1)):
        response = client.get(url)
    assert response.status_code == 200
    tree = lxml.html.fromstring(response.content.decode())
    return {
        card.find_class("card-title")[0].text_content().strip(): " ".join(
            card.text_content().split()
        )
        for card in tree.find_class("card")
    }


def list_urls(site) -> dict[str, str]:
    return {
        "home": reverse("articles:home"),
        "topic": site["topic"].get_absolute_url(),
        "search": reverse("articles:search") + "?q=page",
        "contributor": site["author"].get_absolute_url(),
        "reviewer": site["reviewer"].get_absolute_url(),
    }


def test_every_list_shows_the_reviewer_credentials_and_review_date_or_review_overdue(client, site):
    for name, url in list_urls(site).items():
        found = cards(client, url)
        assert found["Current page"].endswith(
            "Medically reviewed by Dr. Jane Roe, DO · 31 May 2026"
        ), name
        assert found["Overdue page"].endswith("Review overdue"), name
        assert "Medically reviewed by" not in found["Overdue page"], name


def test_related_cards_on_an_article_page_show_the_review_too(client, site):
    found = cards(client, site["overdue"].get_absolute_url())
    assert found == {
        "Current page": "Current page What it is, why it happens and what helps. "
        "Medically reviewed by Dr. Jane Roe, DO · 31 May 2026"
    }
    assert cards(client, site["current"].get_absolute_url())["Overdue page"].endswith(
        "Review overdue"
    )


@override_settings(LANGUAGE_CODE="en-us")
def test_card_dates_follow_an_american_site_language(client, site):
    found = cards(client, reverse("articles:home"))
    assert found["Current page"].endswith("Medically reviewed by Dr. Jane Roe, DO · May 31, 2026")


def test_the_review_status_on_cards_costs_no_query(client, site):
    """The home page reads the same three queries with status on its cards (featured, latest,
    topics)."""
    with at(SIGNED + timedelta(days=1)), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("articles:home"))
    assert "Review overdue" in response.content.decode()
    assert len(queries) == 3
