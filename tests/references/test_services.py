"""Citation services with a fake PubMed client: ensure, import, refresh, settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from references.models import Citation
from references.parsers import parse_efetch_xml, parse_medline
from references.pubmed import PubMedClient
from references.services import (
    CitationsNotFound,
    CitationsUnavailable,
    citation_create_from_pmid,
    citation_save_manual,
    citations_ensure,
    citations_import_records,
    citations_refresh,
    pubmed_client_from_settings,
)
from tests.factories.references import CitationFactory, ManualCitationFactory
from tests.references.conftest import DEMO_XML, article_xml, efetch_set, read

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DEMO_BY_PMID = {record.pmid: record for record in parse_efetch_xml(DEMO_XML)}


def demo_body(*pmids: str) -> bytes:
    """An EFetch response for demo PMIDs, rebuilt from the demo file's records."""
    text = DEMO_XML.read_text()
    articles = text.split("<PubmedArticle>")[1:]
    chosen = [
        ("<PubmedArticle>" + part.split("</PubmedArticleSet>")[0]).encode()
        for part in articles
        if any(f">{pmid}</PMID>" in part for pmid in pmids)
    ]
    return efetch_set(chosen)


def test_ensure_fetches_unknown_pmids_in_one_batch_and_stores_them(make_client):
    client, transport = make_client([demo_body("29870458", "23982301")])
    found = citations_ensure(pmids=["29870458", "23982301"], client=client, now=NOW)
    assert list(found) == ["29870458", "23982301"]
    assert len(transport.calls) == 1
    assert transport.calls[0]["params"]["id"] == "29870458,23982301"
    guideline = Citation.objects.get(pmid="29870458")
    assert guideline.evidence_label == "practice_guideline"
    assert guideline.source == Citation.Source.PUBMED
    assert guideline.last_checked_at == NOW
    assert guideline.authors[0] == {
        "last_name": "Cohen",
        "fore_name": "Steven P",
        "initials": "SP",
        "collective_name": "",
        "suffix": "",
    }
    assert guideline.format_nlm().endswith(
        "2018 Jul;43(5):521-46. doi: 10.1097/AAP.0000000000000808. PMID: 29870458."
    )
    assert Citation.objects.get(pmid="23982301").evidence_label == "rct"


def test_ensure_returns_known_citations_without_any_network_call(make_client):
    known = CitationFactory(pmid="29870458")
    client, transport = make_client([])
    assert citations_ensure(pmids=["29870458"], client=client) == {"29870458": known}
    assert transport.calls == []


def test_ensure_fetches_only_the_unknown_ones(make_client):
    CitationFactory(pmid="29870458")
    client, transport = make_client([demo_body("28249076")])
    found = citations_ensure(pmids=["28249076", "29870458"], client=client)
    assert list(found) == ["28249076", "29870458"]
    assert transport.calls[0]["params"]["id"] == "28249076"


def test_ensure_offline_lists_the_pmids_and_stores_nothing(make_client):
    CitationFactory(pmid="29870458")
    client, _ = make_client([OSError("Network is unreachable")] * 4)
    with pytest.raises(CitationsUnavailable) as caught:
        citations_ensure(pmids=["29870458", "28249076", "23982301"], client=client)
    assert caught.value.pmids == ("28249076", "23982301")
    assert "28249076, 23982301" in str(caught.value)
    assert set(Citation.objects.values_list("pmid", flat=True)) == {"29870458"}


def test_ensure_unknown_pmid_is_refused_and_nothing_of_the_batch_is_stored(make_client):
    client, _ = make_client([demo_body("29870458")])
    with pytest.raises(CitationsNotFound) as caught:
        citations_ensure(pmids=["29870458", "99999999"], client=client)
    assert caught.value.pmids == ("99999999",)
    assert isinstance(caught.value, ValidationError)
    assert "99999999" in caught.value.messages[0]
    assert not Citation.objects.exists()


def test_ensure_ncbi_error_is_reported_as_unavailable(make_client):
    client, _ = make_client([b"<eFetchResult><ERROR>Backend failure</ERROR></eFetchResult>"])
    with pytest.raises(CitationsUnavailable, match="Backend failure"):
        citations_ensure(pmids=["29870458"], client=client)


def test_ensure_rejects_malformed_pmids_before_asking_pubmed(make_client):
    client, transport = make_client([])
    with pytest.raises(ValidationError, match="0123"):
        citations_ensure(pmids=["0123"], client=client)
    assert transport.calls == []


def test_create_from_pmid_is_idempotent(make_client):
    client, transport = make_client([read("efetch-pubmed-retracted-publication-10066780.xml")])
    first = citation_create_from_pmid(pmid="10066780", client=client)
    assert first.retracted is True
    assert first.retraction_notice_pmid == "11905463"
    assert citation_create_from_pmid(pmid="10066780", client=client) == first
    assert len(transport.calls) == 1


def test_import_records_creates_then_updates_all_or_nothing():
    records = parse_medline(read("medline-pubmed-4-records-doi.txt"))
    result = citations_import_records(records=records, source=Citation.Source.FILE, now=NOW)
    assert len(result.created) == 4 and result.updated == []
    assert Citation.objects.get(pmid="16403221").source == Citation.Source.FILE

    again = citations_import_records(records=records, now=NOW)
    assert again.created == [] and len(again.unchanged) == 4

    changed = parse_efetch_xml(read("efetch-pubmed-structured-abstract-27797938.xml"))
    result = citations_import_records(records=changed + records[:1], now=NOW)
    assert [c.pmid for c in result.created] == ["27797938"]
    assert [c.pmid for c in result.unchanged] == ["16403221"]


def test_import_of_an_invalid_record_rolls_back_everything():
    good = parse_medline(read("medline-pubmed-12230038.txt"))
    bad = parse_efetch_xml(article_xml("77", title=""))[0]
    # An over-long DOI cannot be shortened safely, so it fails validation.
    bad = type(bad)(
        **{**{f: getattr(bad, f) for f in bad.__dataclass_fields__}, "doi": "10.1/" + "x" * 300}
    )
    with pytest.raises(ValidationError):
        citations_import_records(records=[*good, bad])
    assert not Citation.objects.exists()


def test_refresh_flags_a_newly_retracted_citation_and_returns_it(make_client):
    stays = CitationFactory(pmid="1000001", title="A synthetic test article.")
    becomes = CitationFactory(pmid="1000002", title="A synthetic test article.")
    manual = ManualCitationFactory()
    client, transport = make_client(
        by_pmid={
            "1000001": article_xml("1000001"),
            "1000002": article_xml(
                "1000002",
                publication_types=("Journal Article", "Retracted Publication"),
                retraction_in="1000099",
            ),
        }
    )
    result = citations_refresh(client=client, now=NOW)
    assert [c.pmid for c in result.newly_retracted] == ["1000002"]
    assert result.checked == 2 and result.failed == [] and result.missing == []
    becomes.refresh_from_db()
    assert becomes.retracted is True
    assert becomes.retraction_notice_pmid == "1000099"
    assert becomes.last_checked_at == NOW
    stays.refresh_from_db()
    assert stays.retracted is False
    assert stays.journal_abbrev == "J Tests"
    # Manual entries are never sent to PubMed.
    assert all(manual.pmid is None or manual.pmid not in c["params"]["id"] for c in transport.calls)

    # A second run finds nothing new: the retraction was already recorded.
    client, _ = make_client(
        by_pmid={
            "1000001": article_xml("1000001"),
            "1000002": article_xml("1000002", publication_types=("Retracted Publication",)),
        }
    )
    assert citations_refresh(client=client, now=NOW).newly_retracted == []


def test_refresh_batches_and_survives_an_outage_midway(make_client):
    for n in range(5):
        CitationFactory(pmid=str(2000000 + n))
    ok = efetch_set([article_xml("2000000"), article_xml("2000001")])
    last = efetch_set([article_xml("2000004")])
    # Batch 1 succeeds, batch 2 fails all four attempts, batch 3 succeeds.
    client, transport = make_client([ok, *[OSError("down")] * 4, last])
    result = citations_refresh(client=client, now=NOW, batch_size=2)
    assert [len(c["params"]["id"].split(",")) for c in transport.calls] == [2, 2, 2, 2, 2, 1]
    assert result.checked == 3
    assert result.failed == ["2000002", "2000003"]
    assert "down" in result.errors[0]
    assert Citation.objects.filter(last_checked_at=NOW).count() == 3


def test_refresh_reports_pmids_pubmed_no_longer_has(make_client):
    CitationFactory(pmid="3000001")
    CitationFactory(pmid="3000002")
    client, _ = make_client([efetch_set([article_xml("3000001")])])
    result = citations_refresh(client=client, now=NOW)
    assert result.missing == ["3000002"]
    assert result.checked == 1


def test_refresh_checks_the_stalest_first(make_client):
    CitationFactory(pmid="4000001", last_checked_at=NOW)
    CitationFactory(pmid="4000002", last_checked_at=None)
    CitationFactory(pmid="4000003", last_checked_at=NOW - dt.timedelta(days=30))
    client, transport = make_client(
        by_pmid={p: article_xml(p) for p in ("4000001", "4000002", "4000003")}
    )
    citations_refresh(client=client, now=NOW, batch_size=1)
    assert [c["params"]["id"] for c in transport.calls] == ["4000002", "4000003", "4000001"]


def test_save_manual_labels_the_source():
    citation = Citation(
        title="WHO guideline", url="https://www.who.int/x", source=Citation.Source.PUBMED
    )
    citation_save_manual(citation=citation)
    assert citation.source == Citation.Source.MANUAL
    with pytest.raises(ValidationError):
        citation_save_manual(citation=Citation(title="No URL"))


@override_settings(
    PUBMED_TOOL="my-tool", PUBMED_EMAIL="ops@example.org", PUBMED_API_KEY="abc", PUBMED_TIMEOUT=4
)
def test_client_from_settings():
    client = pubmed_client_from_settings()
    assert isinstance(client, PubMedClient)
    assert (client.tool, client.email, client.api_key, client.timeout) == (
        "my-tool",
        "ops@example.org",
        "abc",
        4.0,
    )
    assert client.min_interval < 0.34


@override_settings(PUBMED_API_KEY="")
def test_client_from_settings_without_key_is_slower():
    assert pubmed_client_from_settings().api_key is None
    assert pubmed_client_from_settings().min_interval > 1 / 3
