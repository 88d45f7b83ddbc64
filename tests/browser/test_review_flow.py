"""
The whole review flow in Chromium: write, send for review, sign, publish, edit, re-sign, publish.

An editor and a reviewing physician work in two separate browser sessions, and a third,
anonymous one reads the public page. The public page must change only when an approved
revision is published, and its stamp must name the physician and the time of the signature
that approved what it shows.
"""

import io
import time
from datetime import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import dateformat, timezone
from playwright.sync_api import Browser, Page, expect

from articles.models import Article
from reviews.models import SignOff
from tests.factories.articles import PASSWORD as EDITOR_PASSWORD
from tests.factories.articles import CitationFactory, EditorFactory, TopicFactory
from tests.factories.reviews import PASSWORD as REVIEWER_PASSWORD
from tests.factories.reviews import ReviewerProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(browser: Browser, base_url: str, username: str, password: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")
    return page


def ckeditor_body(page: Page):
    page.wait_for_selector("#cke_id_body iframe", timeout=15000)
    return page.frame_locator("#cke_id_body iframe").locator("body")


def sign_from_queue(page: Page, base_url: str, title: str, revision_number: int) -> None:
    """The reviewer opens the queue, then the revision, checks the findings and signs."""
    page.goto(f"{base_url}/admin/articles/article/review-queue/")
    row = page.locator(".review-queue__item", has_text=title)
    expect(row.locator("td").first).to_have_text(str(revision_number))
    row.get_by_role("link", name=title).click()
    expect(page.locator("h1").first).to_contain_text(f"revision {revision_number}")
    expect(page.locator("input[name=_sign]")).to_have_value("Sign decision")
    page.get_by_role("radio", name="Approved").check()
    # review_decision.js names the decision on the button.
    expect(page.locator("input[name=_sign]")).to_have_value("Approve and sign")
    page.get_by_role("radio", name="None to declare").check()
    page.locator("#id_attested").check()
    page.fill("#id_password", REVIEWER_PASSWORD)
    page.click("input[name=_sign]")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Signed: approved for revision {revision_number}"
    )


def stamp_of(page: Page, url: str):
    page.goto(url)
    return page.locator(".review-stamp")


def signed_at(revision_number: int):
    """When the approval of revision `revision_number` was signed."""
    return SignOff.objects.approvals().get(revision__number=revision_number).signed_at


def expect_stamp_time(stamp, when) -> None:
    """
    The stamp's first <time> is the signing time: readers see the day (no clock time by
    default), the machine-readable value keeps the instant to the second.
    """
    local = timezone.localtime(when)
    expect(stamp).to_contain_text(f"on {dateformat.format(local, 'j F Y')}.")
    expect(stamp).not_to_contain_text(dateformat.format(local, "H:i"))
    shown = datetime.fromisoformat(stamp.locator("time").first.get_attribute("datetime"))
    assert shown == local.replace(microsecond=0), (shown, local)


def test_write_review_publish_edit_and_republish(browser: Browser, live_server):
    call_command("setup_site", stdout=io.StringIO())
    TopicFactory(name="Back pain")
    CitationFactory(pmid="29870001")
    CitationFactory(pmid="29870002")
    EditorFactory(username="eddie")
    doctor = ReviewerProfileFactory(
        printed_name="Jane Roe",
        credentials="DO",
        user__username="drroe",
        user__is_staff=True,
    )
    doctor.user.groups.add(Group.objects.get(name="Reviewers"))
    base = live_server.url

    # The editor writes the article: an uncited percentage, then two cited claims.
    editor = logged_in(browser, base, "eddie", EDITOR_PASSWORD)
    editor.goto(f"{base}/admin/articles/article/add/")
    editor.fill("#id_title", "Low back pain")
    editor.fill("#id_standfirst", "Why it happens and what helps.")
    editor.select_option("#id_topics_from", label="Back pain")
    editor.click("#id_topics_add")
    body = ckeditor_body(editor)
    body.click()
    editor.keyboard.type("About 40% of adults have low back pain each year.")
    editor.keyboard.press("Enter")
    editor.keyboard.type(
        "Staying active helps [PMID:29870001] and heat can ease the pain [PMID:29870002]."
    )
    editor.click("input[name=_save]")
    expect(editor.locator(".messagelist")).to_contain_text("was added successfully")
    article = Article.objects.get()
    change_url = f"{base}/admin/articles/article/{article.pk}/change/"

    editor.goto(change_url)
    editor.click("input[name=_save_and_submit]")
    expect(editor.locator(".messagelist")).to_contain_text("revision 1 was sent for medical review")

    # The reviewer sees the uncited percentage flagged, and signs.
    reviewer = logged_in(browser, base, "drroe", REVIEWER_PASSWORD)
    reviewer.goto(f"{base}/admin/articles/article/review-queue/")
    reviewer.get_by_role("link", name="Low back pain").click()
    finding = reviewer.locator('[data-finding-code="uncited_statistic"]')
    expect(finding).to_contain_text("40%")
    expect(reviewer.locator(".review-rendering")).to_contain_text("About 40% of adults")
    # The finding links to its sentence, highlighted in the rendered page.
    finding.get_by_role("link", name="Show the sentence in the page").click()
    sentence = reviewer.locator(".review-rendering mark.review-highlight:target")
    expect(sentence).to_have_text("About 40% of adults have low back pain each year")
    expect(sentence).to_be_in_viewport()
    highlighted = sentence.evaluate("m => getComputedStyle(m).backgroundColor")
    assert highlighted not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(reviewer.locator(".review-references li")).to_have_count(2)
    sign_from_queue(reviewer, base, "Low back pain", 1)

    # The editor publishes; the public page carries the physician's stamp.
    editor.goto(change_url)
    editor.click("button[name=_publish]")
    expect(editor.locator(".messagelist")).to_contain_text("Revision 1 is now live")
    public = browser.new_context().new_page()
    article_url = f"{base}/articles/low-back-pain/"
    stamp = stamp_of(public, article_url)
    expect(stamp).to_contain_text("Medically reviewed by Jane Roe, DO")
    expect_stamp_time(stamp, signed_at(1))
    published_main = public.locator("main").inner_text()
    assert "Staying active helps" in published_main
    assert public.locator("mark, .review-highlight").count() == 0  # never on public pages

    # The editor edits the body: the public page does not change.
    editor.goto(change_url)
    body = ckeditor_body(editor)
    body.locator("p").nth(1).click()
    editor.keyboard.press("End")
    editor.keyboard.type(" Most episodes settle within six weeks.")
    editor.click("input[name=_save]")
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    public.goto(article_url)
    assert public.locator("main").inner_text() == published_main

    # Sent for review again, signed again, still not public until published. The stamp shows
    # whole seconds: make sure the second signature falls in a later second than the first.
    time.sleep(max(0.0, 1.1 - (timezone.now() - signed_at(1)).total_seconds()))
    editor.goto(change_url)
    editor.click("input[name=_save_and_submit]")
    expect(editor.locator(".messagelist")).to_contain_text("revision 2 was sent for medical review")
    sign_from_queue(reviewer, base, "Low back pain", 2)
    public.goto(article_url)
    assert public.locator("main").inner_text() == published_main

    editor.goto(change_url)
    editor.click("button[name=_publish]")
    expect(editor.locator(".messagelist")).to_contain_text("Revision 2 is now live")
    stamp = stamp_of(public, article_url)
    expect(public.locator("main")).to_contain_text("Most episodes settle within six weeks.")
    expect(stamp).to_contain_text("Medically reviewed by Jane Roe, DO")
    assert signed_at(2).replace(microsecond=0) > signed_at(1).replace(microsecond=0)
    expect_stamp_time(stamp, signed_at(2))
