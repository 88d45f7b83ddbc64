"""
The review screen on a phone (issue 12, part 4): at 390 px wide the page does not scroll
sideways, the decision button is within the first screen and a half, and a wrong password
brings the physician to an error summary that has the focus and links to the field; axe finds
nothing serious on the screen with its errors.
"""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, expect

from articles.publishing.workflow import article_submit_for_review
from reviews.models import SignOff
from tests.browser.axe import axe_violations
from tests.factories.articles import ArticleFactory, CitationFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

# A long page, with the things that push a narrow layout sideways: a long unbroken word, a
# table, a long list, cited paragraphs.
BODY = (
    "<h2>What is back pain?</h2>"
    + "".join(
        f"<p>Paragraph {n}: most episodes of low back pain settle within six weeks, and staying "
        f"active helps recovery [PMID:29870001].</p>"
        for n in range(12)
    )
    + "<ul>"
    + "".join(f"<li>Self-care step {n}: keep moving gently.</li>" for n in range(6))
    + "</ul>"
    + "<p>Pneumonoultramicroscopicsilicovolcanoconiosis-is-a-very-long-unbroken-word-indeed.</p>"
    + "<table><tr><th>Option</th><th>Evidence</th></tr><tr><td>Heat</td><td>Moderate</td></tr>"
    + "</table><p>Heat can ease the pain [PMID:29870002].</p>"
)


def test_the_review_screen_works_at_390_px(browser: Browser, live_server):
    call_command("setup_site", stdout=io.StringIO())
    CitationFactory(pmid="29870001", abstract="Background: activity was compared with rest. " * 8)
    CitationFactory(pmid="29870002", abstract="Heat wraps were compared with placebo.")
    editor = EditorFactory()
    doctor = ReviewerProfileFactory(
        printed_name="Jane Roe", credentials="DO", user__username="drroe", user__is_staff=True
    )
    doctor.user.groups.add(Group.objects.get(name="Reviewers"))
    article = ArticleFactory(title="Low back pain", body=BODY)
    sign(article_submit_for_review(article=article, user=editor).revision)
    revision = edit_body(article, BODY.replace("six weeks", "four to six weeks"), editor=editor)
    article_submit_for_review(article=article, user=editor)

    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "drroe")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")
    url = live_server.url + reverse("admin:articles_article_review", args=[revision.pk])
    page.goto(url)

    # The whole screen is there: diff, references with abstracts, the rendered page.
    expect(page.locator(".revision-diff ins").first).to_be_attached()
    expect(page.locator(".reference__abstract")).to_have_count(2)
    # No sideways scrolling of the page.
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at a 390 px viewport"
    # The decision button is reached within a screen and a half, without scrolling sideways.
    button = page.locator("input[name=_sign]")
    top = button.evaluate("b => b.getBoundingClientRect().top + window.scrollY")
    assert top < PHONE["height"] * 1.5, f"the decision button is {top} px down"
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # A wrong password: the summary is focused, in view, and links to the password field.
    page.get_by_role("radio", name="Approved").check()
    page.get_by_role("radio", name="None to declare").check()
    page.locator("#id_attested").check()
    page.fill("#id_password", "not-my-password")
    page.click("input[name=_sign]")
    summary = page.locator("#review-errors")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("The password is not correct")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    summary.get_by_role("link", name="The password is not correct", exact=False).click()
    expect(page.locator("#id_password")).to_be_focused()
    expect(page.locator("#id_password")).to_have_attribute("aria-invalid", "true")
    assert not SignOff.objects.filter(revision=revision).exists()
    # The screen with its error summary passes axe (WCAG 2.1 AA, serious and critical).
    assert axe_violations(page) == []
