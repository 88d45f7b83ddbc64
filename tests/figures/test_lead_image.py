"""The page's first figure is what link previews and search engines show (og:image, JSON-LD)."""

import json
import re

import pytest

from tests.factories.articles import ArticleFactory, make_live
from tests.figures.conftest import make_figure
from tests.figures.test_articles import body_with

pytestmark = pytest.mark.django_db


def graph(html: str) -> dict:
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
    )
    return {item["@type"]: item for item in data["@graph"]}


def test_the_first_figure_is_the_pages_og_image_and_primary_image(client, settings):
    settings.SITE_URL = "https://health.example.org"
    first, second = make_figure(alt_text="Bar chart of pain scores."), make_figure()
    article = ArticleFactory(body=body_with(first) + body_with(second))
    make_live(article)
    html = client.get(article.get_absolute_url()).content.decode()
    largest = max(
        (r for r in first.renditions if r["format"] == first.format), key=lambda r: r["width"]
    )
    url = f"https://health.example.org/figures/{largest['sha256']}.png"
    assert f'<meta property="og:image" content="{url}">' in html
    assert f'<meta property="og:image:width" content="{largest["width"]}">' in html
    assert '<meta property="og:image:alt" content="Bar chart of pain scores.">' in html
    image = graph(html)["MedicalWebPage"]["primaryImageOfPage"]
    assert image == {
        "@type": "ImageObject",
        "url": url,
        "width": largest["width"],
        "height": largest["height"],
    }


def test_a_page_without_figures_has_no_og_image(client):
    article = ArticleFactory(body="<p>No pictures here.</p>")
    make_live(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'property="og:image"' not in html
    assert "primaryImageOfPage" not in html
