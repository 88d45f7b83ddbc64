"""Public pages are valid HTML5 (W3C Nu checker), with landmarks, a skip link, no inline code."""

import re

import pytest
from django.template import loader
from django.urls import reverse

from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    ContributorFactory,
    EditorFactory,
    TopicFactory,
)
from tests.html_checker import nu_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(client):
    CitationFactory(pmid="29870458")
    topic = TopicFactory(name="Back pain")
    author = ContributorFactory()
    article = ArticleFactory(
        body='<h2>Causes</h2><p>Claim [PMID:29870458] again [PMID:29870458].</p>'
        '<table><tr><th scope="col">A</th></tr><tr><td>1</td></tr></table>'
        '<p><a href="https://example.org/">link [PMID:29870458]</a></p>',
        topics=[topic],
        authors=[author, ContributorFactory()],
        takeaways=2,
        faq=2,
        comparisons=2,
        live=True,
    )
    ArticleFactory(topics=[topic], featured=True, live=True)
    urls = {
        "home": reverse("articles:home"),
        "topic": topic.get_absolute_url(),
        "article": article.get_absolute_url(),
        "contributor": author.get_absolute_url(),
        "404": "/articles/no-such-page/",
    }
    documents = {name: client.get(url).content.decode() for name, url in urls.items()}
    client.force_login(EditorFactory())
    documents["preview"] = client.get(
        reverse("articles:preview", args=[article.live_revision.pk])
    ).content.decode()
    documents["500"] = loader.get_template("500.html").render()
    return documents


def test_public_pages_are_valid_html5(pages):
    assert nu_check(pages) == {name: [] for name in pages}


def test_public_pages_have_landmarks_a_skip_link_and_no_inline_script_or_style(pages):
    for name, html in pages.items():
        assert re.search(r'<html lang="[a-z-]+"', html, re.I), name
        assert "<main" in html, name
        # JSON-LD is a data block, which CSP does not execute; no other script may appear.
        code = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
        assert "<script" not in code.lower(), name
        assert " style=" not in html, name
        assert not re.search(r"\son[a-z]+=", html), name
        if name != "500":
            assert '<a class="skip-link" href="#main">' in html, name
            assert "<header" in html and "<nav" in html and "<footer" in html, name
