"""The review queue, the review screen (signing through signoff_create) and the due-reviews page."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.publishing.workflow import article_publish, article_submit_for_review
from references.models import Citation
from reviews.models import AuditEvent, SignOff
from tests.factories.articles import ArticleFactory, CitationFactory, EditorFactory
from tests.factories.reviews import PASSWORD, AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import edit_body, sign

pytestmark = pytest.mark.django_db

BODY = (
    "<p>About 40% of adults have back pain each year.</p>"
    "<p>Staying active helps [PMID:{a}]. Heat can ease it [PMID:{b}].</p>"
)
QUEUE = "admin:articles_article_review_queue"


@pytest.fixture
def roles():
    call_command("setup_site", stdout=io.StringIO())


@pytest.fixture
def reviewer(roles):
    profile = ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO", user__is_staff=True)
    profile.user.groups.add(Group.objects.get(name="Reviewers"))
    return profile


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def citations():
    return CitationFactory(pmid="29870001"), CitationFactory(pmid="29870002")


@pytest.fixture
def submitted(editor, citations):
    """An article with two cited paragraphs and one uncited percentage, sent for review."""
    article = ArticleFactory(title="Back pain", body=BODY.format(a="29870001", b="29870002"))
    request = article_submit_for_review(article=article, user=editor)
    return request.revision


def screen_url(revision):
    return reverse("admin:articles_article_review", args=[revision.pk])


def sign_post(revision, **overrides):
    """The review form as the screen posts it, vouching for `revision`'s displayed hash."""
    return {
        "content_hash": revision.content_hash,
        "decision": "approved",
        "comment": "",
        "conflict": "none",
        "conflict_of_interest": "",
        "attested": "on",
        "password": PASSWORD,
        **overrides,
    }


def test_the_queue_lists_open_requests_oldest_first_with_flags(client, reviewer, editor):
    older = ArticleFactory(title="Older page")
    newer = ArticleFactory(title="Newer page")
    article_submit_for_review(article=older, user=editor)
    article_submit_for_review(article=newer, user=editor)
    retracted = CitationFactory(pmid="29870009")
    flagged = ArticleFactory(title="Flagged page", body="<p>Old claim [PMID:29870009].</p>")
    Article.objects.filter(pk=flagged.pk).update(
        needs_review=True, needs_review_reason="A source was retracted"
    )
    article_submit_for_review(article=flagged, user=editor)
    Citation.objects.filter(pk=retracted.pk).update(retracted=True)

    client.force_login(reviewer.user)
    html = client.get(reverse(QUEUE)).content.decode()

    rows = re.findall(r'<tr class="review-queue__item">(.*?)</tr>', html, re.S)
    assert [re.search(r"page</a>", row) is not None for row in rows] == [True] * 3
    assert html.index("Older page") < html.index("Newer page") < html.index("Flagged page")
    assert "Needs review" in rows[2] and "Cites a retracted source" in rows[2]
    assert "Needs review" not in rows[0] and "retracted" not in rows[0]


def test_the_screen_shows_the_page_the_checks_and_the_references(client, reviewer, submitted):
    Citation.objects.filter(pmid="29870002").update(retracted=True)  # retracted since
    client.force_login(reviewer.user)
    response = client.get(screen_url(submitted))
    html = response.content.decode()

    assert response.status_code == 200
    # Rendered by the public template: the article element with numbered citation marks.
    rendering = re.search(r'<div class="review-rendering">(.*?)</div>\s*</section>', html, re.S)
    assert '<article class="article"' in rendering.group(1)
    assert "About 40% of adults" in rendering.group(1)
    assert "First review" in html
    assert 'data-finding-code="uncited_statistic"' in html and "40%" in html
    # The retraction is read from the database now, and blocks approval.
    assert 'data-finding-code="retracted_citation"' in html
    assert re.search(r'reference--retracted" data-pmid="29870002"', html)
    assert "Randomised controlled trial" in html  # the evidence label
    assert 'name="password"' in html and "medically accurate" in html


def test_a_reviewer_signs_and_returns_to_the_queue(client, reviewer, submitted):
    client.force_login(reviewer.user)
    response = client.post(
        screen_url(submitted), sign_post(submitted, conflict_of_interest="ignored")
    )
    assert response.status_code == 302 and response["Location"] == reverse(QUEUE)
    signoff = SignOff.objects.get()
    assert (signoff.revision_id, signoff.signer, signoff.decision) == (
        submitted.pk,
        reviewer.user,
        "approved",
    )
    assert signoff.conflict_of_interest == ""  # "none" was chosen
    queue = client.get(reverse(QUEUE)).content.decode()
    assert "Signed: approved for revision 1" in queue and "Nothing is waiting" in queue


def test_requesting_changes_needs_a_comment_and_records_the_declaration(
    client, reviewer, submitted
):
    client.force_login(reviewer.user)
    response = client.post(
        screen_url(submitted), sign_post(submitted, decision="changes_requested")
    )
    assert response.status_code == 200 and not SignOff.objects.exists()
    assert "Say what must change" in response.content.decode()

    client.post(
        screen_url(submitted),
        sign_post(
            submitted,
            decision="changes_requested",
            comment="Cite the 40% figure.",
            conflict="declare",
            conflict_of_interest="Speaker fees from a device maker.",
        ),
    )
    signoff = SignOff.objects.get()
    assert signoff.decision == "changes_requested"
    assert signoff.conflict_of_interest == "Speaker fees from a device maker."


def test_a_wrong_password_signs_nothing_and_the_refusal_is_audited(client, reviewer, submitted):
    client.force_login(reviewer.user)
    response = client.post(screen_url(submitted), sign_post(submitted, password="wrong"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not signed." in html and "The password is not correct" in html
    assert "wrong" not in re.findall(r'name="password"[^>]*>', html)[0]  # never echoed
    assert not SignOff.objects.exists()
    event = AuditEvent.objects.get(action="signature_failed")
    assert (event.actor, event.revision_id) == (reviewer.user, submitted.pk)


def test_an_editor_sees_the_screen_read_only_and_cannot_sign(client, editor, submitted):
    other_editor = EditorFactory()
    client.force_login(other_editor)
    html = client.get(screen_url(submitted)).content.decode()
    assert "About 40% of adults" in html
    assert 'name="password"' not in html and "only reviewing physicians sign" in html
    assert client.post(screen_url(submitted), sign_post(submitted)).status_code == 403
    assert not SignOff.objects.exists()


def test_a_form_rendered_for_other_content_signs_nothing(client, reviewer, submitted):
    """The physician signs what they saw: a hash that is not the revision's is refused."""
    client.force_login(reviewer.user)
    page = client.get(screen_url(submitted)).content.decode()
    assert f'name="content_hash" value="{submitted.content_hash}"' in page
    seen = "f" * 64
    response = client.post(screen_url(submitted), {**sign_post(submitted), "content_hash": seen})
    html = response.content.decode()
    assert response.status_code == 200 and "Not signed." in html
    assert "is not the content you reviewed" in html
    assert not SignOff.objects.exists()
    event = AuditEvent.objects.get(action="signature_failed")
    assert event.data["code"] == "content_changed"


def test_a_superuser_without_a_reviewer_profile_cannot_sign_here_either(client, submitted):
    admin_user = AdminUserFactory()
    client.force_login(admin_user)
    response = client.post(screen_url(submitted), sign_post(submitted))
    assert response.status_code == 200
    assert "Only a reviewing physician with a reviewer profile can sign" in (
        response.content.decode()
    )
    assert not SignOff.objects.exists()
    assert AuditEvent.objects.filter(action="signature_failed", actor=admin_user).exists()


def test_staff_without_review_rights_are_turned_away(client, submitted):
    from tests.factories.articles import StaffUserFactory

    client.force_login(StaffUserFactory())
    assert client.get(reverse(QUEUE)).status_code == 403
    assert client.get(screen_url(submitted)).status_code == 403


def test_the_diff_is_against_the_last_approved_revision(client, reviewer, editor, submitted):
    sign(submitted)
    article = submitted.article
    edit_body(article, "<p>About 40% of adults [PMID:29870001] have back pain.</p>", editor=editor)
    third = edit_body(article, "<p>Most adults [PMID:29870001] have back pain.</p>", editor=editor)
    client.force_login(reviewer.user)
    html = client.get(screen_url(third)).content.decode()
    assert "From revision 1 (approved) to revision 3" in html
    assert "<ins>" in html and "<del>" in html
    assert "First review" not in html


def test_due_reviews_lists_overdue_and_the_next_90_days(client, editor):
    now = timezone.now()
    pages = {}
    for title, days_ago in [("Overdue page", 400), ("Due soon page", 350), ("Fresh page", 1)]:
        article = ArticleFactory(title=title)
        revision = edit_body(article, f"<p>{title}.</p>", editor=editor)
        sign(revision, now=now - timedelta(days=days_ago))
        article_publish(article=article, revision=revision, user=editor)
        pages[title] = article
    client.force_login(editor)
    html = client.get(reverse("admin:articles_article_due_reviews")).content.decode()

    overdue = html[html.index('id="overdue-heading"') : html.index('id="upcoming-heading"')]
    upcoming = html[html.index('id="upcoming-heading"') :]
    assert "Overdue page" in overdue and "Due soon page" not in overdue
    assert "Due soon page" in upcoming and "Review due soon" in upcoming
    assert "Fresh page" not in html


def test_the_change_page_sends_for_review_and_publishes(client, editor, reviewer, citations):
    article = ArticleFactory(title="Back pain", body=BODY.format(a="29870001", b="29870002"))
    client.force_login(editor)
    change = reverse("admin:articles_article_change", args=[article.pk])
    page = client.get(change).content.decode()
    assert "Send for review" in page and "Publish approved revision" not in page

    client.post(reverse("admin:articles_article_submit", args=[article.pk]), {"note": "New"})
    revision = article.revisions.get()
    assert revision.review_requests.get().note == "New"

    sign(revision, reviewer=reviewer)
    page = client.get(change).content.decode()
    assert "Publish approved revision 1" in page
    client.post(
        reverse("admin:articles_article_publish", args=[article.pk]), {"revision": revision.pk}
    )
    assert Article.objects.get(pk=article.pk).live_revision == revision
    assert client.get(article.get_absolute_url()).status_code == 200

    client.post(reverse("admin:articles_article_unpublish", args=[article.pk]), {"reason": "Old"})
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_reviewer_cannot_use_the_publishing_buttons(client, reviewer, editor):
    article = ArticleFactory()
    revision = edit_body(article, "<p>Text.</p>", editor=editor)
    sign(revision)
    client.force_login(reviewer.user)
    url = reverse("admin:articles_article_publish", args=[article.pk])
    assert client.post(url, {"revision": revision.pk}).status_code == 403
    assert Article.objects.get(pk=article.pk).live_revision is None


def test_the_change_list_filters_by_review_due(client, editor):
    now = timezone.now()
    for title, days_ago in [("Overdue page", 400), ("Due soon page", 350), ("Fresh page", 1)]:
        article = ArticleFactory(title=title)
        revision = edit_body(article, f"<p>{title}.</p>", editor=editor)
        sign(revision, now=now - timedelta(days=days_ago))
        article_publish(article=article, revision=revision, user=editor)
    ArticleFactory(title="Draft page")
    client.force_login(editor)
    url = reverse("admin:articles_article_changelist")

    def titles(review):
        html = client.get(url, {"review": review}).content.decode()
        return {t for t in ("Overdue", "Due soon", "Fresh", "Draft") if f"{t} page" in html}

    assert titles("overdue") == {"Overdue"}
    assert titles("due-soon") == {"Due soon"}
    assert titles("current") == {"Fresh"}
    assert titles("never") == {"Draft"}
    page = client.get(url).content.decode()
    assert "Review overdue" in page and "Review due soon" in page


@pytest.mark.django_db
def test_the_admin_home_links_to_the_review_queue_and_due_reviews(admin_client):
    from django.urls import reverse

    page = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:articles_article_review_queue") in page
    assert reverse("admin:articles_article_due_reviews") in page


@pytest.mark.django_db
def test_a_garbled_revision_id_is_a_clear_message_not_an_error(client, editor):
    article = ArticleFactory()
    client.force_login(editor)
    url = reverse("admin:articles_article_publish", args=[article.pk])
    response = client.post(url, {"revision": "not-a-number"}, follow=True)
    assert response.status_code == 200
    assert "Choose an approved revision" in response.content.decode()
    assert Article.objects.get(pk=article.pk).live_revision is None


def test_each_finding_links_to_its_sentence_marked_in_the_rendering(client, reviewer, submitted):
    client.force_login(reviewer.user)
    html = client.get(screen_url(submitted)).content.decode()
    link = re.search(
        r'<li class="review-finding[^"]*" data-finding-code="uncited_statistic">'
        r'.*?href="#(finding-\d+)"',
        html,
        re.S,
    )
    assert link, "the uncited statistic has no link to its sentence"
    anchor = link.group(1)
    mark = re.search(
        rf'<mark class="review-highlight" id="{anchor}" tabindex="-1">([^<]*)</mark>', html
    )
    assert mark and mark.group(1).startswith("About 40% of adults")
    # The public page of the same content never carries the marks.
    preview = client.get(reverse("articles:preview", args=[submitted.pk])).content.decode()
    assert "review-highlight" not in preview and "<mark" not in preview
