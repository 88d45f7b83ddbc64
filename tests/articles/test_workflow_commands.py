"""Cron commands: review reminders (each notice once), and the citation refresh that flags pages."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from articles.publishing.workflow import article_publish
from references.crossref import CrossrefClient
from references.models import Citation
from references.pubmed import PubMedClient, TransportResponse
from reviews.models import AuditEvent, ReminderLog
from tests.factories.articles import ArticleFactory, CitationFactory, EditorFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign
from tests.references.conftest import FakeClock, FakeTransport, read

pytestmark = pytest.mark.django_db

SIGNED_AT = timezone.now().replace(microsecond=0) - timedelta(days=1)
DUE = SIGNED_AT + timedelta(days=365)  # the default interval


@pytest.fixture
def live_article():
    """A page approved by Dr Roe at SIGNED_AT and published; its review falls due at DUE."""
    editor = EditorFactory(email="writer@example.org")
    reviewer = ReviewerProfileFactory(user__email="roe@example.org")
    article = ArticleFactory(title="Knee pain")
    revision = edit_body(article, "<p>Knee pain is common.</p>", editor=editor)
    sign(revision, reviewer=reviewer, now=SIGNED_AT)
    article_publish(article=article, revision=revision, user=editor)
    return article


def remind(*args):
    out = io.StringIO()
    call_command("review_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_each_reminder_is_sent_once_per_stage(live_article):
    with time_machine.travel(DUE - timedelta(days=400), tick=False):
        remind()  # long before: current, nothing to say
    assert mail.outbox == []

    with time_machine.travel(DUE - timedelta(days=10), tick=False):
        remind()
        remind()
    assert len(mail.outbox) == 1
    soon = mail.outbox[0]
    assert soon.subject.startswith("Medical review due") and "Knee pain" in soon.subject
    assert sorted(soon.to) == ["roe@example.org", "writer@example.org"]

    with time_machine.travel(DUE + timedelta(days=2), tick=False):
        remind()
        remind()
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "Medical review overdue: Knee pain"
    assert sorted(ReminderLog.objects.values_list("stage", flat=True)) == ["due-soon", "overdue"]
    assert AuditEvent.objects.filter(action="reminder_sent", article=live_article).count() == 2


def test_dry_run_sends_and_records_nothing(live_article):
    with time_machine.travel(DUE - timedelta(days=10), tick=False):
        output = remind("--dry-run")
    assert "[dry run] would send: due-soon 'Knee pain'" in output
    assert mail.outbox == []
    assert not ReminderLog.objects.exists()
    assert not AuditEvent.objects.filter(action="reminder_sent").exists()


def test_a_failed_send_is_not_recorded_and_goes_out_next_time(live_article, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("articles.management.commands.review_reminders.send_mail", broken)
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        remind()
    assert not ReminderLog.objects.exists()

    monkeypatch.undo()
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        remind()
    assert len(mail.outbox) == 1 and ReminderLog.objects.count() == 1


def test_a_new_approval_starts_a_new_reminder_cycle(live_article):
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        remind()
        sign(live_article.live_revision)  # a periodic re-review of the same revision
        remind()
    assert len(mail.outbox) == 1  # the re-review made the page current again


@pytest.fixture
def pubmed_retracts_10066780(monkeypatch):
    """PubMed answers every fetch with the recorded EFetch of a retracted paper."""
    clock = FakeClock()
    transport = FakeTransport(
        clock, by_pmid={"10066780": read("efetch-pubmed-retracted-publication-10066780.xml")}
    )
    client = PubMedClient(
        tool="healthpages-tests",
        email="tests@example.invalid",
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
    )
    monkeypatch.setattr("references.services.pubmed_client_from_settings", lambda: client)
    # Crossref knows nothing of it (404): PubMed's notice is the one recorded.
    crossref = CrossrefClient(
        mailto="tests@example.invalid",
        transport=lambda url, params, timeout: TransportResponse(404, b"Resource not found."),
        clock=clock,
        sleep=clock.sleep,
    )
    monkeypatch.setattr("references.services.crossref_client_from_settings", lambda: crossref)
    return transport


def test_refresh_citations_flags_live_articles_citing_a_newly_retracted_paper(
    pubmed_retracts_10066780,
):
    editor = EditorFactory()
    CitationFactory(pmid="10066780", publication_types=["Journal Article"])
    citing = ArticleFactory(title="Citing page")
    revision = edit_body(citing, "<p>A claim [PMID:10066780].</p>", editor=editor)
    sign(revision)
    article_publish(article=citing, revision=revision, user=editor)
    draft = ArticleFactory(title="Draft citing page")
    edit_body(draft, "<p>A claim [PMID:10066780].</p>", editor=editor)
    other = ArticleFactory(title="Other page", live=True)
    version = Article.objects.get(pk=citing.pk).version

    out = io.StringIO()
    call_command("refresh_citations", stdout=out, stderr=io.StringIO())

    assert Citation.objects.get(pmid="10066780").retracted is True
    flagged = Article.objects.get(pk=citing.pk)
    assert flagged.needs_review is True
    assert "PMID 10066780" in flagged.needs_review_reason
    assert "This source was retracted" in flagged.needs_review_reason
    assert "notice: PMID 11905463" in flagged.needs_review_reason
    assert flagged.version == version + 1  # an editor's open form cannot save the flag away
    assert Article.objects.get(pk=draft.pk).needs_review is False  # not live
    assert Article.objects.get(pk=other.pk).needs_review is False  # does not cite it
    assert "1 retraction(s)" in out.getvalue() and "'Citing page'" in out.getvalue()
    from reviews.models import AuditEvent

    event = AuditEvent.objects.get(action="flagged")
    assert event.article_id == citing.pk and "PMID 10066780" in event.message

    # A second run finds nothing new and leaves the reason as it is.
    call_command("refresh_citations", stdout=io.StringIO(), stderr=io.StringIO())
    assert Article.objects.get(pk=citing.pk).needs_review_reason == flagged.needs_review_reason
