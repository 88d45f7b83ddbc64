"""The public pages around articles: bylines, review history, reviewers, policy, reading time."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import dateformat, timezone

from articles.content.services import article_update, revision_create
from articles.models import CorrectionNote, SitePage
from articles.public.models import EDITORIAL_POLICY_SLUG
from articles.publishing.reading_time import reading_minutes, snapshot_words
from tests.factories.articles import (
    ArticleFactory,
    ContributorFactory,
    EditorFactory,
    StaffUserFactory,
    TopicFactory,
    make_live,
)
from tests.factories.reviews import ReviewerProfileFactory
from tests.public.conftest import approve, publish

pytestmark = pytest.mark.django_db


def test_the_article_page_reads_in_order_with_both_bylines_and_the_reading_time(client):
    reviewer = ReviewerProfileFactory(printed_name="Rosa Diaz", credentials="MD")
    author = ContributorFactory(name="Dana Writer", credentials="MPH")
    words = " ".join(["word"] * 450)
    article = ArticleFactory(
        title="Living with pain", authors=[author], topics=[TopicFactory(name="Pain")],
        body=f"<p>{words}</p>", faq=1,
    )
    make_live(article, reviewer=reviewer)
    page = client.get(article.get_absolute_url()).content.decode()
    order = [
        'aria-label="Breadcrumb"', "Pain</a>", "<h1>Living with pain</h1>", "Written by",
        f'href="{author.get_absolute_url()}">Dana Writer, MPH</a>', "Medically reviewed by",
        f'href="{reviewer.get_absolute_url()}">Rosa Diaz, MD</a>', "<time datetime=",
        "3 min read", "Key takeaways", "<details>", "not a substitute for advice",
        'class="review-stamp"', "Review history of this page",
        "Report a problem with this page",
    ]
    position = page.find("<main")
    assert position >= 0
    for marker in order:
        position = page.find(marker, position)
        assert position >= 0, f"{marker!r} is missing, or comes before the marker above it"


def test_reading_time_counts_the_snapshot_words_at_200_a_minute_and_not_the_markup():
    snapshot = {
        "title": "Two words",
        "standfirst": "",
        "body": '<p class="x">one <a href="https://example.org/">two</a> [PMID:123]</p>',
        "takeaways": ["three four"],
        "faq": [{"question": "five?", "answer": "<p>six</p>"}],
        "comparisons": [{"term": "seven", "explanation": "eight nine"}],
    }
    assert snapshot_words(snapshot) == 11
    assert reading_minutes(snapshot) == 1
    assert reading_minutes({"body": "<p>" + "w " * 401 + "</p>"}) == 3


def test_review_history_lists_every_approval_the_updates_and_correction_notes(client):
    first = ReviewerProfileFactory(printed_name="Ann First", credentials="MD")
    second = ReviewerProfileFactory(printed_name="Bo Second", credentials="DO")
    article = ArticleFactory(title="History page")
    editor = EditorFactory()
    publish(article, first, editor=editor)
    rereview = approve(article.live_revision, second)
    article_update(
        article=article,
        data={"title": "History page, updated"},
        expected_version=article.version,
        user=editor,
    )
    publish(article, first, editor=editor)
    CorrectionNote.objects.create(article=article, text="We corrected a dose.")

    response = client.get(reverse("articles:history", args=[article.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("approved by") == 3
    assert f'id="signoff-{rereview.pk}"' in page
    assert f'href="{second.get_absolute_url()}">Bo Second, DO</a>' in page
    assert "Medical review: accurate and appropriate for publication." in page
    assert "revision 2 published (the current version)" in page
    assert "revision 1 published" in page
    assert "We corrected a dose." in page
    assert "History page, updated" in page


def test_review_history_of_a_draft_only_article_is_404(client):
    article = ArticleFactory()
    revision_create(article=article, user=StaffUserFactory())
    assert client.get(reverse("articles:history", args=[article.slug])).status_code == 404


def test_a_reviewer_profile_shows_credentials_verification_and_the_live_pages_reviewed(client):
    reviewer = ReviewerProfileFactory(
        printed_name="Rosa Diaz", credentials="MD", specialty="Anaesthesiology",
        licensing_body="Medical Board of California", bio="Pain physician.",
    )
    reviewed = ArticleFactory(title="Reviewed by Rosa")
    make_live(reviewed, reviewer=reviewer)
    draft = ArticleFactory(title="Draft only page")
    approve(revision_create(article=draft, user=StaffUserFactory()), reviewer)
    page = client.get(reviewer.get_absolute_url()).content.decode()
    for text in ("Rosa Diaz", "MD", "Anaesthesiology", "Medical Board of California",
                 "Pain physician.", "Credentials verified on", "licence checked with",
                 "Reviewed by Rosa"):
        assert text in page
    assert "Draft only page" not in page


def test_an_unverified_reviewer_has_no_public_profile_and_is_not_on_the_board(client):
    hidden = ReviewerProfileFactory(unverified=True, printed_name="Not Yet Verified")
    shown = ReviewerProfileFactory(printed_name="Verified Person", credentials="DO")
    assert client.get(hidden.get_absolute_url()).status_code == 404
    board = client.get(reverse("articles:review_board")).content.decode()
    assert "Verified Person, DO" in board and shown.get_absolute_url() in board
    assert "Not Yet Verified" not in board


def test_the_editorial_policy_is_seeded_and_admins_can_change_it_without_a_deploy(
    client, editorial_policy_page
):
    url = reverse("articles:editorial_policy")
    page = client.get(url).content.decode()
    for heading in ("How medical review works", "Review intervals", "Corrections",
                    "Conflicts of interest", "Funding and advertising"):
        assert heading in page
    policy = SitePage.objects.get(slug=EDITORIAL_POLICY_SLUG)
    policy.body = '<h2>New rules</h2><p>Changed.</p><script>alert(1)</script>'
    policy.save()
    page = client.get(url).content.decode()
    assert "<h2>New rules</h2>" in page and "alert(1)" not in page
    SitePage.objects.all().delete()
    assert "How medical review works" in client.get(url).content.decode()


def test_the_header_and_footer_link_every_site_section(client):
    page = client.get(reverse("articles:home")).content.decode()
    for name in ("articles:review_board", "articles:editorial_policy", "articles:feed"):
        assert f'href="{reverse(name)}"' in page
    assert f'action="{reverse("articles:search")}"' in page


def test_review_dates_on_the_page_come_from_the_latest_approval(client):
    article = ArticleFactory()
    first = timezone.now() - timedelta(days=300)
    with time_machine.travel(first):
        make_live(article)
    later = approve(article.live_revision)  # a re-review today of the unchanged content
    page = client.get(article.get_absolute_url()).content.decode()

    def stamp_date(label, instant):
        stamp = dateformat.format(timezone.localtime(instant), r"Y-m-d\TH:i:sO")
        return f'<dt>{label}</dt><dd><time datetime="{stamp}">'

    assert f'href="{later.reviewer.get_absolute_url()}">{later.printed_name}' in page
    assert stamp_date("Last reviewed", later.signed_at) in page
    assert stamp_date("Next review due", later.signed_at + timedelta(days=365)) in page


def _history_of_an_article_with(updates: int):
    """A live article published `updates` times, each new revision approved, with notes."""
    editor = EditorFactory()
    article = ArticleFactory(topics=[TopicFactory() for _ in range(updates)])
    publish(article, editor=editor)
    for number in range(1, updates):
        article.refresh_from_db()
        article_update(
            article=article,
            data={"body": f"<p>Update {number}.</p>"},
            expected_version=article.version,
            user=editor,
        )
        publish(article, editor=editor)
        approve(article.live_revision)  # and a periodic re-review
        CorrectionNote.objects.create(article=article, text=f"Correction {number}.")
    return reverse("articles:history", args=[article.slug])


def test_the_review_history_page_runs_a_constant_number_of_queries(client):
    """Issue 5, acceptance 8: the history behind the stamp costs the same for 1 or 10 updates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for updates in (1, 10):
        url = _history_of_an_article_with(updates)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("Correction ") == updates - 1
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
