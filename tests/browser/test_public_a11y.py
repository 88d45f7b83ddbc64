"""Every public page type in Chromium: no serious or critical WCAG 2.1 AA violations (axe-core),
a working skip link, and a print layout without navigation or forms."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.public.site import build_public_site

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def urls(live_server):
    paths = build_public_site()
    return {name: live_server.url + path for name, path in paths.items()}


def test_no_public_page_has_serious_or_critical_accessibility_violations(browser, urls):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found = {}
    for name, url in urls.items():
        page.goto(url)
        found[name] = axe_violations(page)
    # The thank-you page, reached the way a reader reaches it: by sending a report.
    page.goto(urls["report form"])
    page.fill("textarea[name=message]", "The second paragraph has a typo.")
    page.click("form.report-form button[type=submit]")
    expect(page.locator(".message-success")).to_be_visible()
    found["report thank-you"] = axe_violations(page)
    # The form again, now showing its errors.
    page.goto(urls["report form"])
    page.fill("input[name=email]", "not an address")
    page.click("form.report-form button[type=submit]")
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    found["report form with errors"] = axe_violations(page)
    context.close()
    assert found == {name: [] for name in found}


def test_the_skip_link_appears_on_focus_and_moves_to_the_main_content(browser, urls):
    context = browser.new_context()
    page = context.new_page()
    page.goto(urls["article"])
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()


def test_the_print_layout_hides_navigation_forms_and_related_links(browser, urls):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(urls["article"])
    page.emulate_media(media="print")
    for hidden in (".site-nav", ".site-search", ".report-problem", ".related", ".skip-link"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".review-stamp")).to_be_visible()
    context.close()
