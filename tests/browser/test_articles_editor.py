"""
An editor writes an article in the admin with CKEditor 4, in Chromium.

Real typing into CKEditor's editing iframe, a heading from the Format combo and a link from the
Link dialog; then the stored HTML must be sanitised (nh3 adds rel="noopener noreferrer", which
CKEditor never does, so its presence proves the sanitiser ran) and the page must have loaded
without a single Content Security Policy violation.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from articles.models import Article
from tests.articles.test_sanitize import problems
from tests.factories.articles import PASSWORD, EditorFactory, TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console_errors(page: Page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def log_in(page: Page, base_url: str, next_path: str) -> None:
    editor = EditorFactory(username="eddie")
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def editor_body(page: Page):
    page.wait_for_selector("#cke_id_body iframe", timeout=15000)
    return page.frame_locator("#cke_id_body iframe").locator("body")


def test_an_editor_writes_an_article_with_ckeditor(page: Page, live_server, console_errors):
    TopicFactory(name="Back pain")
    log_in(page, live_server.url, "/admin/articles/article/add/")
    expect(page.locator("#cke_id_body")).to_be_visible(timeout=15000)

    page.fill("#id_title", "Sciatica explained")
    page.fill("#id_standfirst", "Leg pain that starts in the back.")
    page.select_option("#id_topics_from", label="Back pain")
    page.click("#id_topics_add")

    body = editor_body(page)
    body.click()
    page.keyboard.type("Sciatica is common.")
    page.keyboard.press("Enter")
    # A heading from the Format combo: its list opens in a panel iframe.
    page.click(".cke_combo__format .cke_combo_button")
    page.frame_locator("iframe.cke_panel_frame").locator("a[title='Heading 2']").click()
    page.keyboard.type("Causes")
    page.keyboard.press("Enter")
    page.keyboard.type("Read the ")
    # A link from the Link dialog.
    page.click(".cke_button__link")
    dialog = page.locator(".cke_dialog_body")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Display Text").fill("NHS page")
    dialog.get_by_label("URL").fill("www.nhs.uk/conditions/sciatica/")
    dialog.locator(".cke_dialog_ui_button_ok").click()
    expect(body.locator("a")).to_have_text("NHS page")

    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get()
    assert article.slug == "sciatica-explained"
    html = article.body
    assert "<h2>Causes</h2>" in html
    assert re.search(
        r'<a href="https?://www\.nhs\.uk/conditions/sciatica/" rel="noopener noreferrer">'
        r"NHS page</a>",
        html,
    ), html
    assert problems(html) == []
    assert article.revisions.get().snapshot["body"] == html

    # Edit again: CKEditor loads the stored HTML; type more and save.
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = editor_body(page)
    expect(body.locator("h2")).to_have_text("Causes")
    body.locator("p").first.click()
    page.keyboard.press("End")
    page.keyboard.type(" Most cases settle.")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    article.refresh_from_db()
    assert "<p>Sciatica is common. Most cases settle.</p>" in article.body
    assert article.version == 2
    assert list(article.revisions.order_by("number").values_list("number", flat=True)) == [1, 2]

    csp_errors = [e for e in console_errors if "Content Security Policy" in e]
    assert csp_errors == []
    # The admin has no favicon; a missing one is the only error the browser may log.
    assert [e for e in console_errors if "404" not in e] == []
