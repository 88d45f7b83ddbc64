"""The public article page in Chromium: no CSP violations, no script needed, WCAG 2.1 AA (axe)."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.factories.articles import ArticleFactory, CitationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article_url(live_server):
    CitationFactory(pmid="29870458")
    article = ArticleFactory(
        body="<h2>Causes</h2><p>Often unclear [PMID:29870458].</p>",
        takeaways=2,
        faq=2,
        comparisons=1,
        live=True,
    )
    ArticleFactory(topics=list(article.topics.all()), live=True)
    return f"{live_server.url}{article.get_absolute_url()}"


def test_the_article_page_works_without_javascript_and_breaks_no_csp(browser, article_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(article_url)
    answer = page.locator("details").first.locator(".faq-answer")
    expect(answer).to_be_hidden()
    page.locator("details summary").first.click()
    expect(answer).to_be_visible()
    page.click("sup.citation-ref a")
    assert page.url.endswith("#ref-1")
    assert errors == []
    context.close()


def test_the_article_page_has_no_serious_accessibility_violations(browser, article_url):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(article_url)
    assert axe_violations(page) == []
    context.close()
