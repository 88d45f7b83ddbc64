"""
The review screen for a busy physician (issue 12, part 4): the decision card first, errors
summarised at its top and linked to their fields, help texts tied to their fields, a diff of
the text readers see, and each reference with its abstract and evidence label.
"""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.core.management import call_command
from lxml import html as lxml_html

from articles.content.admin.diff import diff_visible_text, visible_lines
from articles.publishing.workflow import article_submit_for_review
from references.models import Citation
from tests.articles.test_review_screen import BODY, screen_url, sign_post
from tests.factories.articles import ArticleFactory, CitationFactory, EditorFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign
from tests.html_checker import nu_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    call_command("setup_site", stdout=io.StringIO())
    profile = ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO", user__is_staff=True)
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def citations():
    return CitationFactory(pmid="29870001"), CitationFactory(pmid="29870002")


@pytest.fixture
def submitted(editor, citations):
    """An article citing two stored papers, sent for review."""
    article = ArticleFactory(title="Back pain", body=BODY.format(a="29870001", b="29870002"))
    return article_submit_for_review(article=article, user=editor).revision


def tree_of(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.content.decode())


def test_the_decision_card_comes_before_the_changes_checks_references_and_page(
    client, reviewer, submitted
):
    client.force_login(reviewer.user)
    html = client.get(screen_url(submitted)).content.decode()
    order = [
        html.index('id="decision-heading"'),
        html.index('id="changes-heading"'),
        html.index('id="review-findings-title"'),
        html.index('id="references-heading"'),
        html.index('id="rendering-heading"'),
    ]
    assert order == sorted(order)
    (form,) = lxml_html.fromstring(html).xpath('//form[@class="review-form"]')
    names = {field.get("name") for field in form.xpath(".//input|.//textarea")}
    assert {"content_hash", "decision", "comment", "attested", "password", "_sign"} <= names
    # Everything to decide is in the card, above the first heading of the material read.
    assert html.index('name="_sign"') < html.index('id="changes-heading"')


def test_a_wrong_password_is_summarised_at_the_top_of_the_card_with_a_link_to_the_field(
    client, reviewer, submitted
):
    client.force_login(reviewer.user)
    tree = tree_of(client.post(screen_url(submitted), sign_post(submitted, password="wrong")))
    (summary,) = tree.xpath("//*[@data-error-summary]")
    assert (summary.get("role"), summary.get("tabindex")) == ("alert", "-1")
    assert summary.get("id") == "review-errors"
    (link,) = summary.xpath(".//a")
    assert link.get("href") == "#id_password"
    assert "The password is not correct" in link.text_content()
    # The summary opens the card: before the form's first field.
    card = tree.get_element_by_id("decision")
    assert card.xpath(".//*[@data-error-summary]|.//form")[0] is summary
    # The field itself is marked invalid and described by its error and its help text.
    (password,) = tree.xpath('//input[@name="password"]')
    assert password.get("aria-invalid") == "true"
    described = password.get("aria-describedby").split()
    assert {"id_password_helptext", "id_password_error"} <= set(described)
    assert (
        "The password is not correct" in tree.get_element_by_id("id_password_error").text_content()
    )
    # The script that moves the focus to the summary is loaded, from 'self' (the admin CSP).
    assert tree.xpath('//script[@src="/static/articles/review_errors.js"]')
    with open(finders.find("articles/review_errors.js")) as script:
        assert "summary.focus()" in script.read()


def test_form_errors_are_each_summarised_and_linked_to_their_field(client, reviewer, submitted):
    client.force_login(reviewer.user)
    response = client.post(
        screen_url(submitted), sign_post(submitted, decision="", attested="", password="")
    )
    tree = tree_of(response)
    (summary,) = tree.xpath("//*[@data-error-summary]")
    links = {a.get("href"): a.text_content() for a in summary.xpath(".//a")}
    assert set(links) == {"#id_decision_0", "#id_attested", "#id_password"}
    assert links["#id_attested"].startswith("Attestation:")
    for href in links:  # every link lands on a field of the form
        assert tree.xpath(f'//form//input[@id="{href[1:]}"]')


def test_no_error_summary_before_a_post(client, reviewer, submitted):
    client.force_login(reviewer.user)
    assert "data-error-summary" not in client.get(screen_url(submitted)).content.decode()


def test_labels_and_help_texts_are_associated_with_their_fields(client, reviewer, submitted):
    client.force_login(reviewer.user)
    tree = tree_of(client.get(screen_url(submitted)))
    (form,) = tree.xpath('//form[@class="review-form"]')
    for name in ("comment", "conflict_of_interest", "password"):
        (field,) = form.xpath(f'.//*[@name="{name}"]')
        assert form.xpath(f'.//label[@for="{field.get("id")}"]'), name
        (help_id,) = field.get("aria-describedby").split()
        help_text = tree.get_element_by_id(help_id)
        assert "help" in help_text.get("class") and help_text.text_content().strip()
    assert form.xpath('.//label[@for="id_attested"]')
    # No aria-describedby on the page points to an element that is not there.
    for element in tree.xpath("//*[@aria-describedby]"):
        for ref in element.get("aria-describedby").split():
            assert tree.xpath(f'//*[@id="{ref}"]'), ref


def test_visible_lines_are_text_with_headings_and_list_items_named():
    snapshot = {
        "title": "Back pain",
        "standfirst": "What helps.",
        "body": "<h2>Self-care</h2><p>Keep <strong>moving</strong>.</p><ul><li>Heat</li></ul>",
        "faq": [{"question": "Rest?", "answer": "<p>Briefly.</p>"}],
    }
    assert visible_lines(snapshot) == [
        "Title: Back pain",
        "Standfirst: What helps.",
        "Heading: Self-care",
        "Keep moving.",
        "• Heat",
        "FAQ question: Rest?",
        "FAQ answer: Briefly.",
    ]


def test_the_text_diff_marks_words_added_and_removed_per_block():
    old = {"title": "T", "body": "<p>About 40% of adults.</p><ul><li>Rest</li></ul>"}
    new = {"title": "T", "body": "<p>About 30% of adults.</p><ul><li>Rest</li><li>Heat</li></ul>"}
    lines = [(line.kind, str(line.html)) for line in diff_visible_text(old, new)]
    assert ("removed", "About <del>40%</del> of adults.") in lines
    assert ("added", "About <ins>30%</ins> of adults.") in lines
    assert ("added", "<ins>• Heat</ins>") in lines
    assert ("equal", "• Rest") in lines


def test_the_screen_diffs_the_visible_text_not_the_html(client, reviewer, editor, citations):
    article = ArticleFactory(
        title="Back pain", body="<h2>Self-care</h2><p>About 40% of adults [PMID:29870001].</p>"
    )
    first = article_submit_for_review(article=article, user=editor).revision
    sign(first)
    second = edit_body(
        article,
        "<h2>Self-care</h2><p>About 30% of adults [PMID:29870001].</p><ul><li>Use heat.</li></ul>",
        editor=editor,
    )
    client.force_login(reviewer.user)
    tree = tree_of(client.get(screen_url(second)))
    (diff,) = tree.xpath('//ul[contains(@class, "revision-diff")]')
    text = diff.text_content()
    assert "Heading: Self-care" in text and "• Use heat." in text
    assert "<p>" not in text and "<li>" not in text and "<h2>" not in text
    assert "Body:" not in text
    assert [d.text_content() for d in diff.xpath(".//del")] == ["40%"]
    assert "30%" in [i.text_content() for i in diff.xpath(".//ins")]


def test_each_reference_shows_its_abstract_collapsed_and_its_evidence_label(
    client, reviewer, editor
):
    CitationFactory(pmid="29870011", abstract="Background: heat wraps were compared.")
    CitationFactory(pmid="29870012", abstract="")
    article = ArticleFactory(
        title="Heat", body="<p>Heat helps [PMID:29870011]. Moving helps [PMID:29870012].</p>"
    )
    revision = article_submit_for_review(article=article, user=editor).revision
    client.force_login(reviewer.user)
    tree = tree_of(client.get(screen_url(revision)))
    first, second = tree.xpath('//ol[@class="review-references"]/li')
    (details,) = first.xpath('.//details[@class="reference__abstract"]')
    assert details.get("open") is None  # collapsed
    assert "Abstract" in details.xpath("./summary")[0].text_content()
    assert "heat wraps were compared" in details.text_content()
    assert re.search(r"Evidence:\s*Randomised controlled trial", first.text_content())
    assert not second.xpath(".//details")
    assert "No abstract stored" in second.text_content()


def test_the_screen_with_errors_a_text_diff_and_abstracts_is_valid_html(
    client, reviewer, editor, submitted
):
    Citation.objects.filter(pmid="29870001").update(abstract="Activity was compared with rest.")
    sign(submitted)
    second = edit_body(
        submitted.article, "<h2>Self-care</h2><ul><li>Use heat.</li></ul>", editor=editor
    )
    article_submit_for_review(article=submitted.article, user=editor)
    client.force_login(reviewer.user)
    documents = {
        "diff": client.get(screen_url(second)).content.decode(),
        "errors": client.post(
            screen_url(second), sign_post(second, decision="", attested="", password="x")
        ).content.decode(),
    }
    assert "data-error-summary" in documents["errors"]
    # The one error these pages had before this work: the sign-off manifest's <time> (see
    # tests/articles/test_editing_loop.py, KNOWN_ERRORS).
    known = "A fraction of a second must be one, two, or three digits"
    problems = {
        name: [error for error in errors if known not in error]
        for name, errors in nu_check(documents).items()
    }
    assert problems == {"diff": [], "errors": []}
