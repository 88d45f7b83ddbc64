"""
A page citing a PubMed record, a paper by DOI and a web page (issue 13, parts 6 and 7): one
reference list numbered in order of first appearance, whatever the kind of marker, built from
the signed snapshot; Crossref asked before any transaction, never inside one.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from articles.content.services import article_citations_ensure, revision_create
from references.crossref import CrossrefClient
from references.models import Citation
from references.services import OFFLINE, in_transaction
from references.transport import TransportResponse
from tests.factories.articles import ArticleFactory, CitationFactory, StaffUserFactory, make_live
from tests.html_checker import nu_check

pytestmark = pytest.mark.django_db

WORK = Path(__file__).resolve().parents[1] / "data" / "crossref" / "work-journal-article.json"
DOI = "10.5555/jspr.2017.0412"


class Recording:
    """Crossref's transport: answers each request with the recorded work, noting whether the
    request was made inside a database transaction."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, params, timeout):
        self.calls.append(in_transaction())
        return TransportResponse(200, WORK.read_bytes(), {})


def crossref_client():
    transport = Recording()
    client = CrossrefClient(
        mailto="editors@example.org", transport=transport, sleep=lambda s: None, max_retries=0
    )
    return client, transport


def web_page() -> Citation:
    citation = Citation(
        kind=Citation.Kind.WEB,
        source=Citation.Source.MANUAL,
        title="Low back pain and sciatica in over 16s: assessment and management",
        authors=[{"collective_name": "National Institute for Health and Care Excellence"}],
        publisher="NICE",
        place="London",
        year=2016,
        month="Nov",
        day=30,
        updated_on=date(2020, 12, 11),
        accessed_on=date(2026, 5, 31),
        url="https://www.nice.org.uk/guidance/ng59",
        cite_key="nice-ng59",
        evidence_label="practice_guideline",
    )
    citation.full_clean()
    citation.save()
    return citation


BODY = (
    "<p>Exercise helps [PMID:29870458].</p>"
    "<p>Graded activity too [DOI:10.5555/JSPR.2017.0412], as the guideline says "
    "[REF:nice-ng59].</p>"
    "<p>Again [PMID:29870458] and https://doi.org/10.5555/jspr.2017.0412.</p>"
)


def test_a_pmid_a_doi_and_a_web_page_are_numbered_1_2_3_in_order_of_appearance(client):
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    web_page()
    article = ArticleFactory(body=BODY)
    crossref, transport = crossref_client()
    revision = revision_create(article=article, user=StaffUserFactory(), crossref=crossref)
    assert transport.calls == [False]  # asked once, before the revision's transaction
    cited = revision.snapshot["citations"]
    assert [(c["pmid"], c["doi"], c.get("ref")) for c in cited] == [
        ("29870458", "10.1097/AAP.0000000000000808", None),
        (None, DOI, None),
        (None, None, "nice-ng59"),
    ]
    make_live(article)

    page = client.get(reverse("articles:detail", args=[article.slug])).content.decode()
    body = page[page.index('<div class="article-body">') : page.index('<ol class="references">')]
    assert re.findall(r'<a href="#ref-(\d)" id="cite-(\d-\d)">', body) == [
        ("1", "1-1"),
        ("2", "2-1"),
        ("3", "3-1"),
        ("1", "1-2"),
        ("2", "2-2"),  # the pasted doi.org link, now a marker
    ]
    references = page[
        page.index('<ol class="references">') : page.index(
            "</ol>", page.index('<ol class="references">')
        )
    ]
    items = re.findall(r'<li id="ref-(\d)">(.*?)</li>', references, re.DOTALL)
    assert [number for number, _ in items] == ["1", "2", "3"]
    assert "PMID: 29870458." in items[0][1]
    assert (
        "Synthetic Pain Trials Network. Graded activity for chronic low back pain: a synthetic "
        "multicentre trial. J Synth Pain Res. 2017 Apr 1;12(4):1021-9. "
        "doi: 10.5555/jspr.2017.0412." in items[1][1]
    )
    # The work found by DOI links to its DOI once, with no second "Source" link to the same.
    assert items[1][1].count('href="https://doi.org/10.5555/jspr.2017.0412"') == 1
    assert ">Source</a>" not in items[1][1]
    assert (
        "[Internet]. London: NICE; 2016 Nov 30 [updated 2020 Dec 11; cited 2026 May 31]. "
        "Available from: https://www.nice.org.uk/guidance/ng59" in items[2][1]
    )
    assert (
        'href="https://www.nice.org.uk/guidance/ng59" rel="noopener noreferrer">Source</a>'
        in (items[2][1])
    )
    assert nu_check({"page": page}) == {"page": []}


def test_inside_a_transaction_an_unknown_doi_is_refused_without_asking_crossref():
    crossref, transport = crossref_client()
    with transaction.atomic(), pytest.raises(ValidationError) as caught:
        article_citations_ensure(
            body=BODY.replace("[PMID:29870458]", ""), client=OFFLINE, crossref=crossref
        )
    assert transport.calls == []
    assert caught.value.messages == [
        "Crossref could not be reached to look up DOI 10.5555/JSPR.2017.0412. Nothing was "
        "saved: try again later, or remove the new DOI markers and add them when Crossref is "
        "back."
    ]
    assert not Citation.objects.exists()


def test_a_marker_name_no_source_has_stops_the_revision_with_its_name():
    article = ArticleFactory(body="<p>As the guideline says [REF:who-pain-ladder].</p>")
    with pytest.raises(ValidationError, match="No source has the marker name who-pain-ladder"):
        revision_create(article=article, user=StaffUserFactory())
    assert not article.revisions.exists()


def test_a_doi_that_a_cited_pubmed_record_carries_is_one_reference():
    CitationFactory(pmid="29870458", doi="10.1097/AAP.0000000000000808")
    article = ArticleFactory(body="<p>A [DOI:10.1097/aap.0000000000000808] b [PMID:29870458].</p>")
    revision = revision_create(article=article, user=StaffUserFactory())
    assert [c["pmid"] for c in revision.snapshot["citations"]] == ["29870458"]
