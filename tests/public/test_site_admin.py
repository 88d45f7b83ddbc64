"""The corrections queue, correction notes and site pages in the admin."""

import pytest
from django.urls import reverse

from articles.models import CorrectionNote, ProblemReport, SitePage
from articles.public.models import EDITORIAL_POLICY_SLUG
from tests.factories.articles import ArticleFactory
from tests.factories.reviews import AdminUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminUserFactory())
    return client


def test_the_corrections_queue_lists_reports_newest_first_filters_and_changes_status(
    admin_client,
):
    article = ArticleFactory(live=True)
    older = ProblemReport.objects.create(article=article, message="Older report")
    newer = ProblemReport.objects.create(article=article, message="Newer report")
    url = reverse("admin:articles_problemreport_changelist")

    def listed(**query):
        """The reports the change list's result rows show, in their order."""
        response = admin_client.get(url, query)
        assert response.status_code == 200
        return [report.message for report in response.context["cl"].result_list]

    assert listed() == ["Newer report", "Older report"]
    response = admin_client.post(
        url, {"action": "mark_triaged", "_selected_action": [older.pk]}, follow=True
    )
    assert response.status_code == 200
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == "triaged" and newer.status == "new"
    assert listed(status__exact="triaged") == ["Older report"]
    assert listed(status__exact="new") == ["Newer report"]
    # Readers' words are read-only; editors write notes.
    change = admin_client.get(reverse("admin:articles_problemreport_change", args=[older.pk]))
    assert 'name="editor_notes"' in change.content.decode()
    assert 'name="message"' not in change.content.decode()


def test_the_editorial_policy_is_edited_with_the_rich_text_widget_and_sanitised(
    admin_client, editorial_policy_page
):
    page = SitePage.objects.get(slug=EDITORIAL_POLICY_SLUG)
    url = reverse("admin:articles_sitepage_change", args=[page.pk])
    assert "django-ckeditor-widget" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"title": "Our policy", "body": '<p onclick="x()">New text</p><script>x</script>'}
    )
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Our policy" and page.slug == EDITORIAL_POLICY_SLUG
    assert page.body == "<p>New text</p>"


def test_a_correction_note_added_in_the_admin_shows_on_the_review_history(admin_client, client):
    article = ArticleFactory(live=True)
    response = admin_client.post(
        reverse("admin:articles_correctionnote_add"),
        {"article": article.pk, "text": "We fixed a unit.", "published_at_0": "2026-01-02",
         "published_at_1": "10:00:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CorrectionNote.objects.get().text == "We fixed a unit."
    history = admin_client.get(reverse("articles:history", args=[article.slug]))
    assert "We fixed a unit." in history.content.decode()
