"""Publishing, scheduling and withdrawing: only a physician-approved, intact revision goes live."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from articles.content.services import revision_create
from articles.content.snapshot import content_hash
from articles.models import Article, ScheduledPublication
from articles.publishing.workflow import (
    PublishRefused,
    WorkflowRefused,
    article_publish,
    article_schedule_publication,
    article_submit_for_review,
    article_unpublish,
    publish_due_scheduled,
)
from reviews.models import AuditEvent, ReviewRequest
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import approved_revision, edit_body, sign
from tests.tamper import tamper as db_tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def article():
    return ArticleFactory(title="Sciatica", body="<p>Most sciatica settles in weeks.</p>")


def page_text(client, article):
    response = client.get(article.get_absolute_url())
    return response.status_code, response.content.decode()


def tamper(revision, body):
    """Change a stored revision behind the application's back (its hash column untouched)."""
    snapshot = {**revision.snapshot, "body": body}
    db_tamper(
        "UPDATE articles_articlerevision SET snapshot = %s WHERE id = %s",
        [json.dumps(snapshot), revision.pk],
    )


def test_submitting_makes_a_revision_and_opens_a_review_request(article, editor):
    request = article_submit_for_review(article=article, user=editor, note="New article")
    assert request.revision.number == 1
    assert request.revision.created_by == editor
    assert request.state == ReviewRequest.State.OPEN
    assert AuditEvent.objects.filter(action="submitted", article=article).count() == 1
    # Submitting again without changes reuses the revision and the open request.
    assert article_submit_for_review(article=article, user=editor).pk == request.pk


def test_only_editors_can_submit(article):
    reviewer = ReviewerProfileFactory()
    with pytest.raises(WorkflowRefused):
        article_submit_for_review(article=article, user=reviewer.user)
    assert not ReviewRequest.objects.exists()


def test_an_approved_revision_is_published_and_audited(client, article, editor):
    revision = approved_revision(article, editor=editor)
    assert page_text(client, article)[0] == 404  # approved is not published

    published = article_publish(article=article, revision=revision, user=editor)

    assert published.live_revision == revision
    assert published.first_published_at is not None
    status, html = page_text(client, article)
    assert status == 200 and "Most sciatica settles in weeks." in html
    event = AuditEvent.objects.get(action="published")
    assert (event.actor, event.revision) == (editor, revision)


def test_an_unapproved_revision_is_refused(article, editor):
    revision = revision_create(article=article, user=editor)
    with pytest.raises(PublishRefused, match="has not been approved") as refused:
        article_publish(article=article, revision=revision, user=editor)
    assert refused.value.code == "not_approved"
    assert Article.objects.get(pk=article.pk).live_revision is None


def test_a_revision_with_only_changes_requested_is_refused(article, editor):
    revision = revision_create(article=article, user=editor)
    sign(revision, decision="changes_requested")
    with pytest.raises(PublishRefused, match="requested changes") as refused:
        article_publish(article=article, revision=revision, user=editor)
    assert refused.value.code == "changes_requested"
    assert Article.objects.get(pk=article.pk).live_revision is None


@pytest.mark.django_db(transaction=True)
def test_a_revision_changed_after_approval_is_refused_naming_both_hashes(article, editor):
    revision = approved_revision(article, editor=editor)
    signed = revision.content_hash
    tamper(revision, "<p>Sciatica always needs surgery.</p>")

    with pytest.raises(PublishRefused) as refused:
        # The caller's in-memory revision still holds the signed content: the service must
        # check what is stored, not what it was handed.
        article_publish(article=article, revision=revision, user=editor)

    stored = type(revision).objects.get(pk=revision.pk)
    message = refused.value.message
    assert refused.value.code == "tampered"
    assert message.startswith("Revision 1 of 'Sciatica' was changed after approval")
    assert f"signed hash {signed[:8]}…" in message
    assert f"content now hashes to {stored.compute_hash()[:8]}…" in message
    assert Article.objects.get(pk=article.pk).live_revision is None
    # The refusal is evidence: its audit record outlives the rolled-back publication.
    assert AuditEvent.objects.filter(action="tamper_detected", revision=revision).exists()


@pytest.mark.django_db(transaction=True)
def test_an_approval_of_a_different_hash_is_refused(article, editor):
    revision = approved_revision(article, editor=editor)
    signed = revision.content_hash
    # A consistent rewrite: new snapshot and its correct hash, so only the signature disagrees.
    snapshot = {**revision.snapshot, "body": "<p>Rewritten.</p>"}
    db_tamper(
        "UPDATE articles_articlerevision SET snapshot = %s, content_hash = %s WHERE id = %s",
        [json.dumps(snapshot), content_hash(snapshot), revision.pk],
    )
    with pytest.raises(PublishRefused, match="has no approval of its content") as refused:
        article_publish(article=article, revision=revision, user=editor)
    assert refused.value.code == "hash_mismatch"
    assert signed[:8] in refused.value.message
    assert content_hash(snapshot)[:8] in refused.value.message


def test_another_articles_revision_is_refused(article, editor):
    other = ArticleFactory()
    revision = approved_revision(other, editor=editor)
    with pytest.raises(PublishRefused, match="belongs to another article"):
        article_publish(article=article, revision=revision, user=editor)


def test_only_editors_and_superusers_publish(article, editor):
    revision = approved_revision(article, editor=editor)
    for outsider in (ReviewerProfileFactory().user, StaffUserFactory()):
        with pytest.raises(PublishRefused, match="Only editors") as refused:
            article_publish(article=article, revision=revision, user=outsider)
        assert refused.value.code == "permission"
    article.refresh_from_db()
    assert article.live_revision is None
    article_publish(article=article, revision=revision, user=AdminUserFactory())
    article.refresh_from_db()
    assert article.live_revision == revision


def test_approving_a_new_revision_does_not_change_the_public_page_until_published(
    client, article, editor
):
    first = approved_revision(article, editor=editor)
    article_publish(article=article, revision=first, user=editor)
    before = page_text(client, article)[1]

    second = edit_body(article, "<p>Most sciatica settles within six weeks.</p>", editor=editor)
    sign(second)

    assert page_text(client, article)[1] == before
    article_publish(article=article, revision=second, user=editor)
    status, after = page_text(client, article)
    assert "settles within six weeks" in after and "settles in weeks." not in after
    assert Article.objects.get(pk=article.pk).live_revision == second


def test_publishing_clears_needs_review_only_for_an_approval_after_the_flag(article, editor):
    now = timezone.now()
    revision = approved_revision(article, editor=editor, now=now - timedelta(days=2))
    Article.objects.filter(pk=article.pk).update(
        needs_review=True, needs_review_reason="Source retracted", updated_at=now
    )
    article.refresh_from_db()
    article_publish(article=article, revision=revision, user=editor, now=now)
    assert Article.objects.get(pk=article.pk).needs_review is True  # approved before the flag

    sign(revision, now=now + timedelta(minutes=1))  # a re-review of the same revision
    version = article.version
    article_publish(article=article, revision=revision, user=editor, now=now)
    flagged = Article.objects.get(pk=article.pk)
    assert (flagged.needs_review, flagged.needs_review_reason) == (False, "")
    assert flagged.version == version + 1  # an open editor form is now stale


def test_scheduling_is_checked_now_and_publishes_at_the_time(client, article, editor):
    revision = revision_create(article=article, user=editor)
    later = timezone.now() + timedelta(hours=2)
    with pytest.raises(PublishRefused, match="has not been approved"):
        article_schedule_publication(
            article=article, revision=revision, user=editor, publish_at=later
        )
    sign(revision)
    with pytest.raises(PublishRefused, match="in the future"):
        article_schedule_publication(
            article=article, revision=revision, user=editor, publish_at=timezone.now()
        )
    scheduled = article_schedule_publication(
        article=article, revision=revision, user=editor, publish_at=later
    )
    assert AuditEvent.objects.filter(action="scheduled", revision=revision).exists()

    with time_machine.travel(later - timedelta(minutes=1), tick=False):
        call_command("publish_scheduled")
        assert page_text(client, article)[0] == 404
    with time_machine.travel(later + timedelta(seconds=30), tick=False):
        call_command("publish_scheduled")
        assert page_text(client, article)[0] == 200
    assert not ScheduledPublication.objects.filter(pk=scheduled.pk).exists()
    assert Article.objects.get(pk=article.pk).first_published_at == later + timedelta(seconds=30)


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_revision_tampered_with_after_scheduling_is_not_published(article, editor):
    revision = approved_revision(article, editor=editor)
    later = timezone.now() + timedelta(hours=1)
    article_schedule_publication(article=article, revision=revision, user=editor, publish_at=later)
    tamper(revision, "<p>Changed after scheduling.</p>")

    assert publish_due_scheduled(now=later) == []

    assert Article.objects.get(pk=article.pk).live_revision is None
    assert not ScheduledPublication.objects.exists()  # cancelled, not retried every minute
    cancelled = AuditEvent.objects.get(action="scheduled", data__cancelled=True)
    assert "was changed after approval" in cancelled.message


def test_publishing_now_replaces_a_pending_schedule(article, editor):
    revision = approved_revision(article, editor=editor)
    later = timezone.now() + timedelta(days=1)
    article_schedule_publication(article=article, revision=revision, user=editor, publish_at=later)
    assert ScheduledPublication.objects.get(article=article).revision == revision
    article_publish(article=article, revision=revision, user=editor)
    assert not ScheduledPublication.objects.exists()
    assert Article.objects.get(pk=article.pk).live_revision == revision


def test_unpublishing_removes_the_public_page(client, article, editor):
    revision = approved_revision(article, editor=editor)
    article_publish(article=article, revision=revision, user=editor)
    assert page_text(client, article)[0] == 200
    with pytest.raises(WorkflowRefused, match="Say why"):
        article_unpublish(article=article, user=editor, reason="  ")

    article_unpublish(article=article, user=editor, reason="Guidance changed")

    assert page_text(client, article)[0] == 404
    withdrawn = Article.objects.get(pk=article.pk)
    assert withdrawn.live_revision is None and withdrawn.first_published_at is not None
    event = AuditEvent.objects.get(action="unpublished")
    assert event.message == "Unpublished: Guidance changed" and event.actor == editor
    with pytest.raises(WorkflowRefused, match="is not published"):
        article_unpublish(article=article, user=editor, reason="Again")
