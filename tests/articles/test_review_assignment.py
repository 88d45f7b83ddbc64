"""
Assignment and queues (issue 12, part 1): an editor sends a revision to a named physician or to
a pool (a specialty), with a date it is wanted by. Only the physicians asked are e-mailed; the
admin home and the review queue show each physician what was sent to them; a request no one
asked could sign is refused with a message and changes nothing.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from articles.publishing.workflow import article_submit_for_review
from reviews.models import AuditEvent, ReviewRequest
from tests.articles.test_admin import form_data
from tests.factories.articles import (
    ArticleFactory,
    ContributorFactory,
    EditorFactory,
    TopicFactory,
)
from tests.factories.reviews import ReviewerProfileFactory

pytestmark = pytest.mark.django_db

SEND = "_save_and_submit"


@pytest.fixture(autouse=True)
def roles():
    call_command("setup_site", stdout=io.StringIO())


def physician(name, specialty="Pain medicine", **extra):
    profile = ReviewerProfileFactory(
        printed_name=name,
        specialty=specialty,
        user__is_staff=True,
        user__email=f"{name[:3]}@x.test",
        **extra,
    )
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


@pytest.fixture
def roe():
    return physician("Jane Roe")


@pytest.fixture
def doe():
    return physician("John Doe")


@pytest.fixture
def kim():
    return physician("Ann Kim", specialty="Anesthesiology")


@pytest.fixture
def editor():
    return EditorFactory(email="editor@x.test")


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """`article_submit_for_review`, its e-mails sent as after a real commit."""

    def submit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return article_submit_for_review(**kwargs)

    return submit


def review_mail():
    return [m for m in mail.outbox if m.subject.startswith("For your review")]


def test_a_request_to_a_named_physician_emails_only_them(submit, editor, roe, doe, kim):
    article = ArticleFactory()
    due = timezone.localdate() + timedelta(days=3)
    request = submit(article=article, user=editor, assignee=roe, due_on=due)

    assert (request.assignee, request.pool, request.due_on) == (roe, "", due)
    [message] = review_mail()
    assert message.to == [roe.user.email]
    assert f"wanted by {due.day} {due:%B %Y}" in message.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBMITTED)
    assert event.data["assignee_id"] == roe.pk and event.data["due_on"] == due.isoformat()
    assert "to Jane Roe, DO" in event.message


def test_a_request_to_a_pool_emails_the_physicians_of_that_specialty_only(
    submit, editor, roe, doe, kim
):
    request = submit(article=ArticleFactory(), user=editor, pool="anesthesiology")
    assert request.assignee is None and request.pool == "anesthesiology"
    [message] = review_mail()
    assert message.to == [kim.user.email]


def test_with_no_physician_and_no_pool_every_reviewing_physician_is_asked(
    submit, editor, roe, doe, kim
):
    request = submit(article=ArticleFactory(), user=editor)
    [message] = review_mail()
    assert sorted(message.to) == sorted(p.user.email for p in (roe, doe, kim))
    # Wanted by the site's default, a week from today.
    assert request.due_on == timezone.localdate() + timedelta(days=7)


def test_a_pool_never_emails_a_physician_who_wrote_the_page(submit, editor, roe, doe):
    article = ArticleFactory()
    article.authors.add(ContributorFactory(user=roe.user))  # Jane Roe is credited
    submit(article=article, user=editor, pool="Pain medicine")
    [message] = review_mail()
    assert message.to == [doe.user.email]


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("author", "Jane Roe, DO wrote, edited or is credited on this page"),
        ("past", "The review's due date is in the past"),
        ("empty pool", "No physician of the “Cardiology” pool may review this page"),
        ("unverified", "cannot review now"),
    ],
)
def test_a_request_no_one_asked_could_sign_is_refused_and_nothing_changes(
    submit, editor, roe, assignment, message
):
    article = ArticleFactory()
    arguments = {
        "author": {"assignee": roe},
        "past": {"due_on": timezone.localdate() - timedelta(days=1)},
        "empty pool": {"pool": "Cardiology"},
        "unverified": {"assignee": ReviewerProfileFactory(unverified=True)},
    }[assignment]
    if assignment == "author":
        article.authors.add(ContributorFactory(user=roe.user))
    with pytest.raises(ValidationError) as refused:
        submit(article=article, user=editor, **arguments)
    assert message in " ".join(refused.value.messages)
    assert not ReviewRequest.objects.exists()
    assert not article.revisions.exists()  # the whole send rolled back
    assert review_mail() == []


def test_sending_again_to_another_physician_replaces_the_request(submit, editor, roe, doe):
    article = ArticleFactory()
    first = submit(article=article, user=editor, assignee=roe)
    same = submit(article=article, user=editor, assignee=roe)
    assert same == first and len(review_mail()) == 1  # the same ask again changes nothing
    unchanged = submit(article=article, user=editor)
    assert unchanged == first  # no new choice: the open request stands

    second = submit(article=article, user=editor, assignee=doe)
    first.refresh_from_db()
    assert first.state == ReviewRequest.State.CANCELLED
    assert (second.state, second.assignee, second.revision) == ("open", doe, first.revision)
    assert [m.to for m in review_mail()] == [[roe.user.email], [doe.user.email]]


# --- The admin -------------------------------------------------------------------------------


def test_the_change_page_sends_to_the_physician_and_date_chosen(client, editor, roe, doe):
    article = ArticleFactory()
    client.force_login(editor)
    page = lxml_html.fromstring(
        client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    )
    # Each field has its label and its help text, and the physicians and pools to choose from.
    for name in ("review_assignee", "review_pool", "review_due_on", "review_note"):
        field = page.get_element_by_id(f"id_{name}")
        assert page.xpath(f'//label[@for="id_{name}"]')
        assert field.get("aria-describedby") == f"id_{name}_helptext"
    choices = page.get_element_by_id("id_review_assignee").xpath("option/text()")
    assert choices == [
        "Anyone in the pool",
        "Jane Roe, DO (Pain medicine)",
        "John Doe, DO (Pain medicine)",
    ]
    assert page.get_element_by_id("id_review_pool").xpath("option/text()") == [
        "All reviewing physicians",
        "Pain medicine",
    ]

    due = timezone.localdate() + timedelta(days=10)
    data = form_data(article, review_assignee=str(doe.pk), review_due_on=due.isoformat())
    response = client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        {**data, SEND: "1"},
        follow=True,
    )
    request = ReviewRequest.objects.get()
    assert (request.assignee, request.due_on) == (doe, due)
    assert [str(m) for m in response.context["messages"]] == [
        f"“{article.title}” was saved, and revision 1 was sent for medical review to "
        f"John Doe, DO, wanted by {due.day} {due:%B %Y}."
    ]
    panel = response.content.decode()
    assert f"to John Doe, DO, wanted by {due.day} {due:%b %Y}" in panel


def test_a_refused_assignment_keeps_the_saved_text_and_says_why(client, editor, roe):
    article = ArticleFactory(body="<p>Old.</p>")
    client.force_login(editor)
    past = timezone.localdate() - timedelta(days=2)
    data = form_data(article, body="<p>Typed on screen.</p>", review_due_on=past.isoformat())
    response = client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        {**data, SEND: "1"},
        follow=True,
    )
    article.refresh_from_db()
    assert article.body == "<p>Typed on screen.</p>"
    assert not ReviewRequest.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        f"“{article.title}” was saved, but not sent for review: The review's due date is in "
        "the past; choose today or a later date."
    ]


def test_each_physician_sees_what_was_sent_to_them_with_a_count(
    client, submit, editor, roe, doe, kim
):
    to_roe = ArticleFactory(title="Sent to Roe")
    to_anesthesia = ArticleFactory(title="Sent to anesthesia")
    to_everyone = ArticleFactory(title="Sent to everyone")
    submit(article=to_roe, user=editor, assignee=roe)
    submit(article=to_anesthesia, user=editor, pool="Anesthesiology")
    submit(article=to_everyone, user=editor)

    def awaiting(profile):
        client.force_login(profile.user)
        home = lxml_html.fromstring(client.get(reverse("admin:index")).content)
        [row] = home.xpath('//*[@id="your-work"]//tr[@data-work="awaiting-your-review"]')
        [link] = row.xpath("th/a")
        queue = lxml_html.fromstring(client.get(link.get("href")).content)
        titles = queue.xpath('//tr[@class="review-queue__item"]/th/a/text()')
        return int(row.xpath('.//*[@class="work-count"]/text()')[0]), sorted(titles)

    assert awaiting(roe) == (2, ["Sent to Roe", "Sent to everyone"])
    assert awaiting(doe) == (1, ["Sent to everyone"])
    assert awaiting(kim) == (2, ["Sent to anesthesia", "Sent to everyone"])
    client.force_login(doe.user)
    everything = lxml_html.fromstring(
        client.get(reverse("admin:articles_article_review_queue")).content
    )
    asked = [" ".join(td.text_content().split()) for td in everything.xpath("//tbody/tr/td[4]")]
    assert sorted(asked) == ["Anesthesiology pool", "Any physician", "Jane Roe, DO"]


def test_sending_again_asks_the_same_physician_unless_the_editor_chooses_otherwise(
    client, submit, editor, roe, doe
):
    article = ArticleFactory()
    client.force_login(editor)
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = lxml_html.fromstring(client.get(url).content)
    assert page.xpath('//select[@id="id_review_assignee"]/option[@selected]/text()') == [
        "Anyone in the pool"
    ]
    submit(article=article, user=editor, assignee=doe)
    page = lxml_html.fromstring(client.get(url).content)
    assert page.xpath('//select[@id="id_review_assignee"]/option[@selected]/text()') == [
        "John Doe, DO (Pain medicine)"
    ]


def test_a_page_whose_topic_requires_a_specialty_is_offered_that_pool_first(
    client, editor, roe, kim
):
    topic = TopicFactory(specialty_required="Anesthesiology")
    article = ArticleFactory(topics=[topic])
    client.force_login(editor)
    page = lxml_html.fromstring(
        client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    )
    assert page.xpath('//select[@id="id_review_pool"]/option[@selected]/text()') == [
        "Anesthesiology"
    ]


def test_the_refusals_say_exactly_what_to_do(submit, editor, roe):
    article = ArticleFactory()
    article.authors.add(ContributorFactory(user=roe.user))
    with pytest.raises(ValidationError) as author:
        submit(article=article, user=editor, assignee=roe)
    assert author.value.messages == [
        "Jane Roe, DO wrote, edited or is credited on this page, so cannot review it; choose "
        "another physician."
    ]
    with pytest.raises(ValidationError) as pool:
        submit(article=article, user=editor, pool="Cardiology")
    assert pool.value.messages == [
        "No physician of the “Cardiology” pool may review this page (verified, licence "
        "current, not an author or editor of it); name a physician or choose another pool."
    ]


def test_a_review_may_be_wanted_today(submit, editor, roe):
    today = timezone.localdate()
    request = submit(article=ArticleFactory(), user=editor, assignee=roe, due_on=today)
    assert request.due_on == today


def test_the_assignment_is_judged_at_the_instant_of_the_request(submit, editor, roe, kim):
    """A request dated in the past (as the periodic job may) is judged at that instant."""
    then = timezone.now() - timedelta(days=3)
    for profile in (roe, kim):  # licences that ended yesterday: valid three days ago
        profile.licence_expires_on = timezone.localdate() - timedelta(days=1)
        profile.save()
    due = timezone.localdate(then) + timedelta(days=1)  # after "then", before today
    named = submit(article=ArticleFactory(), user=editor, assignee=roe, due_on=due, now=then)
    pooled = submit(article=ArticleFactory(), user=editor, pool="Anesthesiology", now=then)
    assert (named.assignee, named.due_on, pooled.pool) == (roe, due, "Anesthesiology")
    with pytest.raises(ValidationError, match="cannot review now"):
        submit(article=ArticleFactory(), user=editor, assignee=roe)
