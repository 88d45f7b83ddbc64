"""
Search reads the text stored on each publication record from the signed snapshot: a reader
finds a page by any word of its body, key takeaways or FAQ, the record holds exactly that text,
and a title match ranks above a standfirst match, a standfirst match above a body match,
whatever their dates.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.public.search import search_public
from articles.publishing.models import Publication
from tests.factories.articles import (
    ArticleFactory,
    FAQEntryFactory,
    TakeawayFactory,
    make_live,
)

pytestmark = pytest.mark.django_db


def found(query: str) -> list[str]:
    return [record.title for record in search_public(query)]


def test_a_page_is_found_by_a_word_of_its_body_a_takeaway_or_its_faq():
    article = ArticleFactory(
        title="Knee pain", standfirst="What helps.", takeaways=0,
        body="<p>Most <strong>patellofemoral</strong> pain settles.</p>",
    )
    TakeawayFactory(article=article, position=0, text="Keep moving with quadriceps work")
    TakeawayFactory(article=article, position=1, text="Ice helps")
    FAQEntryFactory(
        article=article, position=0, question="Is cycling safe?", answer="<p>Usually, yes.</p>"
    )
    make_live(article)
    ArticleFactory(title="Back pain", live=True)

    for word in ("patellofemoral", "quadriceps", "ice", "cycling", "usually"):
        assert found(word) == ["Knee pain"], word


def test_the_search_text_is_the_signed_title_standfirst_body_takeaways_and_faq_one_a_line():
    article = ArticleFactory(
        title="Knee pain",
        standfirst="What helps.",
        takeaways=0,
        body="<p>Most knee pain settles.</p><p>Keep active.</p>",
    )
    TakeawayFactory(article=article, position=0, text="Keep moving")
    TakeawayFactory(article=article, position=1, text="Ice helps")
    FAQEntryFactory(
        article=article, position=0, question="Is cycling safe?", answer="<p>Usually, yes.</p>"
    )
    FAQEntryFactory(article=article, position=1, question="Can I run?", answer="<p>Slowly.</p>")
    make_live(article)

    assert Publication.objects.get(article=article).search_text == (
        "Knee pain\n"
        "What helps.\n"
        "Most knee pain settles. Keep active.\n"
        "Keep moving Ice helps\n"
        "Is cycling safe? Usually, yes. Can I run? Slowly."
    )


def test_a_title_match_ranks_above_a_standfirst_match_even_when_it_is_older():
    now = timezone.now()
    make_live(
        ArticleFactory(title="Sciatica basics", standfirst="Leg pain."),
        published_at=now - timedelta(days=2),
    )
    make_live(
        ArticleFactory(title="Leg pain", standfirst="Includes sciatica."), published_at=now
    )
    make_live(ArticleFactory(title="Back care", body="<p>About sciatica.</p>"), published_at=now)
    assert found("sciatica") == ["Sciatica basics", "Leg pain", "Back care"]


def test_a_standfirst_match_ranks_above_a_body_match_even_when_it_is_older():
    now = timezone.now()
    make_live(
        ArticleFactory(title="Leg pain", standfirst="Includes sciatica."),
        published_at=now - timedelta(days=2),
    )
    make_live(
        ArticleFactory(title="Back care", body="<p>Sciatica eases.</p><p>Sciatica recurs.</p>"),
        published_at=now,
    )
    assert found("sciatica") == ["Leg pain", "Back care"]
