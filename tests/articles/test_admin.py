"""The editorial admin: saves through the services, locking, citations, history and diff."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html as lxml_html

from articles.content.services import article_update
from articles.models import Article, ArticleRevision, SlugRedirect
from references.models import Citation
from tests.factories.articles import (
    ArticleFactory,
    CitationFactory,
    EditorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

INLINES = {
    "takeaways": ["position", "text"],
    "comparisons": ["position", "term", "explanation"],
    "faq_entries": ["position", "question", "answer"],
    "reference_notes": ["citation", "note"],
}


def form_data(article=None, topic=None, **overrides):
    """The POST an editor's browser sends from the add or change page."""
    data = {
        "title": article.title if article else "Sciatica",
        "slug": article.slug if article else "sciatica",
        "standfirst": article.standfirst if article else "Leg pain that starts in the back.",
        "body": article.body if article else "<p>Most sciatica settles.</p>",
        "article_type": article.article_type if article else "condition_overview",
        "topics": [t.pk for t in article.topics.all()] if article else [topic.pk],
        "authors": [a.pk for a in article.authors.all()] if article else [],
        "needs_review_reason": "",
        "expected_version": article.version if article else "",
    }
    for prefix, fields in INLINES.items():
        rows = list(getattr(article, prefix).all()) if article else []
        data.update({
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": len(rows),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        })
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = row.pk
            data[f"{prefix}-{index}-article"] = article.pk
            for field in fields:
                data[f"{prefix}-{index}-{field}"] = getattr(row, field)
    data.update(overrides)
    return data


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def test_an_editor_adds_an_article_with_takeaways_and_gets_revision_1(editor_client):
    data = form_data(
        topic=TopicFactory(),
        body='<p onclick="steal()">Most sciatica settles.<script>x()</script></p>',
        **{"takeaways-TOTAL_FORMS": 1, "takeaways-0-position": 0, "takeaways-0-text": "Move."},
    )
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.body == "<p>Most sciatica settles.</p>"
    revision = article.revisions.get()
    assert revision.number == 1
    assert revision.snapshot["takeaways"] == ["Move."]
    assert article.live_revision is None


def test_saving_without_a_content_change_makes_no_revision(editor_client):
    article = ArticleFactory(takeaways=2)
    for _ in range(2):
        article.refresh_from_db()
        response = editor_client.post(change_url(article), form_data(article))
        assert response.status_code == 302
    assert ArticleRevision.objects.filter(article=article).count() == 1
    article.refresh_from_db()
    response = editor_client.post(change_url(article), form_data(article, title="Changed"))
    assert response.status_code == 302
    assert list(article.revisions.values_list("number", flat=True).order_by("number")) == [1, 2]


def test_a_stale_save_is_refused_with_the_editors_text_kept_and_the_first_save_intact(client):
    article = ArticleFactory(body="<p>Original.</p>")
    first, second = EditorFactory(), EditorFactory()
    url = change_url(article)

    client.force_login(first)
    first_form = client.get(url).context["adminform"].form
    client.force_login(second)
    second_form = client.get(url).context["adminform"].form
    assert first_form["expected_version"].value() == second_form["expected_version"].value() == 1

    client.force_login(first)
    response = client.post(url, form_data(article, body="<p>First editor's text.</p>"))
    assert response.status_code == 302

    client.force_login(second)
    response = client.post(url, form_data(article, body="<p>Second editor's careful text.</p>"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this article while you were editing it" in page
    assert "Second editor&#x27;s careful text." in page  # still in the form, to copy
    article.refresh_from_db()
    assert article.body == "<p>First editor's text.</p>"
    assert article.version == 2
    assert [r.snapshot["body"] for r in article.revisions.order_by("number")] == [
        "<p>First editor's text.</p>"
    ]


def test_an_unknown_pmid_while_pubmed_is_down_refuses_the_whole_save(editor_client, pubmed_down):
    CitationFactory(pmid="11111111")
    data = form_data(
        topic=TopicFactory(),
        body="<p>Known [PMID:11111111], new [PMID:22222222] and [PMID:33333333].</p>",
        **{"takeaways-TOTAL_FORMS": 1, "takeaways-0-position": 0, "takeaways-0-text": "Move."},
    )
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "PubMed could not be reached to check PMID 22222222, 33333333" in page
    assert not Article.objects.exists()
    assert not ArticleRevision.objects.exists()
    assert list(Citation.objects.values_list("pmid", flat=True)) == ["11111111"]
    assert pubmed_down.calls == [["22222222", "33333333"]]


def test_an_unknown_pmid_is_fetched_when_pubmed_is_up(editor_client, pubmed_up):
    article = ArticleFactory()
    article.refresh_from_db()
    body = "<p>New claim [PMID:22222222].</p>"
    response = editor_client.post(change_url(article), form_data(article, body=body))
    assert response.status_code == 302
    revision = article.revisions.get()
    assert [c["pmid"] for c in revision.snapshot["citations"]] == ["22222222"]


def test_a_malformed_marker_is_a_form_error(editor_client):
    data = form_data(topic=TopicFactory(), body="<p>Typo [PMID:0123].</p>")
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Invalid citation marker(s): [PMID:0123]" in response.content.decode()
    assert not Article.objects.exists()


def test_an_image_without_alt_text_is_a_form_error(editor_client):
    data = form_data(topic=TopicFactory(), body='<p><img src="/media/x.png"></p>')
    response = editor_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Every image needs alt text" in response.content.decode()
    assert not Article.objects.exists()


def _taken_slug(kind: str) -> tuple[Article, str]:
    """Another article, and a slug that is its address now ("current") or was ("former")."""
    other = ArticleFactory(slug="sciatica-basics")
    if kind == "former":
        article_update(
            article=other, data={"slug": "sciatica"}, expected_version=other.version,
            user=EditorFactory(),
        )
    return other, "sciatica-basics"


@pytest.mark.parametrize("kind", ["current", "former"])
def test_the_change_form_refuses_another_articles_slug_with_a_form_error(editor_client, kind):
    other, taken = _taken_slug(kind)
    article = ArticleFactory(slug="back-pain")
    revisions = ArticleRevision.objects.count()
    response = editor_client.post(change_url(article), form_data(article, slug=taken))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["slug"]
    if kind == "former":
        assert errors["slug"] == [
            "This address used to belong to another article and still redirects there."
        ]
    article.refresh_from_db()
    assert (article.slug, article.version) == ("back-pain", 1)
    assert ArticleRevision.objects.count() == revisions
    # The other article keeps its address, or its old links keep redirecting to it.
    other.refresh_from_db()
    if kind == "former":
        assert SlugRedirect.objects.get(old_slug=taken).article == other
    else:
        assert other.slug == taken
    assert not SlugRedirect.objects.filter(article=article).exists()


@pytest.mark.parametrize("kind", ["current", "former"])
def test_the_add_form_refuses_another_articles_slug_with_a_form_error(editor_client, kind):
    other, taken = _taken_slug(kind)
    response = editor_client.post(
        reverse("admin:articles_article_add"), form_data(topic=TopicFactory(), slug=taken)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["slug"]
    if kind == "former":
        assert "still redirects there" in errors["slug"][0]
    assert list(Article.objects.all()) == [other]


def test_an_article_takes_back_its_own_former_slug_through_the_admin(editor_client):
    """The control for the refusals above: the redirect is the article's own."""
    article = ArticleFactory(slug="sciatica-basics")
    article_update(
        article=article, data={"slug": "sciatica"}, expected_version=1, user=EditorFactory()
    )
    article.refresh_from_db()
    response = editor_client.post(change_url(article), form_data(article, slug="sciatica-basics"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.slug == "sciatica-basics"
    assert list(SlugRedirect.objects.values_list("old_slug", "article")) == [
        ("sciatica", article.pk)
    ]


def test_history_and_diff_are_reachable_from_the_change_page(editor_client):
    article = ArticleFactory(title="Old title", body="<p>Keep this.</p><p>Old sentence.</p>")
    article.refresh_from_db()
    editor_client.post(change_url(article), form_data(article))
    article.refresh_from_db()
    body = "<p>Keep this.</p><p>New <script>sentence</script>.</p>"
    editor_client.post(change_url(article), form_data(article, title="New title", body=body))
    assert article.revisions.count() == 2

    change_page = editor_client.get(change_url(article)).content.decode()
    history_href = re.search(r'href="([^"]+)"[^>]*>History of revisions<', change_page).group(1)
    history = editor_client.get(history_href)
    assert history.status_code == 200
    text = history.content.decode()
    revisions = list(article.revisions.order_by("-number"))
    for revision in revisions:
        assert revision.hash_prefix in text
        assert reverse("articles:preview", args=[revision.pk]) in text
    diff_href = re.search(r'class="diff-link" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    diff = editor_client.get(diff_href)
    assert diff.status_code == 200
    diff_text = diff.content.decode()
    assert "<del>Old</del>" in diff_text and "<ins>New</ins>" in diff_text
    assert "<del>&lt;p&gt;Old</del>" in diff_text and "<del>sentence.&lt;/p&gt;</del>" in diff_text
    assert "<script>" not in diff_text.split('id="content-main"')[1]  # content is escaped
    assert "Keep this." in diff_text  # context is shown

    preview = editor_client.get(reverse("articles:preview", args=[revisions[0].pk]))
    assert preview.status_code == 200


def test_any_two_revisions_can_be_compared(editor_client):
    article = ArticleFactory(live=True)
    for title in ("Two", "Three"):
        article.refresh_from_db()
        editor_client.post(change_url(article), form_data(article, title=title))
    url = reverse("admin:articles_article_revision_diff", args=[article.pk])
    response = editor_client.get(url, {"from": 1, "to": 3})
    assert response.status_code == 200
    assert "<ins>Three</ins>" in response.content.decode()
    assert editor_client.get(url, {"from": 1, "to": 9}).status_code == 404
    assert editor_client.get(url).status_code == 404


def test_revisions_are_read_only_in_the_admin(editor_client):
    article = ArticleFactory(live=True)
    revision = article.live_revision
    url = reverse("admin:articles_articlerevision_change", args=[revision.pk])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert editor_client.post(url, {}).status_code == 403
    delete_url = reverse("admin:articles_articlerevision_delete", args=[revision.pk])
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert editor_client.get(reverse("admin:articles_articlerevision_add")).status_code == 403
    assert ArticleRevision.objects.filter(pk=revision.pk).exists()


def change_list_rows(client, **query) -> dict[str, str]:
    """
    The article change list's result rows, {title: status} as the table shows them.

    Read from the result table only: "Published", "Draft" and the other statuses are also
    choices of the status filter in the sidebar, so the page as a whole always contains them.
    """
    response = client.get(reverse("admin:articles_article_changelist"), query)
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.content.decode())
    return {
        row.xpath("string(.//*[contains(@class, 'field-title')])").strip(): row.xpath(
            "string(.//*[contains(@class, 'field-status')])"
        ).strip()
        for row in tree.xpath('//table[@id="result_list"]/tbody/tr')
    }


def test_the_change_list_shows_status_and_filters_by_it(editor_client):
    ArticleFactory(title="Live one", live=True)
    ArticleFactory(title="Draft one", body="<p>Nothing to find here.</p>")
    assert change_list_rows(editor_client) == {"Live one": "Published", "Draft one": "Draft"}
    assert change_list_rows(editor_client, status="published") == {"Live one": "Published"}
    assert change_list_rows(editor_client, status="draft") == {"Draft one": "Draft"}
    # Search covers the body: only the live one's says "common condition".
    assert change_list_rows(editor_client, q="common condition") == {"Live one": "Published"}


def test_the_change_list_runs_a_constant_number_of_queries(editor_client):
    url = reverse("admin:articles_article_changelist")
    counts = []
    for size in (1, 20):
        for _ in range(size):
            ArticleFactory(topics=[TopicFactory(), TopicFactory()], live=True)
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_change_page_lists_the_references_in_order_with_labels_and_retraction_warnings(
    admin_client,
):
    from articles.content.services import article_update, revision_create
    from tests.factories.articles import ArticleFactory, CitationFactory, StaffUserFactory

    CitationFactory(pmid="111", title="First source", evidence_label="meta_analysis")
    CitationFactory(
        pmid="222", title="Second source", retracted=True, retraction_notice_pmid="333"
    )
    article = ArticleFactory()
    article_update(
        article=article,
        data={"body": "<p>Claim [PMID:222]. Other [PMID:111].</p>"},
        expected_version=article.version,
        user=StaffUserFactory(),
    )
    revision_create(article=article, user=StaffUserFactory())
    page = admin_client.get(
        reverse("admin:articles_article_change", args=[article.pk])
    ).content.decode()
    section = page[page.index('id="references-heading"'):]
    assert section.index("Second source") < section.index("First source")
    assert "Retracted (notice PMID 333)" in section
    assert "Meta-analysis" in section


def test_the_diff_folds_long_unchanged_runs_around_a_change():
    from articles.content.admin.diff import diff_snapshots

    body = "".join(f"<p>Paragraph {n}.</p>" for n in range(20))
    old = {"title": "T", "standfirst": "S", "body": body}
    new = {**old, "body": body.replace("<p>Paragraph 10.</p>", "<p>Paragraph ten.</p>")}
    full = diff_snapshots(old, new)
    folded = diff_snapshots(old, new, context=2)
    assert len(folded) < len(full)
    kinds = [line.kind for line in folded]
    assert kinds.count("skipped") == 2
    assert "removed" in kinds and "added" in kinds
    text = " ".join(str(line.html) for line in folded)
    assert "Paragraph 9." in text and "Paragraph 11." in text  # context kept
    assert "Paragraph 3." not in text  # folded away
    assert "unchanged lines" in text
