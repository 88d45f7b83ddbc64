"""manage.py import_citations, from files and from PubMed (with a fake client)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from references.models import Citation
from tests.factories.references import CitationFactory
from tests.references.conftest import DATA, DEMO_XML, read
from tests.references.test_services import demo_body

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("import_citations", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_demo_efetch_file_without_network():
    output = run("--file", str(DEMO_XML))
    assert "Imported 3 record(s) from demo_citations.xml: 3 new, 0 updated, 0 unchanged." in output
    assert Citation.objects.get(pmid="29870458").source == Citation.Source.FILE
    # Running it again is harmless.
    assert "0 new, 0 updated, 3 unchanged" in run("--file", str(DEMO_XML))


def test_import_medline_file():
    run("--file", str(DATA / "medline-pubmed-4-records-doi.txt"))
    assert Citation.objects.count() == 4
    assert Citation.objects.get(pmid="14871861").doi == "10.1093/bioinformatics/bth078"


def test_malformed_file_stores_nothing(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(read("efetch-pubmed-doi-11748933-11700088.xml")[:4000])
    with pytest.raises(CommandError, match="broken.xml: .*not well-formed.*Nothing was imported"):
        run("--file", str(broken))
    assert not Citation.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("--file", str(tmp_path / "nope.xml"))


def test_arguments_must_be_pmids_or_file():
    with pytest.raises(CommandError, match="either PMIDs or --file"):
        run()
    with pytest.raises(CommandError, match="Not valid PMIDs: 0123"):
        run("0123")


def test_fetch_pmids_from_pubmed(monkeypatch, make_client):
    CitationFactory(pmid="29870458")
    client, transport = make_client([demo_body("23982301")])
    monkeypatch.setattr(
        "references.management.commands.import_citations.pubmed_client_from_settings",
        lambda: client,
    )
    output = run("29870458", "https://pubmed.ncbi.nlm.nih.gov/23982301/")
    assert "1 citation(s) added, 1 already present." in output
    assert transport.calls[0]["params"]["id"] == "23982301"


def test_fetch_offline_is_a_clear_error(monkeypatch, make_client):
    client, _ = make_client([OSError("down")] * 4)
    monkeypatch.setattr(
        "references.management.commands.import_citations.pubmed_client_from_settings",
        lambda: client,
    )
    with pytest.raises(CommandError, match="PubMed could not be reached to check PMID 23982301"):
        run("23982301")
    assert not Citation.objects.exists()
