"""
Public surfaces that an audit found unguarded (issue 14): each test fails when its rule is
taken out of the production code.

- The feed and the review history count an approval only when the hash it signed is the
  revision's stored hash: a stale approval (the revision rewritten since, with its hash
  recomputed) or a forged one of other content puts nothing on them; nor is a page in the
  feed once a later decision took its approval back.
- A reviewer's page lists only the pages whose approval in force is theirs.
- The report-a-problem limit counts by the connection's address, never by X-Forwarded-For
  (or any other header a client writes).
"""

import json
from datetime import timedelta
from itertools import count

import feedparser
import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from articles.content.services import article_update
from articles.content.snapshot import content_hash
from articles.models import ProblemReport
from articles.publishing.models import Publication
from reviews.models import SignOff
from tests.factories.articles import ArticleFactory, EditorFactory, TopicFactory
from tests.factories.reviews import ReviewerProfileFactory
from tests.factories.workflow import sign
from tests.public.conftest import approve, publish
from tests.tamper import forge_signoff, tamper


def feed_titles(client) -> list[str]:
    response = client.get(reverse("articles:feed"))
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return sorted(entry.title for entry in feed.entries)


def history_signoff_ids(client, slug) -> set[int]:
    """The sign-offs the public review history lists as approvals (its `signoff-N` items)."""
    response = client.get(reverse("articles:history", args=[slug]))
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.content.decode())
    return {
        int(item.get("id").removeprefix("signoff-"))
        for item in tree.xpath('//li[starts-with(@id, "signoff-")]')
    }


def rewrite_revision(revision, **changes) -> None:
    """
    As someone with database access: change a revision's snapshot and store its new hash, so
    the revision is consistent in itself but no longer what the physician signed.
    """
    snapshot = {**revision.snapshot, **changes}
    tamper(
        "UPDATE articles_articlerevision SET snapshot = %s, content_hash = %s WHERE id = %s",
        [json.dumps(snapshot), content_hash(snapshot), revision.pk],
    )


# --- 1. The feed ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_stale_approval_of_other_content_puts_no_item_in_the_feed(client):
    topic = TopicFactory()
    kept = ArticleFactory(title="Sciatica basics", topics=[topic], live=True)
    ArticleFactory(title="Lumbago basics", topics=[topic], live=True)
    assert feed_titles(client) == ["Lumbago basics", "Sciatica basics"]

    rewrite_revision(kept.live_revision, title="Miracle cure", body="<p>Guaranteed.</p>")
    # Any change that derives the page's record again reads its approval again (a new topic).
    kept.topics.add(TopicFactory())

    assert feed_titles(client) == ["Lumbago basics"]
    assert not Publication.objects.filter(article=kept).exists()


@pytest.mark.django_db(transaction=True)
def test_a_stale_approval_puts_no_re_review_in_the_feed_either(client):
    """A re-review signed before the rewrite is no approval of what the revision holds now."""
    kept = ArticleFactory(title="Sciatica basics", live=True)
    approve(kept.live_revision, now=timezone.now() + timedelta(seconds=1))
    rewrite_revision(kept.live_revision, title="Miracle cure")
    kept.topics.add(TopicFactory())
    assert feed_titles(client) == []


@pytest.mark.django_db
def test_a_page_whose_approval_was_taken_back_leaves_the_feed(client):
    """Changes requested on the live revision: the page stays up with a notice, not in the feed."""
    kept = ArticleFactory(title="Sciatica basics", live=True)
    ArticleFactory(title="Lumbago basics", live=True)
    later = timezone.now() + timedelta(seconds=1)
    sign(kept.live_revision, decision="changes_requested", now=later)
    assert Publication.objects.get(article=kept).state == Publication.State.TAKEN_BACK
    assert feed_titles(client) == ["Lumbago basics"]


# --- 2. The review history ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_review_history_leaves_out_an_approval_of_content_its_revision_no_longer_holds(
    client,
):
    old_reviewer = ReviewerProfileFactory(printed_name="Olga Old")
    new_reviewer = ReviewerProfileFactory(printed_name="Nina New")
    editor = EditorFactory()
    article = ArticleFactory(title="History page")
    first = publish(article, old_reviewer, editor=editor)
    article.refresh_from_db()
    article_update(
        article=article,
        data={"title": "History page, updated"},
        expected_version=article.version,
        user=editor,
    )
    second = publish(article, new_reviewer, editor=editor)
    assert history_signoff_ids(client, article.slug) == {first.pk, second.pk}

    # Revision 1 (no longer live) is rewritten in SQL with its hash recomputed: Dr Old's
    # signature is of other content now.
    rewrite_revision(first.revision, body="<p>Something Dr Old never read.</p>")

    assert history_signoff_ids(client, article.slug) == {second.pk}
    page = client.get(reverse("articles:history", args=[article.slug])).content.decode()
    assert "Olga Old" not in page and "Nina New" in page


@pytest.mark.django_db
def test_the_review_history_leaves_out_an_approval_that_signed_another_hash(client):
    article = ArticleFactory(title="History page", live=True)
    genuine = SignOff.objects.get(revision=article.live_revision)
    forged = forge_signoff(
        after=genuine, revision=article.live_revision, content_hash="0" * 64
    )
    assert forged.content_hash != article.live_revision.content_hash
    assert history_signoff_ids(client, article.slug) == {genuine.pk}


# --- 3. A reviewer's page -------------------------------------------------------------------


def reviewer_page_slugs(client, profile) -> set[str]:
    """The article pages a reviewer's public page lists (its cards' links)."""
    response = client.get(profile.get_absolute_url())
    assert response.status_code == 200
    tree = lxml_html.fromstring(response.content.decode())
    (section,) = tree.xpath('//section[@aria-labelledby="reviewed-heading"]')
    prefix = reverse("articles:detail", args=["x"]).removesuffix("x/")
    return {
        href.removeprefix(prefix).strip("/")
        for href in section.xpath(".//a/@href")
        if href.startswith(prefix) and href.count("/") == prefix.count("/") + 1
    }


@pytest.mark.django_db
def test_a_reviewers_page_lists_only_pages_whose_approval_in_force_is_theirs(client):
    ann = ReviewerProfileFactory(printed_name="Ann Able")
    bo = ReviewerProfileFactory(printed_name="Bo Baker")
    editor = EditorFactory()
    # Signing times only move forward: one hour apart, starting a month ago.
    start = timezone.now() - timedelta(days=30)
    times = (start + timedelta(hours=n) for n in count())

    def page(slug):
        return ArticleFactory(title=slug.replace("-", " ").capitalize(), slug=slug)

    anns = page("anns-page")
    publish(anns, ann, editor=editor, now=next(times))
    bos = page("bos-page")
    publish(bos, bo, editor=editor, now=next(times))
    # Approved by Ann, re-reviewed by Bo: the approval in force is Bo's.
    rereviewed = page("re-reviewed-page")
    publish(rereviewed, ann, editor=editor, now=next(times))
    approve(rereviewed.live_revision, bo, now=next(times))
    # Approved by Ann, then Bo asked for changes: no approval in force (a notice is shown).
    taken_back = page("taken-back-page")
    publish(taken_back, ann, editor=editor, now=next(times))
    sign(taken_back.live_revision, reviewer=bo, decision="changes_requested", now=next(times))
    assert Publication.objects.get(article=taken_back).state == Publication.State.TAKEN_BACK
    # Revision 1 approved by Ann, revision 2 by Bo and published.
    updated = page("updated-page")
    publish(updated, ann, editor=editor, now=next(times))
    updated.refresh_from_db()
    article_update(
        article=updated, data={"title": "Updated page, new"}, expected_version=updated.version,
        user=editor,
    )
    publish(updated, bo, editor=editor, now=next(times))

    assert reviewer_page_slugs(client, ann) == {"anns-page"}
    assert reviewer_page_slugs(client, bo) == {"bos-page", "re-reviewed-page", "updated-page"}


# --- 5. The report-a-problem rate limit -----------------------------------------------------

# Headers a client can set to claim another address; none of them may make a new sender.
SPOOFED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_CLIENT_IP")
POSTS = 12


def _report_statuses(client, articles, *, remote_addr, spoof: bool) -> list[int]:
    """POST `POSTS` reports from one connection address, round-robin over `articles`."""
    statuses = []
    for number in range(POSTS):
        headers = {"REMOTE_ADDR": remote_addr}
        if spoof:
            fake = f"203.0.113.{number + 1}"
            headers.update(dict.fromkeys(SPOOFED, fake))
            headers["HTTP_FORWARDED"] = f"for={fake}"
        article = articles[number % len(articles)]
        response = client.post(
            reverse("articles:report_problem", args=[article.slug]),
            {"message": f"Report {number}"},
            **headers,
        )
        statuses.append(response.status_code)
    return statuses


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_report_limit(client):
    # Six pages, two posts each per run: a cap per page (if any) cannot be what stops a run.
    articles = [ArticleFactory(live=True) for _ in range(6)]

    # The clock stands still while posting, so no run straddles the end of a rate window.
    with time_machine.travel(timezone.now(), tick=False):
        honest = _report_statuses(client, articles, remote_addr="198.51.100.7", spoof=False)
    accepted = honest.count(302)
    assert 0 < accepted < POSTS, honest  # one address is limited, after some reports
    assert set(honest[accepted:]) == {429}, honest
    assert ProblemReport.objects.count() == accepted

    # A fresh window (as an hour later), and the same connection claiming a new address in
    # every header each time: it is still one sender, stopped at the same count.
    for cache in caches.all():
        cache.clear()
    with time_machine.travel(timezone.now(), tick=False):
        spoofed = _report_statuses(client, articles, remote_addr="198.51.100.8", spoof=True)
    assert spoofed == honest
    assert ProblemReport.objects.count() == 2 * accepted


@pytest.mark.django_db
def test_the_review_history_leaves_out_an_approval_the_site_never_signed(client):
    # A row written with database access, claiming the right hash, signed with another key.
    article = ArticleFactory(title="History page", live=True)
    genuine = SignOff.objects.get(revision=article.live_revision)
    forged = forge_signoff(after=genuine, revision=article.live_revision)
    assert forged.content_hash == article.live_revision.content_hash
    assert history_signoff_ids(client, article.slug) == {genuine.pk}
