"""Citation model: validation, constraints, formatting and the reader-facing snapshot."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from references.models import Citation
from tests.factories.references import CitationFactory, ManualCitationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pmid", ["0123", "123456789", "12a", " 1"])
def test_invalid_pmid_fails_validation(pmid):
    citation = CitationFactory.build(pmid=pmid)
    with pytest.raises(ValidationError) as caught:
        citation.full_clean()
    assert "pmid" in caught.value.message_dict


def test_database_refuses_a_malformed_pmid_even_without_full_clean():
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(pmid="0123", title="x")


def test_pmid_is_unique():
    CitationFactory(pmid="29870458")
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(pmid="29870458", title="again")


def test_manual_entry_needs_a_url():
    citation = Citation(pmid=None, title="A guideline", source=Citation.Source.MANUAL)
    with pytest.raises(
        ValidationError, match="needs a PMID, a DOI found on Crossref or, for a manual entry, a URL"
    ):
        citation.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        citation.save()


def test_many_manual_entries_without_pmid_coexist():
    ManualCitationFactory()
    ManualCitationFactory()
    assert Citation.objects.filter(pmid__isnull=True).count() == 2


def test_str_urls_and_formatting():
    citation = CitationFactory(pmid="30000123", doi="10.5555/x")
    assert str(citation).startswith("PMID 30000123: A randomised trial")
    assert citation.pubmed_url == "https://pubmed.ncbi.nlm.nih.gov/30000123/"
    assert citation.doi_url == "https://doi.org/10.5555/x"
    assert citation.get_absolute_url() == citation.pubmed_url
    assert citation.format_nlm().startswith("Tester T, Doe JA. A randomised trial")
    assert "J Tests. 2020 Jan;12(3):101-9. doi: 10.5555/x. PMID: 30000123." in citation.format_nlm()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/30000123/"' in citation.format_nlm_html()


def test_snapshot_is_json_and_what_readers_see():
    citation = CitationFactory(pmid="30000124", doi="10.5555/y", evidence_label="rct")
    snapshot = citation.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot == {
        "pmid": "30000124",
        "doi": "10.5555/y",
        "text": citation.format_nlm(),
        "html": citation.format_nlm_html(),
        "evidence_label": "Randomised controlled trial",
        "evidence_label_code": "rct",
        "url": "https://pubmed.ncbi.nlm.nih.gov/30000124/",
        "pubmed_url": "https://pubmed.ncbi.nlm.nih.gov/30000124/",
        "doi_url": "https://doi.org/10.5555/y",
        "manual": False,
        "retracted": False,
    }


def test_manual_snapshot_is_labelled_and_links_its_url():
    citation = ManualCitationFactory(url="https://www.example.org/g")
    snapshot = citation.snapshot()
    assert snapshot["manual"] is True
    assert snapshot["pmid"] is None
    assert snapshot["url"] == "https://www.example.org/g"
    assert snapshot["text"].endswith("Available from: https://www.example.org/g")
    assert str(citation).endswith("(manual entry)")


def test_queryset_filters():
    CitationFactory(is_retracted=True)
    CitationFactory()
    ManualCitationFactory()
    assert Citation.objects.retracted().count() == 1
    assert Citation.objects.with_pmid().count() == 2


def test_every_field_has_help_text_for_editors():
    skipped = {"id"}
    missing = [
        f.name
        for f in Citation._meta.get_fields()
        if getattr(f, "concrete", False) and f.name not in skipped and not f.help_text
    ]
    assert missing == []
