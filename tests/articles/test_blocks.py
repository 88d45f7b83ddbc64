"""Content blocks in the body: kept by the sanitiser, signed, in the diff, rendered, checked."""

import pytest

from articles.content.admin.diff import diff_visible_text, visible_lines
from articles.content.admin.forms import rich_text_widget
from articles.content.blocks import SANITIZER_CLASSES, render_blocks
from articles.content.sanitize import sanitize_html
from articles.content.services import revision_create
from reviews.checks import check_key_facts, check_snapshot
from tests.factories.articles import ArticleFactory, CitationFactory, EditorFactory
from tests.factories.workflow import edit_body
from tests.public.conftest import publish
from tests.public.site import EVERY_BLOCK_BODY

URGENT = (
    '<div class="callout callout-urgent"><h3>Call 999 if:</h3><ul><li>you faint</li></ul></div>'
)


def test_the_sanitiser_keeps_the_block_classes_and_no_other():
    html = (
        '<div class="callout callout-urgent made-up" onclick="x()"><p>a</p></div>'
        '<div class="sidebar"><p>b</p></div><p class="callout">c</p>'
        '<ol class="steps big"><li>d</li></ol><ul class="steps"><li>e</li></ul>'
    )
    assert sanitize_html(html) == (
        '<div class="callout callout-urgent"><p>a</p></div>'
        "<div><p>b</p></div><p>c</p>"
        '<ol class="steps"><li>d</li></ol><ul><li>e</li></ul>'
    )


def test_the_sanitiser_leaves_prose_about_classes_alone():
    assert sanitize_html('<p>Type class="" here</p>') == '<p>Type class="" here</p>'


@pytest.mark.parametrize("html", [EVERY_BLOCK_BODY, URGENT])
def test_blocks_survive_sanitising_unchanged(html):
    assert sanitize_html(html) == html


def test_a_callout_renders_with_its_label_and_a_role():
    assert render_blocks(sanitize_html(URGENT)) == (
        '<div class="callout callout-urgent" role="note" aria-label="Urgent advice">'
        '<p class="block-label">Urgent advice</p><h3>Call 999 if:</h3><ul><li>you faint</li></ul>'
        "</div>"
    )


def test_every_block_kind_renders():
    rendered = render_blocks(sanitize_html(EVERY_BLOCK_BODY))
    for label in ("Urgent advice", "Warning", "Information", "Key facts"):
        assert f'<p class="block-label">{label}</p>' in rendered
    assert 'role="region" aria-label="Key facts"' in rendered
    assert '<div class="call-to-action" role="note" aria-label="Next step">' in rendered
    assert '<ol class="steps">' in rendered


def test_the_class_order_an_editor_typed_does_not_matter():
    html = sanitize_html('<div class="callout-warning callout"><p>x</p></div>')
    assert render_blocks(html).startswith(
        '<div class="callout callout-warning" role="note" aria-label="Warning">'
    )


@pytest.mark.django_db
def test_the_public_page_shows_the_blocks_from_the_signed_revision(client):
    CitationFactory(pmid="29870458")
    article = ArticleFactory(body=EVERY_BLOCK_BODY)
    publish(article)
    assert 'class="callout callout-urgent"' in article.live_revision.snapshot["body"]
    html = client.get(article.get_absolute_url()).content.decode()
    assert (
        '<p class="block-label">Urgent advice</p><h3>Call 999 or go to A&amp;E now if:</h3>' in html
    )
    assert '<div class="key-facts" role="region" aria-label="Key facts">' in html


@pytest.mark.django_db
def test_changing_a_callouts_kind_shows_in_the_physicians_diff():
    editor = EditorFactory()
    article = ArticleFactory(body=URGENT)
    before = revision_create(article=article, user=editor)
    after = edit_body(article, URGENT.replace("callout-urgent", "callout-info"), editor=editor)
    assert after.content_hash != before.content_hash
    assert "Block: Urgent advice" in visible_lines(before.snapshot)
    lines = diff_visible_text(before.snapshot, after.snapshot)
    changed = {(line.kind, str(line.html)) for line in lines if line.kind != "equal"}
    assert any("Urgent advice" in text for kind, text in changed if kind == "removed")
    assert any("Information" in text for kind, text in changed if kind == "added")


def test_a_key_fact_without_a_source_is_flagged():
    body = (
        '<div class="key-facts"><ul><li><strong>1 in 5</strong> adults [PMID:29870458]</li>'
        "<li><strong>30%</strong> of people recover</li></ul></div>"
        "<ul><li>Outside the box, 40% of people</li></ul>"
    )
    findings = check_key_facts({"body": body})
    assert [(f.code, f.excerpt) for f in findings] == [
        ("uncited_key_fact", "30% of people recover")
    ]
    assert "uncited_key_fact" in {f.code for f in check_snapshot({"body": body})}


def test_the_editor_keeps_exactly_the_sanitisers_classes():
    allowed = rich_text_widget().config["extraAllowedContent"]
    for tag, names in SANITIZER_CLASSES.items():
        assert f"{tag}({','.join(sorted(names))})" in allowed
    assert "ckeditor_blocks.js" in rich_text_widget().config["templates_files"][0]


@pytest.mark.django_db
def test_a_page_disclaimer_replaces_the_standard_one_and_is_signed(client):
    from articles.publishing.presentation import DISCLAIMER

    standard = ArticleFactory(title="Standard")
    own = ArticleFactory(title="Own", disclaimer="Ketamine is given only in our clinic.")
    publish(standard)
    publish(own)
    assert "disclaimer" not in standard.live_revision.snapshot
    assert own.live_revision.snapshot["disclaimer"] == "Ketamine is given only in our clinic."
    own_page = client.get(own.get_absolute_url()).content.decode()
    assert "Ketamine is given only in our clinic." in own_page
    assert DISCLAIMER not in own_page
    assert DISCLAIMER in client.get(standard.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_reference_note_is_signed_shown_and_in_the_diff(client):
    from articles.models import ReferenceNote

    citation = CitationFactory(pmid="29870458")
    editor = EditorFactory()
    article = ArticleFactory(body="<p>Guidance [PMID:29870458].</p>")
    before = revision_create(article=article, user=editor)
    ReferenceNote.objects.create(
        article=article, citation=citation, note="Multi-society consensus guidelines"
    )
    after = revision_create(article=article, user=editor)
    assert after.content_hash != before.content_hash
    assert after.snapshot["citations"][0]["note"] == "Multi-society consensus guidelines"
    assert "note" not in before.snapshot["citations"][0]
    added = [
        str(line.html)
        for line in diff_visible_text(before.snapshot, after.snapshot)
        if line.kind == "added"
    ]
    assert any("Multi-society consensus guidelines" in text for text in added)
    publish(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<span class="reference-note">Multi-society consensus guidelines</span>' in html


@pytest.mark.django_db
def test_a_search_description_is_signed_shown_to_search_engines_and_in_the_diff(client):
    editor = EditorFactory()
    article = ArticleFactory(standfirst="The standfirst.")
    before = revision_create(article=article, user=editor)
    assert "search_description" not in before.snapshot
    publish(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<meta name="description" content="The standfirst.">' in html

    article.search_description = "Ketamine for pain: what the evidence says."
    article.save(update_fields=["search_description"])
    after = revision_create(article=article, user=editor)
    assert after.snapshot["search_description"] == "Ketamine for pain: what the evidence says."
    added = [
        str(line.html)
        for line in diff_visible_text(before.snapshot, after.snapshot)
        if line.kind == "added"
    ]
    assert any("Search description" in text for text in added)
    publish(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<meta name="description" content="Ketamine for pain: what the evidence says.">' in html
    assert 'property="og:description" content="Ketamine for pain: what the evidence says."' in html


@pytest.mark.django_db
def test_the_admin_saves_the_page_disclaimer_and_search_description(client):
    from django.urls import reverse

    from articles.models import Article
    from tests.articles.test_admin import form_data

    client.force_login(EditorFactory())
    article = ArticleFactory()
    data = form_data(
        article,
        disclaimer="Only for patients of our clinic.",
        search_description="A short description.",
    )
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(pk=article.pk)
    assert (article.disclaimer, article.search_description) == (
        "Only for patients of our clinic.",
        "A short description.",
    )
    snapshot = article.revisions.order_by("-number").first().snapshot
    assert snapshot["disclaimer"] == "Only for patients of our clinic."
    assert snapshot["search_description"] == "A short description."
