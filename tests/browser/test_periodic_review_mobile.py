"""
Periodic review on a phone (issue 12, part 7): at 390 px wide the month calendar is a list of
the days that have something on them, with their full dates, and does not scroll sideways; the
due-reviews page's calendar feed address can be copied with its button. axe finds nothing
serious on either page.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone
from playwright.sync_api import Browser, expect

from articles.models import Article
from articles.publishing.workflow import article_publish
from tests.browser.axe import axe_violations
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LONG_TITLE = "Understanding-persistent-postsurgical-neuropathic-pain-after-knee-replacement surgery"


def test_the_calendar_and_the_feed_address_work_at_390_px(browser: Browser, live_server):
    call_command("setup_site", stdout=io.StringIO())
    editor = EditorFactory()
    doctor = ReviewerProfileFactory(user__username="drroe", user__is_staff=True)
    doctor.user.groups.add(Group.objects.get(name="Reviewers"))
    article = ArticleFactory(title=LONG_TITLE)
    revision = edit_body(article, "<p>Text.</p>", editor=editor)
    sign(revision, reviewer=doctor, now=timezone.now() - timedelta(days=355))
    article_publish(article=article, revision=revision, user=editor)
    due = Article.objects.with_review_dates().get(pk=article.pk).next_review_due
    day = timezone.localdate(due)

    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "drroe")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")

    calendar = reverse("admin:articles_article_review_calendar")
    page.goto(f"{live_server.url}{calendar}?month={day:%Y-%m}")
    cell = page.locator(f"#day-{day:%Y-%m-%d}")
    # The day reads in full ("Friday 4 December") and its page is a link within the screen.
    weekday = formats.date_format(day, "l")
    expect(cell).to_contain_text(f"{weekday} {day.day} {formats.date_format(day, 'F')}")
    link = cell.get_by_role("link", name=LONG_TITLE)
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Only that day is listed: the others of the month, empty, are left out.
    expect(page.locator("td.review-calendar__day:visible")).to_have_count(1)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the calendar is {width} px wide at a 390 px viewport"
    assert axe_violations(page) == []

    page.goto(live_server.url + reverse("admin:articles_article_due_reviews"))
    address = page.locator("#review-feed-url")
    expect(address).to_have_attribute("readonly", "")
    feed = address.input_value()
    assert "/review-calendar/" in feed
    page.get_by_role("button", name="Copy address").click()
    expect(page.locator("#review-feed-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == feed
    assert axe_violations(page) == []
