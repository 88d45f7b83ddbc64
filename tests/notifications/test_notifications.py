"""
E-mail notifications of the editorial loop (issue 12): each event once, to the right people,
with a link that works; sent by a task, and tried again by the worker when the mail server
fails.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client

from articles.models import Article, ProblemReport
from articles.public import feedback
from articles.publishing.workflow import article_publish, article_submit_for_review
from notifications.models import Notification
from reviews.services import signoff_create
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, ReviewerProfileFactory
from tests.mail import FlakyBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    call_command("setup_site", stdout=io.StringIO())


@pytest.fixture
def physician(site):
    profile = ReviewerProfileFactory(
        printed_name="Jane Roe",
        credentials="DO",
        user__is_staff=True,
        user__email="jane.roe@example.org",
    )
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


@pytest.fixture
def editor(site):
    user = EditorFactory(email="eddie@example.org")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def opens(user, link: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(urlsplit(link).path).status_code


def sent(kind: str):
    return [m for m in mail.outbox if Notification.objects.filter(kind=kind, subject=m.subject)]


def decide(revision, physician, decision="approved", comment=""):
    return signoff_create(
        revision=revision,
        expected_hash=revision.content_hash,
        user=physician.user,
        password=PASSWORD,
        decision=decision,
        comment=comment,
        attested=True,
    )


def test_sending_for_review_tells_the_physicians_once_with_a_working_link(
    physician, editor, django_capture_on_commit_callbacks
):
    other = ReviewerProfileFactory(user__email="other.doc@example.org")
    article = ArticleFactory(title="Back pain")
    with django_capture_on_commit_callbacks(execute=True):
        request = article_submit_for_review(article=article, user=editor, note="New section")
    with django_capture_on_commit_callbacks(execute=True):
        again = article_submit_for_review(article=article, user=editor)
    assert again.pk == request.pk
    (message,) = sent("review_requested")
    assert sorted(message.to) == ["jane.roe@example.org", "other.doc@example.org"]
    assert "eddie@example.org" not in message.to  # the editor cannot sign their own page
    assert message.subject == "For your review: Back pain (revision 1)"
    assert "New section" in message.body
    link = message.body.strip().splitlines()[-1]
    assert opens(physician.user, link) == 200
    assert other  # a second verified physician is told too


def test_a_decision_tells_the_editor_with_the_comment_and_links_to_the_article(
    physician, editor, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Back pain")
    request = article_submit_for_review(article=article, user=editor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide(request.revision, physician, "changes_requested", "Cite the dose in para 2.")
    (message,) = sent("decision")
    assert message.to == ["eddie@example.org"]
    assert "changes requested" in message.subject.lower()
    assert "Cite the dose in para 2." in message.body
    link = message.body.strip().splitlines()[-1]
    assert link.endswith(f"/admin/articles/article/{article.pk}/change/")
    assert opens(editor, link) == 200


def test_publishing_tells_the_editors_and_the_physician_with_the_public_link(
    physician, editor, client, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Back pain")
    request = article_submit_for_review(article=article, user=editor)
    decide(request.revision, physician)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        article_publish(article=article, revision=request.revision, user=editor)
    (message,) = sent("published")
    assert sorted(message.to) == ["eddie@example.org", "jane.roe@example.org"]
    link = message.body.strip().splitlines()[-1]
    assert client.get(urlsplit(link).path).status_code == 200


def test_a_readers_report_tells_the_editors(editor, client, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Back pain", live=True)
    with django_capture_on_commit_callbacks(execute=True):
        feedback.problem_report_create(
            article=Article.objects.get(pk=article.pk),
            message="The dose looks wrong.",
            email="",
            sender_hash="x" * 64,
        )
    (message,) = sent("report")
    assert message.to == ["eddie@example.org"]
    assert "The dose looks wrong." in message.body
    link = message.body.strip().splitlines()[-1]
    assert link.endswith(f"/{ProblemReport.objects.get().pk}/change/")
    assert opens(editor, link) == 200


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_from_the_queue_and_retries_a_failed_send(settings, editor):
    article = ArticleFactory(title="Back pain", live=True)
    mail.outbox.clear()
    # Production's queue: the request only records the e-mail; the worker sends it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAILERS = {"default": {"BACKEND": "tests.mail.FlakyBackend"}}
    settings.NOTIFICATION_RETRY_SECONDS = 0
    FlakyBackend.failures = 2
    feedback.problem_report_create(
        article=Article.objects.get(pk=article.pk),
        message="Broken link.",
        email="",
        sender_hash="y" * 64,
    )
    assert mail.outbox == []  # nothing sent in the request
    notification = Notification.objects.get(kind="report")
    assert notification.sent_at is None

    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--interval",
        "0",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 3  # failed twice, sent on the third try
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["eddie@example.org"]
