"""
Reading long pages (issue 13): the "On this page" contents list, tables that fit a phone, the
review notices in the first screen, dates in the site language's style without the time of
day, and meta descriptions.
"""

from datetime import datetime, timedelta

import lxml.html
import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from articles.publishing import presentation, publication
from articles.publishing.long_pages import LongBody, prepare_body
from articles.publishing.models import Publication
from tests.factories.articles import ArticleFactory, TopicFactory
from tests.factories.workflow import sign
from tests.html_checker import nu_check

pytestmark = pytest.mark.django_db

THREE_SECTIONS = (
    "<h2>What it is</h2><p>A common condition.</p>"
    "<h2>Causes</h2><p>Often unclear.</p>"
    "<h2>Treatment</h2><p>Several options.</p>"
)
WIDE_TABLE = (
    "<table><thead><tr><th>Medicine</th><th>Usual adult dose</th><th>How often</th>"
    "<th>Common side effects</th><th>When to avoid it</th></tr></thead><tbody>"
    '<tr><th scope="row">Paracetamol</th><td>500 mg to 1 g</td><td>Every 4 to 6 hours</td>'
    "<td>Rare at the usual dose</td><td>Liver disease; more than 4 g a day</td></tr>"
    '<tr><th scope="row">Ibuprofen</th><td>200 to 400 mg</td><td>Every 6 to 8 hours</td>'
    "<td>Indigestion, heartburn</td><td>Stomach ulcers, some heart conditions</td></tr>"
    "</tbody></table>"
)
HEADERLESS_TABLE = (
    "<table><tbody><tr><td>Monday</td><td>Walk 10 minutes</td><td>Stretch</td></tr>"
    "<tr><td>Tuesday</td><td>Swim 15 minutes</td><td>Rest</td></tr></tbody></table>"
)
SIGNED = datetime(2026, 5, 31, 14, 30)


def page_of(client, article) -> lxml.html.HtmlElement:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def contents_links(tree) -> list[str]:
    return tree.xpath('//nav[@aria-labelledby="contents-heading"]//a/@href')


# --- The contents list -------------------------------------------------------------------


def test_three_sections_give_a_contents_list_linking_to_each_heading(client):
    article = ArticleFactory(body=THREE_SECTIONS, live=True)
    tree = page_of(client, article)
    (nav,) = tree.xpath('//nav[@aria-labelledby="contents-heading"]')
    assert nav.get_element_by_id("contents-heading").text_content() == "On this page"
    # Before the body, after the header.
    body = tree.find_class("article-body")[0]
    assert nav.getparent().index(nav) < body.getparent().index(body)
    links = contents_links(tree)
    assert links == ["#what-it-is", "#causes", "#treatment"]
    headings = body.xpath(".//h2")
    assert [f"#{h.get('id')}" for h in headings] == links
    assert [a.text_content() for a in nav.xpath(".//a")] == ["What it is", "Causes", "Treatment"]


def test_two_sections_give_no_contents_list_but_keep_their_ids(client):
    article = ArticleFactory(body="<h2>One</h2><p>a</p><h2>Two</h2><p>b</p>", live=True)
    tree = page_of(client, article)
    assert not tree.xpath('//nav[@aria-labelledby="contents-heading"]')
    assert tree.find_class("article-body")[0].xpath(".//h2/@id") == ["one", "two"]


def test_repeated_headings_get_distinct_ids_that_avoid_the_pages_own():
    body = (
        "<h2>Causes</h2><h2>Causes</h2><h2>References</h2><h2>Main</h2><h2>Ref 1</h2>"
        '<h2>Dose <sup class="citation-ref"><a href="#ref-1" id="cite-1-1">1</a></sup></h2>'
    )
    prepared = prepare_body(body)
    ids = [section.id for section in prepared.contents]
    assert ids == ["causes", "causes-2", "references", "main-2", "section-ref-1", "dose"]
    assert prepared.contents[-1].text == "Dose"  # the citation mark is not in the link text
    assert prepare_body(body) == prepared  # stable: the same body gives the same ids


def test_a_body_without_headings_or_tables_is_left_byte_for_byte():
    body = "<p>Caf\u00e9 &amp; more</p>"
    assert prepare_body(body) == LongBody(html=body, contents=())


def test_a_record_rendered_before_the_contents_list_is_re_rendered_when_read(client, monkeypatch):
    # The view reads the version it compares with when it is imported: import it unpatched.
    from articles.public import views

    assert views.RENDER_VERSION == publication.RENDER_VERSION
    # The record as the release before the contents list wrote it (render version 1).
    monkeypatch.setattr(publication, "RENDER_VERSION", 1)
    monkeypatch.setattr(presentation, "prepare_body", lambda html: LongBody(html, ()))
    article = ArticleFactory(body=THREE_SECTIONS, live=True)
    old = Publication.objects.get(article=article)
    assert old.render_version == 1 and "contents-heading" not in old.html
    monkeypatch.undo()

    assert contents_links(page_of(client, article)) == ["#what-it-is", "#causes", "#treatment"]
    new = Publication.objects.get(article=article)
    assert new.render_version == publication.RENDER_VERSION > 1
    assert 'aria-labelledby="contents-heading"' in new.html


# --- Tables ------------------------------------------------------------------------------


def test_each_cell_of_a_table_with_headers_names_its_column(client):
    article = ArticleFactory(body=WIDE_TABLE, live=True)
    (table,) = page_of(client, article).xpath('//div[@class="article-body"]//table')
    assert "responsive-table" in table.get("class")
    rows = table.xpath("./tbody/tr")
    assert [cell.get("data-label") for cell in rows[1]] == [
        "Medicine",
        "Usual adult dose",
        "How often",
        "Common side effects",
        "When to avoid it",
    ]
    assert not table.xpath("./thead//*[@data-label]")
    # Added when the page is rendered: what the physician signed has none.
    assert "data-label" not in article.live_revision.snapshot["body"]


def test_a_header_row_without_thead_and_spanning_headers_label_their_columns():
    html = prepare_body(
        '<table><tbody><tr><th>Time</th><th colspan="2">Dose</th></tr>'
        "<tr><td>Morning</td><td>1 tablet</td><td>with food</td></tr></tbody></table>"
    ).html
    (table,) = lxml.html.fragments_fromstring(html)
    header, row = table.xpath(".//tr")
    assert "column-headers" in header.get("class")
    assert [cell.get("data-label") for cell in row] == ["Time", "Dose", "Dose"]


def test_a_table_without_headers_scrolls_in_a_labelled_focusable_region(client):
    article = ArticleFactory(body=WIDE_TABLE + HEADERLESS_TABLE, live=True)
    (region,) = page_of(client, article).xpath('//div[@class="table-scroll"]')
    assert region.get("role") == "region" and region.get("tabindex") == "0"
    assert region.get("aria-label") == "Table 2"
    assert region.xpath("./table") and not region.xpath(".//*[@data-label]")


# --- Notices in the header ---------------------------------------------------------------


def header_of(tree):
    (header,) = tree.xpath('//header[@class="article-header"]')
    return header


def test_an_overdue_page_says_so_in_its_header_instead_of_the_reviewer_byline(client):
    article = ArticleFactory(live=True)
    record = Publication.objects.get(article=article)
    with time_machine.travel(record.next_review_due + timedelta(hours=1)):
        tree = page_of(client, article)
    header = header_of(tree)
    (notice,) = header.xpath('.//*[@data-header-notice="overdue"]')
    assert notice.text_content().split()[:2] == ["Review", "overdue."]
    assert timezone.localtime(record.next_review_due).strftime("%-d %B %Y") in notice.text_content()
    assert notice.xpath(".//a/@href") == ["#review-stamp-heading"]
    assert not header.find_class("byline-reviewer")
    # The full stamp stays at the end of the page.
    (stamp,) = tree.find_class("review-stamp")
    assert stamp.get("data-review-status") == "overdue"


def test_a_current_page_keeps_its_byline_and_shows_no_notice(client):
    tree = page_of(client, ArticleFactory(live=True))
    header = header_of(tree)
    assert header.find_class("byline-reviewer")
    assert not header.xpath(".//*[@data-header-notice]")


def test_a_page_whose_approval_was_taken_back_says_so_in_its_header(client):
    article = ArticleFactory(live=True)
    sign(article.live_revision, decision="changes_requested", comment="Update the dose.")
    header = header_of(page_of(client, article))
    (notice,) = header.xpath('.//*[@data-header-notice="taken-back"]')
    assert "Update in preparation." in notice.text_content()
    assert not header.find_class("byline-reviewer")


def test_a_page_citing_a_retracted_source_says_so_in_its_header_beside_the_byline(client):
    from references.services import citations_refresh
    from tests.articles.conftest import FakePubMed
    from tests.public.test_source_notices import noticed, page_citing

    article = page_citing("1000001", "Citing page")
    citations_refresh(
        client=FakePubMed({"1000001": noticed("1000001", "retracted")}), now=timezone.now()
    )
    header = header_of(page_of(client, article))
    (notice,) = header.xpath('.//*[@data-header-notice="under-review"]')
    assert notice.text_content().split()[:2] == ["Under", "review."]
    assert header.find_class("byline-reviewer")  # the approval still stands


# --- Dates -------------------------------------------------------------------------------


@pytest.fixture
def signed_article():
    """A live page approved at 14:30 on 31 May 2026 (site time)."""
    with time_machine.travel(timezone.make_aware(SIGNED), tick=False):
        return ArticleFactory(title="Dated page", live=True)


def stamp_texts(client, article) -> tuple[str, list[str]]:
    """The stamp's signer line and its dates, read the day after the signature."""
    with time_machine.travel(timezone.make_aware(SIGNED + timedelta(days=1)), tick=False):
        tree = page_of(client, article)
    (stamp,) = tree.find_class("review-stamp")
    (signer,) = stamp.find_class("review-stamp-signer")
    (dates,) = stamp.find_class("review-stamp-dates")
    return " ".join(signer.text_content().split()), [dd.text_content() for dd in dates.iter("dd")]


def test_the_stamp_dates_are_british_by_default_without_the_time_of_day(client, signed_article):
    signer, dates = stamp_texts(client, signed_article)
    assert signer.endswith(" on 31 May 2026.")
    assert dates == ["31 May 2026", "31 May 2027"]  # last reviewed, next review due
    assert "14:30" not in signer and "UTC" not in signer


@override_settings(LANGUAGE_CODE="en-us")
def test_the_stamp_dates_follow_an_american_site_language(client, signed_article):
    signer, dates = stamp_texts(client, signed_article)
    assert signer.endswith(" on May 31, 2026.")
    assert dates == ["May 31, 2026", "May 31, 2027"]


@override_settings(PUBLIC_SHOW_TIME=True)
def test_a_setting_puts_the_time_of_signing_back_on_the_stamp(client, signed_article):
    signer, _ = stamp_texts(client, signed_article)
    assert signer.endswith(" on 31 May 2026, 14:30 UTC.")


# --- Meta descriptions -------------------------------------------------------------------


def meta(tree) -> dict[str, str]:
    found = {}
    for element in tree.xpath("//meta[@name or @property]"):
        found[element.get("name") or element.get("property")] = element.get("content")
    return found


def test_pages_carry_a_meta_description_and_are_valid_html(client):
    topic = TopicFactory(name="Back pain", description="Pages about back pain and sciatica.")
    bare_topic = TopicFactory(name="Sleep", description="")
    article = ArticleFactory(
        standfirst="How long-term pain differs from short-term pain.",
        body=THREE_SECTIONS + WIDE_TABLE + HEADERLESS_TABLE,
        topics=[topic],
        live=True,
    )
    ArticleFactory(topics=[bare_topic], live=True)
    record = Publication.objects.get(article=article)
    urls = {
        "article": article.get_absolute_url(),
        "home": reverse("articles:home"),
        "topic": topic.get_absolute_url(),
        "topic without a description": bare_topic.get_absolute_url(),
    }
    with time_machine.travel(record.next_review_due + timedelta(hours=1)):  # overdue notices
        documents = {name: client.get(url).content.decode() for name, url in urls.items()}

    article_meta = meta(lxml.html.fromstring(documents["article"]))
    assert article_meta["description"] == article_meta["og:description"] == article.standfirst
    topic_meta = meta(lxml.html.fromstring(documents["topic"]))
    assert topic_meta["description"] == topic_meta["og:description"] == topic.description
    bare_meta = meta(lxml.html.fromstring(documents["topic without a description"]))
    assert bare_meta["description"].startswith("Sleep: pages on ")
    home_meta = meta(lxml.html.fromstring(documents["home"]))
    assert "reviewed by a physician" in home_meta["description"]
    assert home_meta["og:description"] == home_meta["description"]
    assert "Review overdue" in documents["article"] and "table-scroll" in documents["article"]
    assert nu_check(documents) == {name: [] for name in documents}
