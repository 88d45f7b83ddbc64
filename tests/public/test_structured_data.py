"""JSON-LD, Open Graph and canonical links on article pages, and their agreement with the stamp."""

import json
from datetime import datetime

import lxml.html
import pytest
from django.conf import settings
from django.urls import reverse

from articles.content.services import revision_create
from articles.publishing.structured_data import json_ld
from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    ContributorFactory,
    EditorFactory,
    StaffUserFactory,
    TopicFactory,
    make_live,
)
from tests.factories.reviews import ReviewerProfileFactory
from tests.public.conftest import approve

pytestmark = pytest.mark.django_db


def json_ld_of(html: str) -> dict:
    tree = lxml.html.fromstring(html)
    (script,) = tree.xpath('//script[@type="application/ld+json"]')
    return json.loads(script.text)


def graph_of(html: str) -> dict[str, dict]:
    return {node["@type"]: node for node in json_ld_of(html)["@graph"]}


def visible_stamp(html: str) -> dict:
    """What the page's review stamp shows: the signer, their profile link, the signing time."""
    tree = lxml.html.fromstring(html)
    (stamp,) = tree.xpath('//*[contains(concat(" ", @class, " "), " review-stamp ")]')
    (signer,) = stamp.xpath('.//*[contains(@class, "review-stamp-signer")]')
    (link,) = signer.xpath(".//a")
    (signed,) = signer.xpath(".//time/@datetime")
    return {"name": link.text_content().strip(), "href": link.get("href"), "signed": signed}


def _stamp_instant(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


@pytest.fixture
def articles():
    """A varied set of live articles: FAQ or not, conditions, several authors, re-reviews."""
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    CitationFactory(pmid="28249076", doi="")
    condition = TopicFactory(name="Fibromyalgia", is_condition=True)
    made = []
    made.append(ArticleFactory(
        body="<p>Ketamine [PMID:29870458] and mood [PMID:28249076].</p>",
        topics=[condition], faq=2, comparisons=1, live=True,
    ))
    made.append(ArticleFactory(
        topics=[TopicFactory(is_condition=False)],
        authors=[ContributorFactory(), ContributorFactory(credentials="")], live=True,
    ))
    rereviewed = ArticleFactory(faq=1)
    make_live(rereviewed, reviewer=ReviewerProfileFactory(credentials="MD, MPH"))
    approve(rereviewed.live_revision, ReviewerProfileFactory(printed_name="Later Reviewer"))
    made.append(rereviewed)
    return made


def test_json_ld_parses_and_its_review_equals_the_visible_stamp_on_every_article(client, articles):
    for article in articles:
        html = client.get(article.get_absolute_url()).content.decode()
        page = graph_of(html)["MedicalWebPage"]
        stamp = visible_stamp(html)
        reviewed_by = page["reviewedBy"]
        assert f'{reviewed_by["name"]}, {reviewed_by["honorificSuffix"]}' == stamp["name"]
        assert reviewed_by["url"] == settings.SITE_URL + stamp["href"]
        assert page["lastReviewed"] == _stamp_instant(stamp["signed"]).date().isoformat()
    assert "Later Reviewer" in visible_stamp(
        client.get(articles[2].get_absolute_url()).content.decode()
    )["name"]


def test_the_medical_web_page_carries_every_property_readers_and_search_engines_need(
    client, articles
):
    article = articles[0]
    graph = graph_of(client.get(article.get_absolute_url()).content.decode())
    page = graph["MedicalWebPage"]
    url = settings.SITE_URL + article.get_absolute_url()
    assert page["url"] == url and page["name"] == article.live_revision.snapshot["title"]
    assert page["description"] == article.live_revision.snapshot["standfirst"]
    published = article.first_published_at.replace(microsecond=0)
    assert datetime.fromisoformat(page["datePublished"]) == published
    updated = article.live_revision.created_at.replace(microsecond=0)
    assert datetime.fromisoformat(page["dateModified"]) == updated
    assert page["audience"] == {"@type": "MedicalAudience", "audienceType": "Patient"}
    assert page["publisher"] == {
        "@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL + "/",
    }
    (author,) = page["author"]
    assert author["@type"] == "Person" and author["url"].startswith(settings.SITE_URL)
    assert page["about"] == [{
        "@type": "MedicalCondition", "name": "Fibromyalgia",
        "url": settings.SITE_URL + reverse("articles:topic", args=[article.topics.get().slug]),
    }]
    first, second = page["citation"]
    assert first["@type"] == "MedicalScholarlyArticle"
    assert first["identifier"] == {"@type": "PropertyValue", "propertyID": "PMID",
                                   "value": "29870458"}
    assert first["sameAs"] == ["https://pubmed.ncbi.nlm.nih.gov/29870458/",
                               "https://doi.org/10.1097/AAP.0000000000000808"]
    assert second["sameAs"] == ["https://pubmed.ncbi.nlm.nih.gov/28249076/"]
    faq = page["mainEntity"]
    assert faq["@type"] == "FAQPage" and len(faq["mainEntity"]) == 2
    assert faq["mainEntity"][0]["@type"] == "Question"
    assert faq["mainEntity"][0]["acceptedAnswer"]["@type"] == "Answer"
    crumbs = graph["BreadcrumbList"]["itemListElement"]
    assert [c["position"] for c in crumbs] == [1, 2, 3]
    assert crumbs[1]["name"] == "Fibromyalgia" and crumbs[2]["item"] == url

    other = graph_of(client.get(articles[1].get_absolute_url()).content.decode())
    assert "mainEntity" not in other["MedicalWebPage"]
    assert other["MedicalWebPage"]["about"][0]["@type"] == "Thing"
    assert len(other["MedicalWebPage"]["author"]) == 2


def test_a_script_end_tag_in_a_title_cannot_break_out_of_the_json_ld(client):
    title = 'Pain </script><script>alert("x")</script> & <b>more</b>'
    article = ArticleFactory(title=title, standfirst="</SCRIPT>", live=True)
    html = client.get(article.get_absolute_url()).content.decode()
    start = html.index('<script type="application/ld+json">')
    block = html[start : html.index("</script>", start)]
    assert "<" not in block[len('<script type="application/ld+json">'):]
    assert "\\u003c/script\\u003e" in block and "\\u0026" in block
    assert graph_of(html)["MedicalWebPage"]["name"] == title
    assert graph_of(html)["MedicalWebPage"]["description"] == "</SCRIPT>"


def test_json_ld_escapes_angle_brackets_and_ampersands_and_stays_valid_json():
    text = str(json_ld({"a": "</script>&<!--", "b": "\u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script>&<!--", "b": "\u2028"}


def test_no_review_claims_without_a_stamp(client):
    article = ArticleFactory(title="Never approved")
    revision = revision_create(article=article, user=StaffUserFactory())
    client.force_login(EditorFactory())
    html = client.get(reverse("articles:preview", args=[revision.pk])).content.decode()
    page = graph_of(html)["MedicalWebPage"]
    assert "lastReviewed" not in page and "reviewedBy" not in page
    assert "Medically reviewed by" not in html


def test_open_graph_and_canonical_links_are_absolute_on_the_site_address(client):
    article = ArticleFactory(title="Shared page", standfirst="Summary.", live=True)
    tree = lxml.html.fromstring(client.get(article.get_absolute_url()).content)
    url = settings.SITE_URL + article.get_absolute_url()
    assert tree.xpath('//link[@rel="canonical"]/@href') == [url]
    meta = {m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")}
    assert meta["og:url"] == url and meta["og:title"] == "Shared page"
    assert meta["og:description"] == "Summary." and meta["og:type"] == "article"
    assert meta["og:site_name"] == settings.SITE_NAME
