"""
A citation's link is only ever a web address: a `javascript:`, `data:` or `vbscript:` URL (in
any case, after blanks) is refused as a manual citation's URL (model, service, admin form),
and a snapshot that carries one anyway (written by some other path) never renders it as a link:
not in the reference HTML, not on the public page, not in the preview, not on the review screen.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from lxml import html as lxml_html

from articles.content.snapshot import content_hash
from articles.models import ArticleRevision
from articles.publishing.presentation import content_context, render_content
from articles.publishing.workflow import article_publish
from references.formatting import format_nlm_html
from references.models import Citation
from references.services import citation_save_manual
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.references import ManualCitationFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import sign

pytestmark = pytest.mark.django_db

BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    " VBScript:msgbox(1)",
]
# What a link's scheme may be after a browser strips blanks and control characters.
WEB = re.compile(r"^https?://", re.IGNORECASE)


def link_targets(page: str) -> list[str]:
    """Every href/src/action/formaction in `page`, as a browser reads them (entities decoded)."""
    if not page.strip():
        return []
    tree = lxml_html.fromstring(page)
    return [
        value
        for element in tree.iter()
        for name, value in element.attrib.items()
        if name.lower() in {"href", "src", "action", "formaction", "xlink:href"}
    ]


def assert_no_script_link(page: str) -> None:
    """No attribute of `page` points anywhere but the web, a fragment or a local path."""
    for target in link_targets(page):
        stripped = target.strip(" \t\r\n\f\v\x00")
        assert WEB.match(stripped) or stripped.startswith(("#", "/", "?")), target


# --- Refused when entered -------------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_model_refuses_a_script_or_data_url(url):
    citation = Citation(title="A guideline", url=url, source=Citation.Source.MANUAL)
    with pytest.raises(ValidationError) as info:
        citation.full_clean()
    assert "url" in info.value.message_dict


def test_the_model_accepts_a_web_address():
    """The control for the refusals above."""
    Citation(
        title="A guideline", url="https://www.example.org/g", source=Citation.Source.MANUAL
    ).full_clean()


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_manual_citation_service_refuses_a_script_or_data_url(url):
    with pytest.raises(ValidationError) as info:
        citation_save_manual(citation=Citation(title="A guideline", url=url))
    assert "url" in info.value.message_dict
    assert not Citation.objects.exists()


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_admin_form_refuses_a_script_or_data_url_with_a_field_error(admin_client, url):
    response = admin_client.post(
        reverse("admin:references_citation_add"),
        {
            "url": url,
            "title": "National guideline",
            "authors": "[]",
            "journal_title": "Example Institute",
            "year": "2022",
            "doi": "",
            "evidence_label": "practice_guideline",
        },
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not Citation.objects.exists()


def test_a_web_address_is_accepted_by_the_same_admin_form(admin_client):
    """The control for the refusals above: the same post with an https URL is stored."""
    response = admin_client.post(
        reverse("admin:references_citation_add"),
        {
            "url": "https://www.example.org/guideline",
            "title": "National guideline",
            "authors": "[]",
            "journal_title": "Example Institute",
            "year": "2022",
            "doi": "",
            "evidence_label": "practice_guideline",
        },
    )
    assert response.status_code == 302
    assert Citation.objects.get().url == "https://www.example.org/guideline"


# --- Never rendered as a link -------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_reference_html_never_links_a_script_or_data_url(url):
    manual = SimpleNamespace(
        pmid="", doi="", url=url, authors=[], title="T", journal_abbrev="", journal_title="",
        year=None, month="", volume="", issue="", pages="",
    )
    html = format_nlm_html(manual)
    assert "<a" not in html
    assert link_targets(f"<p>{html}</p>") == []


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_stored_script_url_reaches_no_snapshot_link(url):
    """A row saved without validation (a data import, SQL) still never becomes a link."""
    citation = ManualCitationFactory.build(url=url)
    citation.save()  # no full_clean: as a path that skips validation would
    snapshot = citation.snapshot()
    assert "<a" not in snapshot["html"]


def _revision_citing(url: str, *, article=None) -> ArticleRevision:
    """
    A revision whose snapshot cites a manual source at `url`: what a revision written by some
    other path than `revision_create` (an import, an older version) could hold.
    """
    article = article or ArticleFactory(title="Guideline page")
    snapshot = {
        "title": article.title,
        "standfirst": "What the guideline says.",
        "body": "<p>A national guideline covers this.</p>",
        "takeaways": ["Read the guideline."],
        "faq": [],
        "comparisons": [],
        "citations": [
            {
                "pmid": None,
                "doi": None,
                "text": f"National guideline. Available from: {url}",
                "html": f"National guideline. Available from: {url}",
                "evidence_label": "Practice guideline",
                "evidence_label_code": "practice_guideline",
                "url": url,
                "pubmed_url": None,
                "doi_url": None,
                "manual": True,
                "retracted": False,
            }
        ],
    }
    return ArticleRevision.objects.create(
        article=article,
        number=1,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        created_by=EditorFactory(),
    )


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_article_content_never_links_a_script_or_data_url(url):
    revision = _revision_citing(url)
    (reference,) = content_context(revision)["references"]
    assert reference["url"] == ""
    html = str(render_content(revision))
    assert "Available from:" in html  # the reference itself is listed, as text
    assert_no_script_link(html)


@pytest.fixture
def reviewer():
    """A reviewing physician with the Reviewers role, who may open the review screen."""
    call_command("setup_site", stdout=io.StringIO())
    profile = ReviewerProfileFactory(user__is_staff=True)
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


def test_a_web_address_in_the_same_snapshot_is_linked(client, reviewer):
    """The control: an https source in the same place is a link, on the page and the screen."""
    revision = _revision_citing("https://www.example.org/guideline")
    assert "https://www.example.org/guideline" in link_targets(str(render_content(revision)))
    client.force_login(reviewer.user)
    screen = client.get(reverse("admin:articles_article_review", args=[revision.pk]))
    assert link_targets(screen.content.decode()).count("https://www.example.org/guideline") == 2


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:,x"])
def test_the_public_page_preview_and_review_screen_never_link_it(client, reviewer, url):
    editor = EditorFactory()
    revision = _revision_citing(url)
    article = revision.article

    client.force_login(reviewer.user)
    screen = client.get(reverse("admin:articles_article_review", args=[revision.pk]))
    assert screen.status_code == 200
    assert "National guideline" in screen.content.decode()
    assert_no_script_link(screen.content.decode())

    client.force_login(editor)
    preview = client.get(reverse("articles:preview", args=[revision.pk]))
    assert preview.status_code == 200
    assert_no_script_link(preview.content.decode())

    sign(revision, reviewer=reviewer)
    article_publish(article=article, revision=revision, user=editor)
    client.logout()
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "National guideline" in page.content.decode()
    assert_no_script_link(page.content.decode())
