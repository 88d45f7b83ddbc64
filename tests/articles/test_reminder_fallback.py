"""
Review reminders never go nowhere: when none of an article's editors can be written to (no
address, or no longer active), the members of the Editors group who can be get the reminder,
and only then.
"""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from articles.publishing.workflow import article_publish
from reviews.models import ReminderLog
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign

pytestmark = pytest.mark.django_db

SIGNED_AT = timezone.now().replace(microsecond=0) - timedelta(days=1)
DUE = SIGNED_AT + timedelta(days=365)  # the default interval
DUE_SOON = DUE - timedelta(days=10)


@pytest.fixture
def editors_desk():
    """The Editors group: two members who can be written to, and two who cannot."""
    EditorFactory(email="desk@example.org")
    EditorFactory(email="chief@example.org")
    EditorFactory(email="gone@example.org", is_active=False)
    EditorFactory(email="")
    # Staff outside the Editors group are never the fallback.
    StaffUserFactory(email="someone-else@example.org")


def live_article(*, editor, reviewer_email="roe@example.org"):
    """A page written by `editor`, approved at SIGNED_AT and published: due at DUE."""
    reviewer = ReviewerProfileFactory(user__email=reviewer_email)
    article = ArticleFactory(title="Knee pain")
    revision = edit_body(article, "<p>Knee pain is common.</p>", editor=editor)
    sign(revision, reviewer=reviewer, now=SIGNED_AT)
    article_publish(article=article, revision=revision, user=editor)
    return article


def remind() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(DUE_SOON, tick=False):
        call_command("review_reminders", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "unreachable",
    [{"email": ""}, {"is_active": False}],
    ids=["editor-without-address", "editor-who-left"],
)
def test_with_no_editor_to_write_to_the_editors_group_gets_the_reminder(
    editors_desk, unreachable
):
    writer = EditorFactory(email="writer@example.org")
    article = live_article(editor=writer)
    for name, value in unreachable.items():
        setattr(writer, name, value)
    writer.save()

    remind()

    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == [
        "chief@example.org",
        "desk@example.org",
        "roe@example.org",
    ]
    assert ReminderLog.objects.filter(article=article, stage="due-soon").count() == 1


def test_with_no_one_else_at_all_the_editors_group_still_gets_it(editors_desk):
    """Neither the physician nor the writer has an address: the reminder is not dropped."""
    article = live_article(editor=EditorFactory(email=""), reviewer_email="")

    output, errors = remind()

    assert "No one to remind" not in errors
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["chief@example.org", "desk@example.org"]
    assert ReminderLog.objects.filter(article=article).count() == 1
    assert "1 sent" in output


def test_the_editors_group_is_not_written_to_when_the_articles_editor_can_be(editors_desk):
    """The control: the group is a fallback, not a copy of every reminder."""
    live_article(editor=EditorFactory(email="writer@example.org"))

    remind()

    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["roe@example.org", "writer@example.org"]
