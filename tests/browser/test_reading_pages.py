"""
A long page on a 390 px phone screen (issue 13): the overdue notice in the first screen, wide
tables without a sideways scroll of the page, a working contents list, and no serious or
critical accessibility violations (axe-core).
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.factories.articles import ArticleFactory, ContributorFactory
from tests.public.test_reading_pages import HEADERLESS_TABLE, THREE_SECTIONS, WIDE_TABLE

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
WIDER_TABLE = WIDE_TABLE.replace(
    "Stomach ulcers, some heart conditions",
    "Stomach ulcers, uncontrolled hypertension, cardiovascular disease, nephrotoxicity",
)
# One word wider than the phone: this table scrolls inside its region, not the page.
SCHEDULE = HEADERLESS_TABLE.replace("Stretch", "Paracetamol/ibuprofen/codeine-combination-tablets")


def test_a_long_overdue_page_reads_well_on_a_phone(browser, live_server):
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        article = ArticleFactory(
            title="Chronic pain: what it is and how it differs from other kinds of pain",
            standfirst="Chronic pain lasts for months, not days. Learn how it differs from "
            "short-term pain, and what helps.",
            authors=[ContributorFactory(name="Dana Writer", credentials="MPH")],
            body=THREE_SECTIONS
            + WIDER_TABLE
            + "<p>Plan your week.</p>"
            + SCHEDULE
            + "<p>"
            + "More to read. " * 200
            + "</p>",
            live=True,
        )
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + article.get_absolute_url())

    notice = page.locator('.article-header [data-header-notice="overdue"]')
    expect(notice).to_be_visible()
    assert notice.bounding_box()["y"] < page.evaluate("window.innerHeight")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The table with headers is stacked, each cell naming its column.
    cell = page.locator(".responsive-table tbody td").first
    label = page.evaluate("(el) => getComputedStyle(el, '::before').content", cell.element_handle())
    assert label == '"Usual adult dose"'
    # The table without headers scrolls inside its own region, reachable from the keyboard.
    region = page.locator(".table-scroll")
    assert region.evaluate("(el) => el.scrollWidth > el.clientWidth")
    region.focus()
    expect(region).to_be_focused()

    page.locator('nav[aria-labelledby="contents-heading"] a', has_text="Treatment").click()
    expect(page).to_have_url(live_server.url + article.get_absolute_url() + "#treatment")
    heading = page.locator("#treatment")
    expect(heading).to_be_in_viewport()

    assert axe_violations(page) == []
    context.close()
