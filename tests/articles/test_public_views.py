"""The public pages: only live revisions, from their snapshots, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.content.services import article_update, revision_create
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

pytestmark = pytest.mark.django_db


def test_the_article_page_shows_the_live_snapshot_in_reading_order(client):
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    author = ContributorFactory(name="Dana Writer", credentials="MPH")
    topic = TopicFactory(name="Back pain")
    article = ArticleFactory(
        title="Chronic back pain",
        standfirst="Pain that lasts.",
        body="<h2>Causes</h2><p>Often unclear [PMID:29870458].</p>",
        topics=[topic],
        authors=[author],
        takeaways=2,
        faq=1,
        comparisons=1,
        live=True,
    )
    response = client.get(reverse("articles:detail", args=[article.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    order = [
        'aria-label="Breadcrumb"',
        "Back pain</a>",
        "<h1>Chronic back pain</h1>",
        "Pain that lasts.",
        "Written by",
        "Dana Writer, MPH</a>",
        "<time datetime=",
        "Key takeaways",
        '<h2 id="causes">Causes</h2>',
        '<sup class="citation-ref"><a href="#ref-1" id="cite-1-1">1</a></sup>',
        "How it differs",
        "<details>",
        '<ol class="references">',
        '<li id="ref-1">',
        'href="#cite-1-1"',
        "Randomised controlled trial",
        'href="https://pubmed.ncbi.nlm.nih.gov/29870458/"',
        'href="https://doi.org/10.1097/AAP.0000000000000808"',
        "not a substitute for advice",
    ]
    position = page.index("<main")
    for marker in order:
        position = page.index(marker, position)  # ValueError if missing or out of order
    assert author.get_absolute_url() in page


def test_editing_the_draft_does_not_change_one_byte_of_the_public_page(client):
    article = ArticleFactory(live=True, takeaways=2, faq=1)
    url = article.get_absolute_url()
    before = client.get(url).content
    user = StaffUserFactory()
    article_update(
        article=article,
        data={
            "title": "Draft title",
            "standfirst": "Draft standfirst",
            "body": "<p>Unreviewed text</p>",
            "takeaways": ["Unreviewed takeaway"],
            "faq": [{"question": "New?", "answer": "Unreviewed"}],
        },
        expected_version=article.version,
        user=user,
    )
    draft_revision = revision_create(article=article, user=user)
    assert draft_revision.number == 2
    assert client.get(url).content == before

    make_live(article)  # the new revision becomes live: now, and only now, the page changes
    after = client.get(url).content.decode()
    assert "Draft title" in after and "Unreviewed text" in after


def test_an_article_without_a_live_revision_is_404_to_the_public(client):
    article = ArticleFactory()
    revision_create(article=article, user=StaffUserFactory())
    response = client.get(reverse("articles:detail", args=[article.slug]))
    assert response.status_code == 404
    assert "find that page" in response.content.decode()
    home = client.get(reverse("articles:home")).content.decode()
    assert article.title not in home


def test_preview_shows_any_revision_to_staff_with_a_banner_and_noindex(client):
    article = ArticleFactory(title="Not yet approved")
    revision = revision_create(article=article, user=StaffUserFactory())
    client.force_login(EditorFactory())
    response = client.get(reverse("articles:preview", args=[revision.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview - not published" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "<h1>Not yet approved</h1>" in page


def test_preview_is_refused_to_the_public_and_to_non_staff(client):
    revision = revision_create(article=ArticleFactory(), user=StaffUserFactory())
    url = reverse("articles:preview", args=[revision.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(StaffUserFactory(is_staff=False))
    assert client.get(url).status_code == 302


def test_preview_needs_permission_to_view_that_article_not_just_staff_status(client):
    """Unreviewed text is for the editors and the reviewing physicians, not any staff login."""
    revision = revision_create(article=ArticleFactory(), user=StaffUserFactory())
    url = reverse("articles:preview", args=[revision.pk])
    client.force_login(StaffUserFactory())
    assert client.get(url).status_code == 403
    client.force_login(ReviewerProfileFactory(user__is_staff=True).user)
    assert client.get(url).status_code == 200


def test_preview_of_the_live_revision_looks_like_the_public_page(client):
    article = ArticleFactory(live=True, faq=1)
    public = client.get(article.get_absolute_url()).content.decode()
    client.force_login(EditorFactory())
    preview = client.get(reverse("articles:preview", args=[article.live_revision.pk]))
    body = preview.content.decode()
    start = public.index("<article")
    assert public[start : public.index("</article>")] in body


def test_an_old_slug_redirects_permanently_to_the_new_address(client):
    article = ArticleFactory(slug="old-slug", live=True)
    article_update(
        article=article, data={"slug": "new-slug"}, expected_version=1, user=StaffUserFactory()
    )
    response = client.get("/articles/old-slug/")
    assert response.status_code == 301
    assert response["Location"] == reverse("articles:detail", args=["new-slug"])
    assert client.get(response["Location"]).status_code == 200


def test_an_old_slug_of_an_unpublished_article_is_404(client):
    article = ArticleFactory(slug="old-slug")
    article_update(
        article=article, data={"slug": "new-slug"}, expected_version=1, user=StaffUserFactory()
    )
    assert client.get("/articles/old-slug/").status_code == 404


def test_home_lists_featured_and_latest_live_articles_and_topics(client):
    topic = TopicFactory(name="Migraine")
    featured = ArticleFactory(title="Featured page", featured=True, topics=[topic], live=True)
    ArticleFactory(title="Ordinary page", topics=[topic], live=True)
    ArticleFactory(title="Draft page", topics=[TopicFactory(name="Empty topic")])
    page = client.get(reverse("articles:home")).content.decode()
    featured_section, latest_section = page.split('id="latest-heading"')
    # The featured section shows the featured page only; the latest shows both, newest first.
    assert featured.title in featured_section and "Ordinary page" not in featured_section
    assert latest_section.index("Ordinary page") < latest_section.index(featured.title)
    assert "Draft page" not in page
    assert "Migraine</a>" in page and "Empty topic" not in page


def test_lists_show_the_live_title_not_the_draft_title(client):
    article = ArticleFactory(title="Reviewed title", live=True)
    article_update(
        article=article, data={"title": "Draft title"}, expected_version=1, user=StaffUserFactory()
    )
    for url in (reverse("articles:home"), article.topics.first().get_absolute_url()):
        page = client.get(url).content.decode()
        assert "Reviewed title" in page and "Draft title" not in page


def test_topic_and_contributor_pages(client):
    topic = TopicFactory(name="Sciatica", description="Leg pain from the back.")
    author = ContributorFactory(name="Robin Author", bio="Writes about pain.")
    ArticleFactory(title="About sciatica", topics=[topic], authors=[author], live=True)
    topic_page = client.get(topic.get_absolute_url()).content.decode()
    assert "<h1>Sciatica</h1>" in topic_page and "About sciatica" in topic_page
    profile = client.get(author.get_absolute_url()).content.decode()
    assert "Robin Author" in profile and "Writes about pain." in profile
    assert "About sciatica" in profile
    assert client.get(reverse("articles:topic", args=["nope"])).status_code == 404
    assert client.get(reverse("articles:contributor", args=["nope"])).status_code == 404


def test_the_500_page_renders_without_a_request_or_database():
    from django.template import loader
    from django.test.utils import CaptureQueriesContext as Capture

    with Capture(connection) as queries:
        html = loader.get_template("500.html").render()
    assert "something went wrong" in html.lower()
    assert len(queries) == 0


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _world(size):
    """An article with `size` takeaways, FAQ entries, comparisons, topics and related articles."""
    topics = [TopicFactory() for _ in range(size)]
    citations = [CitationFactory() for _ in range(size)]
    body = "".join(f"<p>Claim [PMID:{c.pmid}]</p>" for c in citations)
    article = ArticleFactory(
        body=body, topics=topics, takeaways=size, faq=size, comparisons=size, live=True,
        authors=[ContributorFactory() for _ in range(size)],
    )
    for index in range(size):
        ArticleFactory(topics=[topics[index]], featured=True, live=True)
    return article, topics[0]


@pytest.mark.parametrize("page", ["article", "home", "topic"])
def test_public_pages_run_a_constant_number_of_queries(client, page):
    counts = []
    for size in (1, 20):
        article, topic = _world(size)
        url = {
            "article": article.get_absolute_url(),
            "home": reverse("articles:home"),
            "topic": topic.get_absolute_url(),
        }[page]
        counts.append(_count(client, url))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 5
