"""
Figures in articles: the marker on save, the signed snapshot, the public page, the review diff,
the content checks, the serving view, and a figure file changed behind the app's back.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles.content.admin.diff import visible_lines
from articles.content.figures import find_figure_ids
from articles.content.services import article_update, revision_create
from articles.models import Article
from articles.publishing.models import Publication
from articles.publishing.workflow import article_publish
from figures.services import figure_update
from figures.storage import figure_storage, storage_name
from reviews.checks import check_snapshot
from tests.articles.test_admin import form_data
from tests.factories.articles import ArticleFactory, EditorFactory, make_live
from tests.factories.workflow import edit_body, sign
from tests.figures.conftest import chart, make_figure
from tests.html_checker import nu_check

pytestmark = pytest.mark.django_db


def body_with(figure) -> str:
    return f"<p>Exercise helps most people.</p><p>[FIGURE:{figure.pk}]</p><p>Keep moving.</p>"


def swap_file(sha256: str, fmt: str) -> None:
    """Someone with access to the disk writes other bytes to a stored figure file."""
    path = figure_storage().path(storage_name(sha256, fmt))
    with open(path, "r+b") as handle:
        data = bytearray(handle.read())
        data[-20] ^= 0xFF
        handle.seek(0)
        handle.write(bytes(data))


def test_markers_are_found_only_as_a_paragraph_of_their_own_in_text():
    html = (
        '<p>[FIGURE:1]</p><p title="[FIGURE:2]">x</p><p> [figure: 3]&nbsp;</p>'
        "<ul><li><p>[FIGURE:4]</p></li></ul><p>See [FIGURE:5] here</p><p>[FIGURE:1]</p>"
    )
    assert find_figure_ids(html) == [1, 3]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>[FIGURE:999999]</p>", "There is no figure 999999 in the figure library"),
        ("<p>See [FIGURE:{pk}] in text</p>", "must be a paragraph of its own"),
        ("<p>[FIGURE:abc]</p>", "not written correctly"),
    ],
)
def test_a_bad_figure_marker_is_refused_on_save_and_nothing_is_stored(body, message):
    figure = make_figure()
    article = ArticleFactory()
    editor = EditorFactory()
    before = Article.objects.values("body", "version").get(pk=article.pk)
    with pytest.raises(ValidationError, match=message):
        article_update(
            article=article,
            data={"body": body.format(pk=figure.pk)},
            expected_version=article.version,
            user=editor,
        )
    assert Article.objects.values("body", "version").get(pk=article.pk) == before


def test_the_admin_refuses_an_unknown_figure_with_a_message(client):
    article = ArticleFactory()
    client.force_login(EditorFactory())
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(url, form_data(article, body="<p>[FIGURE:424242]</p>"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body"]
    assert "There is no figure 424242 in the figure library" in errors[0]
    article.refresh_from_db()
    assert "FIGURE" not in article.body
    assert article.revisions.count() == 0
    # The change form offers the picker and the upload link, from a script file.
    page = client.get(url).content.decode()
    assert "Insert a figure from the library" in page
    assert reverse("admin:figures_figure_add") in page
    assert "articles/figure_picker.js" in page


def test_the_admin_refuses_a_figure_without_alt_text(client):
    figure = make_figure()
    # Only a write around the app can empty it (the form and the database both require it).
    type(figure).objects.filter(pk=figure.pk).update(alt_text=" ")
    article = ArticleFactory()
    client.force_login(EditorFactory())
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(url, form_data(article, body=f"<p>[FIGURE:{figure.pk}]</p>"))
    assert response.status_code == 200
    assert (
        f"Figure {figure.pk} has no alt text"
        in response.context["adminform"].form.errors["body"][0]
    )


def test_the_picker_lists_the_library_as_json(client):
    figure = make_figure()
    client.force_login(EditorFactory())
    data = client.get(reverse("admin:figures_figure_picker")).json()
    assert [entry["id"] for entry in data["figures"]] == [figure.pk]
    assert data["figures"][0]["thumbnail"]["url"].startswith("/figures/")


def test_the_snapshot_has_figures_only_when_the_body_uses_one_and_old_hashes_hold():
    editor = EditorFactory()
    article = ArticleFactory()
    first = revision_create(article=article, user=editor)
    assert "figures" not in first.snapshot
    figure = make_figure()
    second = edit_body(article, body_with(figure), editor=editor)
    entry = second.snapshot["figures"][0]
    assert entry["id"] == figure.pk
    assert entry["sha256"] == figure.sha256
    assert (entry["alt"], entry["caption"], entry["credit"], entry["licence"]) == (
        figure.alt_text,
        figure.caption,
        figure.credit,
        "CC BY 4.0",
    )
    assert (entry["width"], entry["height"]) == (1600, 900)
    assert {r["sha256"] for r in entry["renditions"]} == {r["sha256"] for r in figure.renditions}
    first.refresh_from_db()
    assert first.compute_hash() == first.content_hash
    # The words a physician signs are in the diff the review screen shows.
    lines = visible_lines(second.snapshot)
    assert f"Figure {figure.pk} caption: {figure.caption}" in lines
    assert any(line.startswith(f"Figure {figure.pk} image: PNG, 1600 × 900 px") for line in lines)
    # Editing the caption changes the next snapshot only.
    signed_caption = figure.caption
    figure_update(figure=figure, data={"caption": "Pain by week"}, user=editor)
    second.refresh_from_db()
    assert second.snapshot["figures"][0]["caption"] == signed_caption
    assert second.compute_hash() == second.content_hash
    third = revision_create(article=article, user=editor)
    assert third.number == 3 and third.snapshot["figures"][0]["caption"] == "Pain by week"


def test_the_public_page_shows_the_signed_figure_not_the_librarys_later_words(client):
    figure = make_figure()
    article = ArticleFactory(body=body_with(figure))
    make_live(article)
    figure_update(
        figure=figure,
        data={"caption": "Edited after signing", "credit": "Someone else"},
        user=EditorFactory(),
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<figure class="figure"><picture><source type="image/webp" srcset="/figures/' in page
    assert f'alt="{figure.alt_text}" loading="lazy" decoding="async"' in page
    assert 'width="1200" height="675"' in page
    assert (
        "<figcaption>Average pain score by week of the exercise programme. <small>Credit: "
        '<a href="https://example.org/charts" rel="noopener noreferrer">Clear Pain Health</a>'
        " (CC BY 4.0)</small></figcaption></figure>"
    ) in page
    assert "Edited after signing" not in page and "Someone else" not in page
    assert "[FIGURE:" not in page
    assert nu_check({"page": page}) == {"page": []}
    # Every file the page names is served, with the hash checked.
    largest = next(r for r in figure.renditions if r["width"] == 1200 and r["format"] == "png")
    response = client.get(f"/figures/{largest['sha256']}.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_serving_view_answers_404_when_the_bytes_no_longer_match(client):
    figure = make_figure()
    url = f"/figures/{figure.sha256}.png"
    assert client.get(url).status_code == 200
    swap_file(figure.sha256, "png")
    assert client.get(url).status_code == 404
    assert client.get(f"/figures/{'0' * 64}.png").status_code == 404
    assert client.get(f"/figures/{figure.sha256}.gif").status_code == 404


def test_the_page_is_withdrawn_when_a_figure_file_is_swapped_until_a_new_approval(client):
    figure = make_figure()
    editor = EditorFactory()
    article = ArticleFactory(body=body_with(figure))
    make_live(article)
    url = article.get_absolute_url()
    assert client.get(url).status_code == 200

    webp = next(r for r in figure.renditions if r["format"] == "webp" and r["width"] == 800)
    swap_file(webp["sha256"], "webp")

    assert client.get(url).status_code == 503  # "under review", as for a tampered revision
    assert not Publication.objects.filter(article=article).exists()
    assert client.get(url).status_code == 404
    assert article.title not in client.get(reverse("articles:home")).content.decode()

    # A new upload of the picture, inserted in a new revision, signed and published.
    replacement = make_figure(image=chart(bars=(3, 5, 8, 7)))
    revision = edit_body(article, body_with(replacement), editor=editor)
    sign(revision)
    article_publish(article=Article.objects.get(pk=article.pk), revision=revision, user=editor)
    page = client.get(url)
    assert page.status_code == 200
    assert replacement.sha256 not in page.content.decode()  # the page loads renditions
    assert any(r["sha256"] in page.content.decode() for r in replacement.renditions)


def test_the_content_checks_flag_alt_text_that_repeats_the_caption():
    figure = make_figure(alt_text="Average pain score by week of the exercise programme.")
    article = ArticleFactory(body=body_with(figure))
    revision = revision_create(article=article, user=EditorFactory())
    codes = [finding.code for finding in check_snapshot(revision.snapshot)]
    assert "figure_alt_repeats_caption" in codes
    snapshot = {**revision.snapshot, "figures": [{**revision.snapshot["figures"][0], "credit": ""}]}
    assert "figure_without_credit" in [f.code for f in check_snapshot(snapshot)]
