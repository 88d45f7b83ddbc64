"""
Periodic review at scale (issue 12): the article list's "Send for periodic re-review" action and
the due-reviews page's button, a physician's private calendar feed, and the month calendar.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import icalendar
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.publishing.selectors import reviews_due, reviews_due_between
from articles.publishing.workflow import (
    article_publish,
    article_schedule_publication,
    article_submit_for_review,
)
from reviews.models import ReviewRequest, SignOff
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:articles_article_changelist"
DUE = "admin:articles_article_due_reviews"
CALENDAR = "admin:articles_article_review_calendar"
ACTION = "send_for_periodic_review"


@pytest.fixture
def roles():
    call_command("setup_site", stdout=io.StringIO())


@pytest.fixture
def editor():
    return EditorFactory()


def physician(**kwargs):
    """A verified physician who can sign in to the admin (the Reviewers role)."""
    profile = ReviewerProfileFactory(user__is_staff=True, **kwargs)
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


def live_page(title, *, approved_days_ago, editor, reviewer=None):
    """
    A live page whose only revision `reviewer` approved `approved_days_ago` days ago (the
    review interval is 365 days). Signatures are chained in time: make the oldest first.
    """
    article = ArticleFactory(title=title)
    revision = edit_body(article, f"<p>{title}.</p>", editor=editor)
    sign(revision, reviewer=reviewer, now=timezone.now() - timedelta(days=approved_days_ago))
    article_publish(article=article, revision=revision, user=editor)
    return article


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def run_action(client, articles):
    return client.post(
        reverse(CHANGELIST),
        {"action": ACTION, "_selected_action": [article.pk for article in articles]},
        follow=True,
    )


def open_requests(article):
    return ReviewRequest.objects.filter(
        revision__article=article, state=ReviewRequest.State.OPEN
    )


# --- The bulk action and the due-reviews page's button -------------------------------------


def test_the_action_sends_only_due_live_pages_and_says_what_it_skipped(client, editor):
    overdue = live_page("Overdue page", approved_days_ago=400, editor=editor)
    in_review = live_page("Already in review", approved_days_ago=380, editor=editor)
    due_soon = live_page("Due soon page", approved_days_ago=350, editor=editor)
    fresh = live_page("Fresh page", approved_days_ago=10, editor=editor)
    draft = ArticleFactory(title="Draft page")
    waiting = article_submit_for_review(article=in_review, user=editor, note="Editor's note")

    client.force_login(editor)
    response = run_action(client, [overdue, in_review, due_soon, fresh, draft])

    assert response.status_code == 200
    for article in (overdue, due_soon):
        request = open_requests(article).get()
        assert request.note.startswith("Periodic re-review: this page's medical review")
        assert request.submitted_by == editor
    assert "was due on" in open_requests(overdue).get().note
    assert "is due on" in open_requests(due_soon).get().note
    assert not ReviewRequest.objects.filter(revision__article__in=[fresh, draft]).exists()
    # The page already waiting for review keeps its request, untouched.
    assert list(open_requests(in_review)) == [waiting]
    assert open_requests(in_review).get().note == "Editor's note"
    assert messages_of(response) == [
        "2 pages sent for periodic re-review.",
        "3 pages skipped: 1 page is not live; 1 page is not due for review yet (due in more "
        "than 30 days); 1 page is already waiting for review.",
    ]


def test_a_periodic_re_review_asks_the_physician_who_approved_it_by_its_due_date(
    client, roles, editor
):
    roe, gone = physician(), physician()
    overdue = live_page("Overdue page", approved_days_ago=400, editor=editor, reviewer=gone)
    due_soon = live_page("Due soon page", approved_days_ago=350, editor=editor, reviewer=roe)
    gone.licence_expires_on = timezone.localdate() - timedelta(days=1)  # can no longer sign
    gone.save()

    client.force_login(editor)
    run_action(client, [due_soon, overdue])

    asked = open_requests(due_soon).get()
    assert asked.assignee == roe
    assert asked.due_on == timezone.localdate() + timedelta(days=15)  # 365 - 350 days
    # The overdue page's physician cannot sign any more: the pool is asked, by the default date.
    pooled = open_requests(overdue).get()
    assert (pooled.assignee, pooled.pool) == (None, "")
    assert pooled.due_on == timezone.localdate() + timedelta(days=7)


def test_a_refused_page_is_named_with_the_refusal_and_the_others_are_sent(
    client, editor, pubmed_down
):
    refused = live_page("Cites a new paper", approved_days_ago=400, editor=editor)
    sent = live_page("Plain page", approved_days_ago=390, editor=editor)
    # The draft now cites a paper the site has not stored, and PubMed is down.
    Article.objects.filter(pk=refused.pk).update(body="<p>New finding [PMID:31000001].</p>")

    client.force_login(editor)
    response = run_action(client, [refused, sent])

    assert open_requests(sent).count() == 1
    assert not open_requests(refused).exists()
    assert messages_of(response) == [
        "1 page sent for periodic re-review.",
        "Not sent for re-review: “Cites a new paper”. PubMed could not be reached to check "
        "PMID 31000001. Nothing was saved: try again later, or remove the new citation markers "
        "and add them when PubMed is back.",
    ]


def test_edits_go_with_the_page_and_a_page_sent_back_is_not_renewed(client, editor):
    edited = live_page("Edited page", approved_days_ago=400, editor=editor)
    sent_back = live_page("Sent back page", approved_days_ago=390, editor=editor)
    draft = edit_body(edited, "<p>Edited page, with a new paragraph.</p>", editor=editor)
    sign(sent_back.live_revision, decision=SignOff.Decision.CHANGES_REQUESTED)

    client.force_login(editor)
    response = run_action(client, [edited, sent_back])

    # The physician reviews the edited draft, not the live revision.
    assert open_requests(edited).get().revision == draft != edited.live_revision
    assert not open_requests(sent_back).exists()
    assert messages_of(response) == [
        "1 page sent for periodic re-review. 1 page had edits not yet published: the physician "
        "reviews the edited draft, and you publish it once it is approved.",
        "1 page skipped: 1 page has no approval in force to renew (changes were requested, or "
        "the physician's credentials were revoked): edit it and send it for review from its "
        "page.",
    ]


def test_an_unchanged_page_gets_a_new_request_on_the_same_revision_and_one_approval_renews_it(
    client, roles, editor
):
    reviewer = physician()
    article = ArticleFactory(title="Back pain basics")
    first_review = timezone.now() - timedelta(days=400)
    original = article_submit_for_review(article=article, user=editor, now=first_review)
    sign(original.revision, reviewer=reviewer, now=first_review)
    article_publish(article=article, revision=original.revision, user=editor)
    original.refresh_from_db()
    assert original.state == ReviewRequest.State.APPROVED

    client.force_login(editor)
    run_action(client, [article])

    article.refresh_from_db()
    renewal = open_requests(article).get()
    assert renewal.pk != original.pk
    assert renewal.revision_id == original.revision_id == article.live_revision_id
    assert article.revisions.count() == 1  # no new revision for unchanged content

    # The physician's one decision on the review screen renews the live page's review.
    client.force_login(reviewer.user)
    revision = renewal.revision
    response = client.post(
        reverse("admin:articles_article_review", args=[revision.pk]),
        {
            "content_hash": revision.content_hash,
            "decision": "approved",
            "comment": "",
            "conflict": "none",
            "conflict_of_interest": "",
            "attested": "on",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert SignOff.objects.filter(revision=revision).count() == 2
    renewal.refresh_from_db()
    assert renewal.state == ReviewRequest.State.APPROVED
    assert article.pk not in {row["article"].pk for row in reviews_due(now=timezone.now())}
    page = Article.objects.with_review_dates().get(pk=article.pk)
    assert page.live_revision_id == revision.pk
    assert page.next_review_due > timezone.now() + timedelta(days=360)


def test_the_action_is_offered_only_to_those_who_may_change_articles(client, roles, editor):
    reviewer = physician()
    client.force_login(reviewer.user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200 and ACTION not in response.content.decode()

    client.force_login(editor)
    choices = dict(client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices)
    assert choices[ACTION] == "Send for periodic re-review"


def test_the_due_page_sends_every_overdue_page_and_only_those(client, editor):
    overdue = live_page("Overdue page", approved_days_ago=400, editor=editor)
    also_overdue = live_page("Also overdue", approved_days_ago=370, editor=editor)
    due_soon = live_page("Due soon page", approved_days_ago=350, editor=editor)

    client.force_login(editor)
    page = client.get(reverse(DUE)).content.decode()
    send_url = reverse("admin:articles_article_due_reviews_send_overdue")
    assert f'action="{send_url}"' in page and "Send all overdue for re-review" in page
    assert client.get(send_url).status_code == 405

    response = client.post(send_url, follow=True)

    assert response.redirect_chain == [(reverse(DUE), 302)]
    assert messages_of(response) == ["2 pages sent for periodic re-review."]
    assert open_requests(overdue).count() == open_requests(also_overdue).count() == 1
    assert not open_requests(due_soon).exists()


def test_a_physician_cannot_send_pages_from_the_due_page(client, roles, editor):
    live_page("Overdue page", approved_days_ago=400, editor=editor)
    reviewer = physician()
    client.force_login(reviewer.user)
    page = client.get(reverse(DUE)).content.decode()
    assert "Send all overdue for re-review" not in page
    send_url = reverse("admin:articles_article_due_reviews_send_overdue")
    assert client.post(send_url).status_code == 403
    assert not ReviewRequest.objects.exists()


# --- A physician's private calendar feed ---------------------------------------------------


def feed_url(client, profile) -> str:
    """The feed address the due-reviews page shows `profile`'s physician, as a path."""
    client.force_login(profile.user)
    page = client.get(reverse(DUE)).content.decode()
    match = re.search(r'<input type="text" id="review-feed-url"[^>]* value="([^"]+)"', page)
    assert match is not None, "the due-reviews page shows no feed address"
    client.logout()
    return re.sub(r"^https?://[^/]+", "", match.group(1))


def events_of(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_exactly_the_due_pages_the_physician_approved(client, roles, editor):
    mine, theirs = physician(), physician()
    overdue = live_page("Overdue page", approved_days_ago=400, editor=editor, reviewer=mine)
    live_page("Their page", approved_days_ago=360, editor=editor, reviewer=theirs)
    due_soon = live_page("Due soon page", approved_days_ago=350, editor=editor, reviewer=mine)
    live_page("Later page", approved_days_ago=200, editor=editor, reviewer=mine)
    live_page("Fresh page", approved_days_ago=10, editor=editor, reviewer=mine)

    url = feed_url(client, mine)
    response = client.get(url)  # no one signed in: calendar apps cannot

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    events = events_of(response)
    # Overdue, and due within the due-reviews page's 90 days; not later, not another's.
    assert set(events) == {"Review due: Overdue page", "Review due: Due soon page"}
    for article in (overdue, due_soon):
        event = events[f"Review due: {article.title}"]
        due = Article.objects.with_review_dates().get(pk=article.pk).next_review_due
        assert event.start == timezone.localdate(due)  # an all-day event on the due date
        assert event.end == timezone.localdate(due) + timedelta(days=1)
        assert not isinstance(event.start, datetime)
        assert str(event["URL"]).endswith(f"{reverse(DUE)}#due-article-{article.pk}")
    # The same calendar and events, with the same UIDs, on the next fetch.
    again_response = client.get(url)
    assert (
        icalendar.Calendar.from_ical(again_response.content)["UID"]
        == icalendar.Calendar.from_ical(response.content)["UID"]
    )
    again = events_of(again_response)
    assert {s: str(e["UID"]) for s, e in again.items()} == {
        s: str(e["UID"]) for s, e in events.items()
    }
    assert len({str(e["UID"]) for e in events.values()}) == 2


def test_a_wrong_or_borrowed_token_is_404(client, roles, editor):
    mine, theirs = physician(), physician()
    url = feed_url(client, mine)
    profile_id, token = re.search(r"/(\d+)/([0-9a-f]+)/reviews-due\.ics$", url).groups()
    their_token = re.search(r"/([0-9a-f]+)/reviews-due\.ics$", feed_url(client, theirs)).group(1)

    assert client.get(url).status_code == 200
    for wrong in (
        url.replace(token, token[:-1] + ("0" if token[-1] != "0" else "1")),
        url.replace(token, their_token),
        url.replace(f"/{profile_id}/", f"/{theirs.pk}/"),
        url.replace(f"/{profile_id}/", "/999999/"),
        url.replace(token, "x"),
    ):
        assert client.get(wrong).status_code == 404, wrong


def test_the_address_stops_working_when_the_password_changes(client, roles, editor):
    mine = physician()
    old = feed_url(client, mine)
    assert client.get(old).status_code == 200

    mine.user.set_password("a new and different password")
    mine.user.save()

    assert client.get(old).status_code == 404
    new = feed_url(client, mine)
    assert new != old and client.get(new).status_code == 200


def test_an_address_made_before_a_secret_key_rotation_still_works(client, roles, settings):
    mine = physician()
    url = feed_url(client, mine)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 32
    assert client.get(url).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(url).status_code == 404


def test_the_feed_is_kept_out_of_search_engines(client, roles):
    url = feed_url(client, physician())
    prefix = url.split("/")[1]
    robots = client.get(reverse("robots_txt")).content.decode().splitlines()
    assert f"Disallow: /{prefix}/" in robots


def test_the_feed_closes_with_the_login(client, roles):
    mine = physician()
    url = feed_url(client, mine)
    mine.user.is_active = False
    mine.user.save()
    assert client.get(url).status_code == 404


def test_only_a_verified_physician_is_shown_a_feed_address(client, roles, editor):
    client.force_login(editor)
    assert "review-feed-url" not in client.get(reverse(DUE)).content.decode()
    unverified = physician(unverified=True)
    client.force_login(unverified.user)
    assert "review-feed-url" not in client.get(reverse(DUE)).content.decode()


def test_the_feed_costs_the_same_queries_for_one_page_or_many(
    client, roles, editor, django_assert_num_queries
):
    mine = physician()
    live_page("First page", approved_days_ago=400, editor=editor, reviewer=mine)
    url = feed_url(client, mine)
    # The profile; the due pages with their review dates; their approvals in force.
    with django_assert_num_queries(3):
        assert len(events_of(client.get(url))) == 1
    for n in range(3):
        live_page(f"Page {n}", approved_days_ago=390 - n, editor=editor, reviewer=mine)
    with django_assert_num_queries(3):
        assert len(events_of(client.get(url))) == 4


# --- The month calendar --------------------------------------------------------------------


def day_cell(html: str, day: date) -> str:
    """The calendar cell of `day` (empty if the page has none)."""
    match = re.search(rf'id="day-{day:%Y-%m-%d}".*?</td>', html, re.S)
    return match.group(0) if match else ""


def test_the_calendar_shows_due_reviews_and_scheduled_publications_on_their_day(
    client, roles, editor
):
    now = timezone.now()
    overdue = live_page("Overdue page", approved_days_ago=400, editor=editor)
    due = live_page("Due soon page", approved_days_ago=355, editor=editor)
    upcoming = ArticleFactory(title="Scheduled page")
    revision = edit_body(upcoming, "<p>Scheduled.</p>", editor=editor)
    sign(revision)
    publish_at = now + timedelta(days=12)
    article_schedule_publication(
        article=upcoming, revision=revision, user=editor, publish_at=publish_at
    )
    due_day = timezone.localdate(
        Article.objects.with_review_dates().get(pk=due.pk).next_review_due
    )
    overdue_day = timezone.localdate(
        Article.objects.with_review_dates().get(pk=overdue.pk).next_review_due
    )
    publish_day = timezone.localdate(publish_at)

    client.force_login(editor)
    pages = {}
    for day in (due_day, overdue_day, publish_day):
        pages[day] = client.get(reverse(CALENDAR), {"month": f"{day:%Y-%m}"}).content.decode()

    cell = day_cell(pages[due_day], due_day)
    assert "Due soon page" in cell and "Review due:" in cell and "overdue" not in cell
    assert reverse("admin:articles_article_change", args=[due.pk]) in cell
    cell = day_cell(pages[overdue_day], overdue_day)
    assert "Overdue page" in cell and "Review overdue:" in cell
    cell = day_cell(pages[publish_day], publish_day)
    assert "Scheduled page" in cell and "Publishes at" in cell and "(revision 1)" in cell
    assert f'{timezone.localtime(publish_at):%H:%M}' in cell
    # Each on its own day only.
    assert pages[due_day].count("Due soon page") == 1
    assert pages[overdue_day].count("Overdue page") == 1
    assert pages[publish_day].count("Scheduled page") == 1
    # The month before the overdue review shows none of them.
    before = (overdue_day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    html = client.get(reverse(CALENDAR), {"month": before}).content.decode()
    assert not any(t in html for t in ("Due soon page", "Overdue page", "Scheduled page"))
    assert "No review falls due and nothing is scheduled" in html


def test_the_calendar_moves_between_months(client, roles, editor):
    client.force_login(editor)
    html = client.get(reverse(CALENDAR), {"month": "2027-12"}).content.decode()
    assert re.search(r"<caption>December 2027: ", html)
    assert 'href="?month=2027-11" rel="prev">← November 2027<' in html
    assert 'href="?month=2028-01" rel="next">January 2028 →<' in html
    assert html.count('class="review-calendar__day') == 5 * 7  # 1 Dec 2027 is a Wednesday
    assert 'id="day-2027-12-31"' in html and 'id="day-2027-11-30"' not in html
    # Weeks start on Monday in the site's language (en-gb).
    assert re.search(r'<thead>\s*<tr><th scope="col"><abbr title="Monday">', html)

    html = client.get(reverse(CALENDAR)).content.decode()
    today = timezone.localdate()
    assert f"<caption>{today:%B %Y}: " in html
    assert f'id="day-{today:%Y-%m-%d}"' in html and 'aria-current="date"' in html
    assert "This month</a>" not in html

    response = client.get(reverse(CALENDAR), {"month": "2027-13"})
    assert f"<caption>{today:%B %Y}: " in response.content.decode()
    assert messages_of(response) == [
        "That is not a month the calendar can show (write it as 2027-05): here is this month "
        "instead."
    ]


def test_the_calendar_is_linked_and_for_staff_who_may_view_articles(client, roles, editor):
    client.force_login(editor)
    calendar_url = reverse(CALENDAR)
    assert f'href="{calendar_url}"' in client.get(reverse(DUE)).content.decode()
    assert f'href="{calendar_url}"' in client.get(reverse(CHANGELIST)).content.decode()
    client.force_login(physician().user)
    assert client.get(calendar_url).status_code == 200
    staff = EditorFactory()
    staff.groups.clear()
    client.force_login(staff)
    assert client.get(calendar_url).status_code == 403


def test_the_calendars_reads_cost_the_same_for_one_page_or_many(
    editor, django_assert_num_queries
):
    now = timezone.now()
    start, end = now - timedelta(days=60), now + timedelta(days=60)
    live_page("First page", approved_days_ago=400, editor=editor)
    # The due pages with their review dates; their approvals in force.
    with django_assert_num_queries(2):
        assert len(reviews_due_between(start=start, end=end, now=now)) == 1
    for n in range(3):
        live_page(f"Page {n}", approved_days_ago=390 - n, editor=editor)
    with django_assert_num_queries(2):
        assert len(reviews_due_between(start=start, end=end, now=now)) == 4
