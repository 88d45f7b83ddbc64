"""Fixtures for the references tests: recorded NCBI data and a fake PubMed transport."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from references.pubmed import PubMedClient, TransportResponse

DATA = Path(__file__).resolve().parent.parent / "data" / "pubmed"
DEMO_XML = Path(__file__).resolve().parents[2] / "references" / "data" / "demo_citations.xml"


def read(name: str) -> bytes:
    """The bytes of a recorded NCBI file in tests/data/pubmed."""
    return (DATA / name).read_bytes()


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeTransport:
    """Replays scripted responses (bytes, (status, bytes) or an exception) and logs requests."""

    def __init__(
        self, clock: FakeClock, responses=None, *, by_pmid: Mapping[str, bytes] | None = None
    ):
        self.clock = clock
        self.responses = list(responses or [])
        self.by_pmid = dict(by_pmid or {})
        self.calls: list[dict] = []

    def __call__(self, url: str, params: Mapping[str, str], timeout: float) -> TransportResponse:
        self.calls.append(
            {"url": url, "params": dict(params), "timeout": timeout, "at": self.clock()}
        )
        if self.responses:
            item = self.responses.pop(0)
        else:
            item = efetch_set(
                self.by_pmid[pmid] for pmid in params["id"].split(",") if pmid in self.by_pmid
            )
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, tuple):
            status, body, *headers = item
            return TransportResponse(status, body, headers[0] if headers else {})
        return TransportResponse(200, item, {})


def article_xml(
    pmid: str,
    *,
    title: str = "A synthetic test article.",
    publication_types: tuple[str, ...] = ("Journal Article",),
    retraction_in: str | None = None,
) -> bytes:
    """A minimal synthetic <PubmedArticle> (test-only data, not from NCBI)."""
    types = "".join(f"<PublicationType>{value}</PublicationType>" for value in publication_types)
    comments = (
        '<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        f'<RefSource>Test J. 2024</RefSource><PMID Version="1">{retraction_in}</PMID>'
        "</CommentsCorrections></CommentsCorrectionsList>"
        if retraction_in
        else ""
    )
    return (
        f'<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID>'
        "<Article><Journal><JournalIssue><Volume>1</Volume><Issue>2</Issue>"
        "<PubDate><Year>2020</Year><Month>Jan</Month></PubDate></JournalIssue>"
        "<Title>Journal of tests</Title><ISOAbbreviation>J Tests</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle><Pagination><MedlinePgn>10-19</MedlinePgn></Pagination>"
        "<AuthorList><Author><LastName>Tester</LastName><ForeName>Tina</ForeName>"
        f"<Initials>T</Initials></Author></AuthorList><PublicationTypeList>{types}"
        f"</PublicationTypeList></Article>{comments}</MedlineCitation></PubmedArticle>"
    ).encode()


def efetch_set(articles) -> bytes:
    """Wrap <PubmedArticle> elements in a <PubmedArticleSet>."""
    return b'<?xml version="1.0"?><PubmedArticleSet>' + b"".join(articles) + b"</PubmedArticleSet>"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock):
    """Build a PubMedClient on a FakeTransport; returns (client, transport)."""

    def factory(responses=None, *, by_pmid=None, api_key=None, **kwargs):
        transport = FakeTransport(clock, responses, by_pmid=by_pmid)
        client = PubMedClient(
            tool="healthpages-tests",
            email="tests@example.invalid",
            api_key=api_key,
            timeout=5,
            transport=transport,
            clock=clock,
            sleep=clock.sleep,
            **kwargs,
        )
        return client, transport

    return factory
