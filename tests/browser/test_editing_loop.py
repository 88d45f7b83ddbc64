"""
Editing without losing work, in Chromium with the real CKEditor 4: text typed into the editor
is warned about before leaving the page, shown by Preview in a new tab without being stored,
and sent by "Save and send for review" (saved first, no warning on the way).
"""

import pytest
from playwright.sync_api import Page, expect

from articles.models import Article
from reviews.models import ReviewRequest
from tests.browser.test_articles_editor import console_errors, editor_body, log_in  # noqa: F401
from tests.factories.articles import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article():
    return ArticleFactory(title="Sciatica", body="<p>Saved text.</p>")


def open_and_type(page: Page, live_server, article) -> None:
    change = f"/admin/articles/article/{article.pk}/change/"
    log_in(page, live_server.url, change)
    body = editor_body(page)
    expect(body).to_contain_text("Saved text.", timeout=15000)
    body.click()
    page.keyboard.press("End")
    page.keyboard.type(" Typed, not saved.")


def test_leaving_with_unsaved_editor_text_warns_and_saving_does_not(
    page: Page,
    live_server,
    article,
    console_errors,  # noqa: F811
):
    open_and_type(page, live_server, article)
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", dismiss)
    page.click("a.historylink")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/admin/articles/article/{article.pk}/change/")

    page.click("input[name=_save_and_submit]")
    expect(page.locator(".messagelist")).to_contain_text(
        "was saved, and revision 1 was sent for medical review"
    )
    assert dialogs == ["beforeunload"]  # no warning when the form itself is submitted
    request = ReviewRequest.objects.get()
    assert "Typed, not saved." in request.revision.snapshot["body"]
    assert [e for e in console_errors if "404" not in e] == []  # favicon.ico


def test_preview_opens_the_unsaved_text_in_a_new_tab_and_stores_nothing(
    page: Page,
    live_server,
    article,
    console_errors,  # noqa: F811
):
    open_and_type(page, live_server, article)
    with page.context.expect_page() as opened:
        page.click("button[name=_preview]")
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator("h1")).to_have_text("Sciatica")
    expect(preview.locator(".preview-banner")).to_contain_text("Your unsaved changes")
    expect(preview.locator("article")).to_contain_text("Saved text. Typed, not saved.")
    assert Article.objects.get(pk=article.pk).body == "<p>Saved text.</p>"
    assert not article.revisions.exists()

    # Back on the form the text is still unsaved: leaving still warns.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.click("a.historylink")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert [e for e in console_errors if "404" not in e] == []  # favicon.ico


def test_leaving_an_untouched_form_does_not_warn(page: Page, live_server, article):
    """The widgets setting themselves up (CKEditor, the topic chooser) are not changes."""
    log_in(page, live_server.url, f"/admin/articles/article/{article.pk}/change/")
    expect(editor_body(page)).to_contain_text("Saved text.", timeout=15000)
    page.click("#id_title")  # a user gesture, which Chromium needs before it would ever warn
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.click("a.historylink")
    expect(page).to_have_url(f"{live_server.url}/admin/articles/article/{article.pk}/revisions/")
    assert dialogs == []
