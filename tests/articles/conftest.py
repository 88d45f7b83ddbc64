"""Fixtures for the articles tests: a fake PubMed client; no test touches the network."""

import pytest

from references.pubmed import PubmedRecord, PubMedUnavailable


class FakePubMed:
    """Answers `fetch` from a dict of records, or raises PubMedUnavailable when `down`."""

    def __init__(self, records=None, *, down=False):
        self.records = dict(records or {})
        self.down = down
        self.calls = []

    def fetch(self, pmids):
        pmids = list(pmids)
        self.calls.append(pmids)
        if self.down:
            raise PubMedUnavailable("PubMed did not answer (fake)")
        return {pmid: self.records.get(pmid) or PubmedRecord(pmid=pmid, title=f"Paper {pmid}")
                for pmid in pmids}


@pytest.fixture
def pubmed_down(monkeypatch):
    """Every PubMed client built from settings is unreachable."""
    fake = FakePubMed(down=True)
    monkeypatch.setattr("articles.content.services.pubmed_client_from_settings", lambda **kw: fake)
    return fake


@pytest.fixture
def pubmed_up(monkeypatch):
    """Every PubMed client built from settings answers with a minimal record per PMID."""
    fake = FakePubMed()
    monkeypatch.setattr("articles.content.services.pubmed_client_from_settings", lambda **kw: fake)
    return fake


class _NoNetwork:
    def __init__(self, **options):
        pass

    def fetch(self, pmids):
        raise AssertionError(f"A test tried to reach PubMed for {list(pmids)}")


@pytest.fixture(autouse=True)
def _no_pubmed(monkeypatch):
    """Tests never reach PubMed: a client built from settings fails the test if used."""
    monkeypatch.setattr("articles.content.services.pubmed_client_from_settings", _NoNetwork)
