"""From a reader's report, one click to a correction note or to a reply (issue 12, part 3)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from articles.public.models import CorrectionNote, ProblemReport
from tests.factories.articles import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_report_links_to_a_prefilled_correction_note_and_a_reply(admin_client):
    article = ArticleFactory(title="Back pain", live=True)
    report = ProblemReport.objects.create(
        article=article,
        revision=article.live_revision,
        message="The dose in para 2 is wrong.",
        email="reader@example.org",
    )
    page = admin_client.get(f"/admin/articles/problemreport/{report.pk}/change/").content.decode()
    links = {
        html.unescape(text): html.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    }
    note_url = links["Write a correction note for this page"]
    assert parse_qs(urlsplit(note_url).query)["article"] == [str(article.pk)]
    form = admin_client.get(note_url).content.decode()
    assert f'<option value="{article.pk}" selected>' in form
    assert "reader&#x27;s report of" in form or "reader's report of" in form

    reply = links["Reply to the reader by e-mail"]
    assert reply.startswith("mailto:reader%40example.org?subject=")
    assert "The dose in para 2 is wrong." in unquote(reply)

    admin_client.post(
        note_url.split("?")[0],
        {
            "article": article.pk,
            "text": "We corrected the dose.",
            "published_at_0": "2026-12-01",
            "published_at_1": "10:00",
        },
    )
    assert CorrectionNote.objects.get().article == article


def test_no_reply_link_without_an_address(admin_client):
    article = ArticleFactory(title="Back pain", live=True)
    report = ProblemReport.objects.create(
        article=article, revision=article.live_revision, message="Typo."
    )
    page = admin_client.get(f"/admin/articles/problemreport/{report.pk}/change/").content.decode()
    assert "Write a correction note for this page" in page
    assert "Reply to the reader" not in page
