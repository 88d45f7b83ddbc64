"""The public gate and the review stamp: only signed content, stamped from the record."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from articles.content.services import article_update, revision_create
from articles.models import Article
from reviews import policy
from reviews.models import AuditEvent
from reviews.services import signoff_create
from tests.factories.articles import ArticleFactory, StaffUserFactory, TopicFactory, make_live
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.tamper import tamper

pytestmark = pytest.mark.django_db


def _stamp(response):
    tree = lxml_html.fromstring(response.content)
    stamps = tree.xpath("//*[contains(concat(' ', @class, ' '), ' review-stamp ')]")
    return stamps[0] if stamps else None


def test_a_live_revision_without_a_physicians_approval_is_not_public(client):
    """Setting live_revision behind the service's back (shell, raw SQL) shows nothing."""
    article = ArticleFactory()
    revision = revision_create(article=article, user=StaffUserFactory())
    Article.objects.filter(pk=article.pk).update(live_revision=revision)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:home")).content.decode().count(article.slug) == 0


def test_a_live_pointer_moved_behind_the_apps_back_publishes_nothing_unsigned(client):
    """The public reads the publication record, which only publishing writes."""
    article = ArticleFactory(live=True)
    approved = article.live_revision
    article_update(
        article=article,
        data={"body": "<p>Edited after approval.</p>"},
        expected_version=article.version,
        user=StaffUserFactory(),
    )
    unsigned = revision_create(article=article, user=StaffUserFactory())
    assert unsigned.pk != approved.pk
    Article.objects.filter(pk=article.pk).update(live_revision=unsigned)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Edited after approval" not in page
    assert approved.snapshot["title"] in page


def test_the_stamp_comes_from_the_sign_off(client):
    reviewer = ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO")
    article = ArticleFactory(live=False)
    make_live(article, reviewer=reviewer)
    signoff = article.live_revision.signoffs.get()
    response = client.get(article.get_absolute_url())
    stamp = _stamp(response)
    assert stamp is not None
    assert stamp.get("data-review-status") == "current"
    text = " ".join(stamp.text_content().split())
    assert "Medically reviewed by Jane Roe, DO" in text
    assert signoff.meaning in text
    link = stamp.xpath(".//a")[0]
    assert link.get("href") == reverse("articles:reviewer", kwargs={"slug": reviewer.slug})
    times = [t.get("datetime") for t in stamp.xpath(".//time")]
    assert signoff.signed_at.strftime("%Y-%m-%dT%H:%M:%S") in times[0]
    due = policy.next_review_due(last_reviewed_at=signoff.signed_at)
    assert due.strftime("%Y-%m-%dT%H:%M:%S") in times[-1]


def test_due_soon_and_overdue_show_at_read_time(client, settings):
    settings.REVIEW_INTERVAL_DAYS = 100
    settings.REVIEW_DUE_SOON_DAYS = 10
    article = ArticleFactory(live=True)
    signed_at = article.live_revision.signoffs.get().signed_at
    with time_machine.travel(signed_at + timedelta(days=91)):
        response = client.get(article.get_absolute_url())
        assert _stamp(response).get("data-review-status") == "due-soon"
        assert "Review overdue" not in response.content.decode()
    with time_machine.travel(signed_at + timedelta(days=100, seconds=1)):
        response = client.get(article.get_absolute_url())
        assert _stamp(response).get("data-review-status") == "overdue"
        assert "Review overdue" in response.content.decode()


def test_a_topic_interval_shortens_the_review_cycle(client, settings):
    settings.REVIEW_INTERVAL_DAYS = 365
    article = ArticleFactory(topics=[TopicFactory(review_interval_days=90)], live=True)
    signed_at = article.live_revision.signoffs.get().signed_at
    with time_machine.travel(signed_at + timedelta(days=91)):
        assert _stamp(client.get(article.get_absolute_url())).get("data-review-status") == (
            "overdue"
        )


def test_the_withdraw_setting_takes_an_overdue_page_down_after_the_grace_period(
    client, settings
):
    settings.REVIEW_INTERVAL_DAYS = 100
    settings.REVIEW_WITHDRAW_OVERDUE = True
    settings.REVIEW_OVERDUE_GRACE_DAYS = 7
    article = ArticleFactory(live=True)
    signed_at = article.live_revision.signoffs.get().signed_at
    with time_machine.travel(signed_at + timedelta(days=106)):
        assert client.get(article.get_absolute_url()).status_code == 200
    with time_machine.travel(signed_at + timedelta(days=107, seconds=1)):
        assert client.get(article.get_absolute_url()).status_code == 404


def test_a_re_review_moves_last_reviewed_but_not_last_updated(client):
    article = ArticleFactory(live=True)
    revision = article.live_revision
    first = revision.signoffs.get()
    second_reviewer = ReviewerProfileFactory()
    with time_machine.travel(first.signed_at + timedelta(days=200)):
        signoff_create(
            revision=revision, expected_hash=revision.content_hash,
            user=second_reviewer.user,
            password=PASSWORD,
            decision="approved",
            attested=True,
        )
        response = client.get(article.get_absolute_url())
    stamp = _stamp(response)
    text = " ".join(stamp.text_content().split())
    assert second_reviewer.printed_name in text
    assert "Last updated" in text  # the content is older than the new review
    updated = [
        t.get("datetime")
        for t in stamp.xpath(".//div")
        if "Last updated" in t.text_content()
        for t in t.xpath(".//time")
    ]
    assert updated and revision.created_at.strftime("%Y-%m-%dT%H:%M:%S") in updated[0]


@pytest.mark.django_db(transaction=True)
def test_content_changed_behind_the_apps_back_loses_its_stamp_and_is_named(client):
    """Acceptance (issue 5, 6): raw SQL changes the live body; no stamp, notice, logged."""
    article = ArticleFactory(live=True)
    revision = article.live_revision
    tampered = dict(revision.snapshot, body="<p>Miracle cure, guaranteed.</p>")
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(tampered), revision.pk],
    )
    response = client.get(article.get_absolute_url())
    assert response.status_code == 503
    body = response.content.decode()
    assert "Miracle cure" not in body
    assert "under medical review" in body
    assert _stamp(response) is None
    assert AuditEvent.objects.filter(action="tamper_detected", revision=revision).exists()

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_signoffs", stdout=out, stderr=out)
    assert f"revision {revision.pk} " in out.getvalue()


def test_sql_review_dates_agree_with_the_policy(settings):
    settings.REVIEW_INTERVAL_DAYS = 365
    plain = ArticleFactory(live=True)
    short = ArticleFactory(topics=[TopicFactory(review_interval_days=30)], live=True)
    rows = {a.pk: a for a in Article.objects.live().with_review_dates()}
    for article, interval in ((plain, 365), (short, 30)):
        signed_at = article.live_revision.signoffs.get().signed_at
        row = rows[article.pk]
        assert row.last_reviewed_at == signed_at
        assert row.next_review_due == policy.next_review_due(
            last_reviewed_at=signed_at, interval_days=interval
        )


def test_status_follows_the_newest_revision_through_the_workflow():
    from reviews.services import review_request_create

    editor = StaffUserFactory()
    reviewer = ReviewerProfileFactory()

    def status(article):
        return Article.objects.with_status().get(pk=article.pk).status

    article = ArticleFactory()
    revision_create(article=article, user=editor)
    assert status(article) == "draft"
    revision = article.revisions.get()
    review_request_create(revision=revision, user=editor)
    assert status(article) == "in_review"
    signoff_create(
        revision=revision, expected_hash=revision.content_hash,
        user=reviewer.user,
        password=PASSWORD,
        decision="changes_requested",
        comment="Cite the trial.",
        attested=True,
    )
    assert status(article) == "changes_requested"
    review_request_create(revision=revision, user=editor)  # decided requests are not re-signed
    assert status(article) == "in_review"
    signoff_create(
        revision=revision,
        expected_hash=revision.content_hash,
        user=reviewer.user,
        password=PASSWORD,
        decision="approved",
        attested=True,
    )
    assert status(article) == "approved"
    Article.objects.filter(pk=article.pk).update(
        live_revision=revision, first_published_at=timezone.now()
    )
    assert status(article) == "published"
    Article.objects.filter(pk=article.pk).update(live_revision=None)
    # Taken down, but its newest revision is approved and can go live again.
    assert status(article) == "approved"
    article.refresh_from_db()
    article_update(
        article=article, data={"title": "A new draft"}, expected_version=article.version,
        user=editor,
    )
    revision_create(article=article, user=editor)
    assert status(article) == "withdrawn"


@pytest.mark.django_db(transaction=True)
def test_verify_signoffs_also_names_a_changed_unsigned_revision():
    article = ArticleFactory()
    revision = revision_create(article=article, user=StaffUserFactory())
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(dict(revision.snapshot, title="Changed")), revision.pk],
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_signoffs", stdout=out, stderr=out)
    assert f"Revision {revision.pk} (article {article.pk}" in out.getvalue()
