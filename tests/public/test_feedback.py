"""'Report a problem with this page': stored, spam-proofed, size-limited, rate-limited, CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.content.services import revision_create
from articles.models import ProblemReport
from articles.public import feedback
from tests.factories.articles import ArticleFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return ArticleFactory(title="Checked page", live=True)


def _url(article):
    return reverse("articles:report_problem", args=[article.slug])


def test_the_article_page_links_to_the_form_which_has_a_labelled_honeypot(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{_url(article)}">Report a problem with this page</a>' in page
    form = client.get(_url(article)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<div class="hp-field" aria-hidden="true">' in form
    assert 'name="website"' in form and 'tabindex="-1"' in form and 'autocomplete="off"' in form


def test_a_report_is_stored_with_the_live_revision_and_a_hashed_address_then_thanked(
    client, article
):
    response = client.post(
        _url(article),
        {"message": "The dose in paragraph 2 looks wrong.", "email": "reader@example.org"},
        REMOTE_ADDR="203.0.113.9",
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("articles:report_thanks", args=[article.slug])
    assert "Your report has been sent to our editors." in response.content.decode()
    report = ProblemReport.objects.get()
    assert report.article == article and report.revision == article.live_revision
    assert report.message == "The dose in paragraph 2 looks wrong."
    assert report.email == "reader@example.org" and report.status == "new"
    assert report.ip_hash and "203.0.113.9" not in report.ip_hash
    assert len(report.ip_hash) == 64


def test_the_message_is_required_and_the_email_must_be_valid(client, article):
    response = client.post(_url(article), {"message": "", "email": "not-an-address"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert not ProblemReport.objects.exists()


def test_an_oversized_message_is_rejected_with_a_form_error(client, article):
    response = client.post(_url(article), {"message": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert not ProblemReport.objects.exists()
    assert client.post(_url(article), {"message": "x" * 2000}).status_code == 302


def test_an_oversized_request_body_is_refused_with_413_before_it_is_read(client, article):
    response = client.post(_url(article), {"message": "x" * (feedback.MAX_BODY_BYTES + 1)})
    assert response.status_code == 413
    assert not ProblemReport.objects.exists()


def test_a_filled_honeypot_is_thanked_but_nothing_is_stored(client, article):
    response = client.post(
        _url(article), {"message": "Buy cheap pills", "website": "https://spam.example"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("articles:report_thanks", args=[article.slug])
    assert not ProblemReport.objects.exists()


def test_each_address_may_send_five_reports_an_hour(client, article):
    for number in range(feedback.RATE_LIMIT):
        response = client.post(_url(article), {"message": f"Report {number}"},
                               REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302
    refused = client.post(_url(article), {"message": "One more"}, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert ProblemReport.objects.count() == feedback.RATE_LIMIT
    other = client.post(_url(article), {"message": "Someone else"}, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 302


def test_reports_need_a_csrf_token(article):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url(article), {"message": "No token"}).status_code == 403
    assert not ProblemReport.objects.exists()


def test_no_reports_on_pages_that_are_not_live(client):
    draft = ArticleFactory()
    revision_create(article=draft, user=StaffUserFactory())
    assert client.post(_url(draft), {"message": "Hello"}).status_code == 404
    assert not ProblemReport.objects.exists()


def test_one_page_takes_at_most_its_hourly_cap_of_reports_from_everyone(
    client, article, settings
):
    settings.PROBLEM_REPORTS_PER_ARTICLE_HOUR = 8
    answers = [
        client.post(_url(article), {"message": f"Report {n}"}, REMOTE_ADDR=f"192.0.2.{n}")
        for n in range(1, 13)
    ]
    assert [a.status_code for a in answers] == [302] * 8 + [429] * 4
    assert "This page has had many reports in the last hour" in answers[-1].content.decode()
    assert ProblemReport.objects.count() == 8
    other = ArticleFactory(title="Another page", live=True)
    accepted = client.post(_url(other), {"message": "Fine"}, REMOTE_ADDR="192.0.2.99")
    assert accepted.status_code == 302


def test_control_characters_are_dropped_from_a_report(client, article):
    response = client.post(_url(article), {"message": "Broken\x1b[31m table\x07 here"})
    assert response.status_code == 302
    assert ProblemReport.objects.get().message == "Broken[31m table here"


def test_a_nul_byte_in_a_report_is_refused_with_a_message(client, article):
    response = client.post(_url(article), {"message": "Bad\x00input"})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not ProblemReport.objects.exists()
