"""The demo site (`manage.py loaddemo`, run by `make run`): every state, real sign-offs."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings

from articles.models import Article
from reviews.models import SignOff

pytestmark = pytest.mark.django_db

EXPECTED_STATUS = {
    "what-is-chronic-pain": ("published", "current"),
    "multimodal-care-for-chronic-pain": ("published", "due-soon"),
    "ketamine-for-chronic-pain-evidence": ("in_review", "current"),
    "pain-treatment-myths-and-hype": ("published", "overdue"),
    "ketamine-infusion-what-to-expect": ("changes_requested", None),
    "chronic-pain-and-depression": ("in_review", None),
    "pacing-activity-with-chronic-pain": ("draft", None),
    "ketamine-for-depression-in-figures": ("published", "current"),
    "our-ketamine-infusion-course-step-by-step": ("published", "current"),
}


@pytest.fixture
def demo(settings):
    settings.REVIEW_INTERVAL_DAYS = 365
    settings.REVIEW_DUE_SOON_DAYS = 30
    with override_settings(DEBUG=True):  # the demo loads in development only
        call_command("loaddemo", stdout=io.StringIO())


def test_the_demo_covers_every_state_and_the_public_sees_only_approved_pages(demo, client):
    statuses = dict(Article.objects.with_status().values_list("slug", "status"))
    for slug, (status, review_status) in EXPECTED_STATUS.items():
        assert statuses[slug] == status, slug
        response = client.get(f"/articles/{slug}/")
        if review_status is None:
            assert response.status_code == 404, slug
            continue
        assert response.status_code == 200, slug
        match = re.search(r'class="review-stamp" data-review-status="([^"]*)"', response.text)
        assert match and match.group(1) == review_status, slug


def test_the_overdue_demo_article_shows_the_overdue_notice(demo, client):
    response = client.get("/articles/pain-treatment-myths-and-hype/")
    assert "Review overdue." in response.text


def test_the_edited_draft_is_not_public_until_signed(demo, client):
    """The published-with-draft article shows its approved text, not the edit awaiting review."""
    article = Article.objects.get(slug="ketamine-for-chronic-pain-evidence")
    assert article.revisions.count() == 2
    assert article.live_revision.number == 1
    assert "70%" in article.body
    assert "70%" not in client.get(article.get_absolute_url()).text


def test_demo_stamps_are_real_signatures_and_loading_twice_is_safe(demo):
    signoffs = SignOff.objects.count()
    assert signoffs == 7  # six approvals of published pages, one request for changes
    with override_settings(DEBUG=True):  # the demo loads in development only
        call_command("loaddemo", stdout=io.StringIO())
    assert SignOff.objects.count() == signoffs
    assert Article.objects.count() == len(EXPECTED_STATUS)


def test_json_ld_review_equals_the_visible_stamp_on_every_demo_article(demo, client):
    """Issue 6, acceptance 2: over all live demo articles, JSON-LD and stamp agree."""
    from django.conf import settings

    from tests.public.test_structured_data import _stamp_instant, graph_of, visible_stamp

    checked = 0
    for article in Article.objects.live():
        html = client.get(article.get_absolute_url()).text
        page = graph_of(html)["MedicalWebPage"]
        stamp = visible_stamp(html)
        reviewed_by = page["reviewedBy"]
        assert f'{reviewed_by["name"]}, {reviewed_by["honorificSuffix"]}' == stamp["name"]
        assert reviewed_by["url"] == settings.SITE_URL + stamp["href"]
        assert page["lastReviewed"] == _stamp_instant(stamp["signed"]).date().isoformat()
        checked += 1
    assert checked == 6


def test_the_demo_is_refused_with_debug_off(db):
    """Demo logins have printed passwords and backdated signatures: never in production."""
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="only when DJANGO_DEBUG is on"):
        call_command("loaddemo", stdout=io.StringIO())
    assert not Article.objects.exists()


def test_the_magazine_and_clinic_demo_pages_show_figures_blocks_and_their_own_disclaimer(
    demo, client
):
    """Issue 13, part 10: drawn, credited figures, a key facts box, callouts, numbered steps."""
    magazine = client.get("/articles/ketamine-for-depression-in-figures/").text
    assert magazine.count("<figure") == 2
    assert "Drawn for this site from Murrough et al. 2013" in magazine
    assert 'aria-label="Key facts"' in magazine
    assert 'class="callout callout-urgent"' in magazine
    clinic = client.get("/articles/our-ketamine-infusion-course-step-by-step/").text
    assert '<ol class="steps">' in clinic
    assert "0.5 mg per kg of body weight" in clinic
    assert "This page describes the course at our clinic." in clinic
    article = Article.objects.get(slug="our-ketamine-infusion-course-step-by-step")
    assert article.live_revision.snapshot["disclaimer"].startswith("This page describes")


def test_the_demo_stamps_print_the_reviewers_title_from_the_signature(demo, client):
    """The demo's physicians hold the honorific "Dr." on their profiles, not in their names."""
    from tests.public.test_structured_data import visible_stamp

    html = client.get("/articles/what-is-chronic-pain/").text
    assert visible_stamp(html)["name"] == "Dr. Jane Roe, MD"
