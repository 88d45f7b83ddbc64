"""
Readers told at once when a source is retracted or put under an expression of concern
(issue 11): the notice beside the stamp ("under review") and on the reference, a review request
opened by the site, flags only a physician's new approval clears, and no alert lost when a
refresh fails halfway.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, Publication
from references.models import Citation
from references.pubmed import PubmedRecord
from references.services import citations_refresh
from reviews.models import ReviewRequest
from tests.articles.conftest import FakePubMed
from tests.factories.articles import ArticleFactory, CitationFactory
from tests.public.conftest import approve, publish

pytestmark = pytest.mark.django_db


def page_citing(pmid: str, title: str) -> Article:
    CitationFactory(pmid=pmid, doi=f"10.5555/{pmid}") if not Citation.objects.filter(
        pmid=pmid
    ).exists() else None
    article = ArticleFactory(title=title, body=f"<p>A careful claim [PMID:{pmid}].</p>")
    publish(article)
    article.refresh_from_db()
    return article


def noticed(pmid: str, status: str, *, notice_pmid: str = "", date: str = "2021-03-05"):
    return PubmedRecord(
        pmid=pmid,
        title=f"Paper {pmid}",
        retraction_status=status,
        retracted=status != "expression_of_concern",
        retraction_notice_pmid=notice_pmid,
        retraction_date=date,
    )


class CrashOnSecondBatch(FakePubMed):
    def fetch(self, pmids):
        if self.calls:
            raise RuntimeError("the worker was killed")
        return super().fetch(pmids)


def stamp_status(client, article) -> str:
    html = client.get(article.get_absolute_url()).content.decode()
    return re.search(r'class="review-stamp" data-review-status="([^"]*)"', html).group(1)


def test_a_retraction_puts_the_notice_beside_the_stamp_and_on_the_reference(client):
    article = page_citing("1000001", "Citing page")
    assert stamp_status(client, article) == "current"
    citations_refresh(
        client=FakePubMed({"1000001": noticed("1000001", "retracted", notice_pmid="2000002")}),
        now=timezone.now(),
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert stamp_status(client, article) == "under-review"
    assert "Under review." in html and "Medically reviewed by" in html
    assert "Reference 1</a>: This source was retracted on 5 March 2021." in html
    assert re.search(
        r'data-source-notice="1000001">This source was retracted on 5 March 2021\. '
        r"Our physicians are reviewing this page\.",
        html,
    )
    article.refresh_from_db()
    assert article.needs_review and "PMID 1000001" in article.needs_review_reason
    request = ReviewRequest.objects.get(revision=article.live_revision, state="open")
    assert request.submitted_by is None and "retracted" in request.note


@pytest.mark.parametrize(
    ("status", "text"),
    [
        ("partial_retraction", "This source was retracted in part on 5 March 2021."),
        (
            "retracted_and_republished",
            "This source was retracted and replaced by a corrected version on 5 March 2021.",
        ),
        (
            "expression_of_concern",
            "The journal published an expression of concern about this source on 5 March 2021.",
        ),
    ],
)
def test_every_kind_of_notice_reaches_the_reader(client, status, text):
    article = page_citing("1000001", "Citing page")
    citations_refresh(
        client=FakePubMed({"1000001": noticed("1000001", status)}), now=timezone.now()
    )
    assert text in client.get(article.get_absolute_url()).content.decode()
    assert stamp_status(client, article) == "under-review"


def test_no_alert_is_lost_when_a_later_batch_crashes_and_a_rerun_finishes_the_job(client):
    first = page_citing("1000001", "First page")
    second = page_citing("1000002", "Second page")
    crashing = CrashOnSecondBatch(
        {
            "1000001": noticed("1000001", "retracted"),
            "1000002": noticed("1000002", "expression_of_concern"),
        }
    )
    with pytest.raises(RuntimeError, match="killed"):
        citations_refresh(client=crashing, now=timezone.now(), batch_size=1)
    # The first batch committed with its alerts; the second did not happen at all.
    assert Citation.objects.get(pmid="1000001").retraction_status == "retracted"
    assert Article.objects.get(pk=first.pk).needs_review
    assert stamp_status(client, first) == "under-review"
    assert Citation.objects.get(pmid="1000002").retraction_status == ""
    assert stamp_status(client, second) == "current"

    working = FakePubMed(
        {
            "1000001": noticed("1000001", "retracted"),
            "1000002": noticed("1000002", "expression_of_concern"),
        }
    )
    result = citations_refresh(client=working, now=timezone.now(), batch_size=1)
    # The batch that failed is retried first, and finished.
    assert working.calls[0] == ["1000002"]
    assert [c.pmid for c in result.new_notices] == ["1000002"]
    assert stamp_status(client, second) == "under-review"
    assert ReviewRequest.objects.filter(state="open").count() == 2


def test_a_notice_is_never_downgraded_by_a_silent_source(client):
    article = page_citing("1000001", "Citing page")
    retracted = FakePubMed({"1000001": noticed("1000001", "retracted")})
    citations_refresh(client=retracted, now=timezone.now())
    silent = FakePubMed({"1000001": PubmedRecord(pmid="1000001", title="Paper 1000001")})
    citations_refresh(client=silent, now=timezone.now())
    assert Citation.objects.get(pmid="1000001").retraction_status == "retracted"
    assert stamp_status(client, article) == "under-review"


def test_only_a_physicians_later_approval_clears_the_notice(client):
    article = page_citing("1000001", "Citing page")
    concern = FakePubMed({"1000001": noticed("1000001", "expression_of_concern")})
    citations_refresh(client=concern, now=timezone.now())
    assert stamp_status(client, article) == "under-review"
    # An editor can neither untick the flag nor change the record: a later refresh keeps it.
    Article.objects.filter(pk=article.pk).update(needs_review=False)
    call_command("refresh_citations", "--no-crossref", stdout=io.StringIO(), stderr=io.StringIO())
    assert stamp_status(client, article) == "under-review"
    # A physician re-reviews the page, aware of the concern: the notice goes.
    approve(article.live_revision)
    assert stamp_status(client, article) == "current"
    assert Publication.objects.get(article=article).source_alerts == []


def test_a_sealed_notice_cannot_be_removed_in_sql(client):
    article = page_citing("1000001", "Citing page")
    citations_refresh(
        client=FakePubMed({"1000001": noticed("1000001", "retracted")}), now=timezone.now()
    )
    Publication.objects.filter(article=article).update(source_alerts=[])
    # The seal no longer holds: the reader gets "under review", never the page without its
    # notice, and the record is re-derived from the citations, notice and all.
    assert client.get(article.get_absolute_url()).status_code == 503
    assert Publication.objects.get(article=article).source_alerts != []
    assert stamp_status(client, article) == "under-review"


@pytest.fixture
def demo(settings):
    with override_settings(DEBUG=True):
        call_command("loaddemo", stdout=io.StringIO())


def test_importing_a_retraction_of_a_cited_demo_paper_tells_every_citing_live_page(
    demo, client, tmp_path
):
    live = Article.objects.exclude(live_revision=None)
    cited = {}
    for article in live:
        for citation in article.live_revision.snapshot.get("citations", []):
            cited.setdefault(citation["pmid"], []).append(article)
    pmid, citing = max(cited.items(), key=lambda item: len(item[1]))
    citation = Citation.objects.get(pmid=pmid)
    record = (
        '<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>'
        f'<PMID Version="1">{pmid}</PMID><Article><Journal><JournalIssue><PubDate><Year>'
        f"{citation.year or 2019}</Year></PubDate></JournalIssue><Title>{citation.journal_title}"
        f"</Title></Journal><ArticleTitle>{citation.title}</ArticleTitle><PublicationTypeList>"
        "<PublicationType>Journal Article</PublicationType><PublicationType>Retracted "
        "Publication</PublicationType></PublicationTypeList></Article><CommentsCorrectionsList>"
        '<CommentsCorrections RefType="RetractionIn"><RefSource>J Tests. 2026 Nov 2;1:1'
        '</RefSource><PMID Version="1">39999999</PMID></CommentsCorrections>'
        "</CommentsCorrectionsList></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    path = tmp_path / "retraction.xml"
    path.write_text(record, encoding="utf-8")

    call_command("import_citations", "--file", str(path), "--no-progress", stdout=io.StringIO())

    for article in citing:
        html = client.get(article.get_absolute_url()).content.decode()
        assert "This source was retracted on 2 November 2026." in html, article.slug
        assert f'data-source-notice="{pmid}"' in html
        article.refresh_from_db()
        assert article.needs_review
        assert ReviewRequest.objects.filter(revision__article=article, state="open").exists(), (
            article.slug
        )


def test_the_review_screen_names_the_notice_and_its_source_on_the_reference(client):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.factories.reviews import ReviewerProfileFactory

    call_command("setup_site", stdout=io.StringIO())
    article = page_citing("1000001", "Citing page")
    citations_refresh(
        client=FakePubMed({"1000001": noticed("1000001", "expression_of_concern")}),
        now=timezone.now(),
    )
    reviewer = ReviewerProfileFactory(user__is_staff=True)
    reviewer.user.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer.user)
    url = reverse("admin:articles_article_review", args=[article.live_revision_id])
    html = client.get(url).content.decode()
    assert (
        "The journal published an expression of concern about this source on 5 March 2021. "
        "(reported by PubMed)" in html
    )
    assert "Sent for review by the site" in html


def test_a_retraction_of_a_paper_cited_by_doi_only_reaches_its_reference(client):
    """A Crossref-only source (no PMID) is matched to its reference number by its DOI."""
    import copy
    import json

    from references.services import OFFLINE, citations_ensure_dois
    from tests.references.test_cite_by_doi import DOI, WORK, crossref, ok

    lookup, _ = crossref(ok())
    citations_ensure_dois(dois=[DOI], client=lookup)
    CitationFactory(pmid="1000001")
    article = ArticleFactory(title="Cites two", body=f"<p>One [PMID:1000001]. Two [DOI:{DOI}].</p>")
    publish(article)
    retracted = copy.deepcopy(json.loads(WORK))
    retracted["message"]["updated-by"].append(
        {
            "updated": {"date-parts": [[2019, 5, 2]]},
            "DOI": "10.5555/jspr.2019.retraction",
            "type": "retraction",
            "source": "publisher",
            "label": "Retraction",
        }
    )
    refresh, _ = crossref(ok(json.dumps(retracted).encode()))
    citations_refresh(client=OFFLINE, now=timezone.now(), crossref=refresh)
    html = client.get(article.get_absolute_url()).content.decode()
    assert stamp_status(client, article) == "under-review"
    assert "Reference 2</a>: This source was retracted on 2 May 2019." in html
    article.refresh_from_db()
    assert f"Reference 2 (DOI {DOI})" in article.needs_review_reason
