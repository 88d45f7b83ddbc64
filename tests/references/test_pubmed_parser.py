"""Parser tests on every real NCBI record in tests/data/pubmed, and on malformed input."""

from __future__ import annotations

import pytest

from references.parsers import (
    iter_efetch_xml,
    parse_any,
    parse_efetch_xml,
    parse_esummary_json,
    parse_medline,
)
from references.pubmed import Author, PubMedResponseError
from tests.references.conftest import DATA, DEMO_XML, read


def by_pmid(records):
    return {record.pmid: record for record in records}


# --- EFetch XML ---------------------------------------------------------------------------


def test_efetch_review_with_season_and_no_doi_12091962():
    records = by_pmid(parse_efetch_xml(read("efetch-pubmed-12091962-9997.xml")))
    assert list(records) == ["12091962", "9997"]
    record = records["12091962"]
    assert record.title == "The treatment of AIDS behind the walls of correctional facilities."
    assert record.authors == (Author("Olivero", "J Michael", "JM"),)
    assert (record.journal_abbrev, record.journal_title) == (
        "Soc Justice",
        "Social justice (San Francisco, Calif.)",
    )
    assert (record.year, record.month) == (1990, "Spring")
    assert (record.volume, record.issue, record.pages) == ("17", "1", "113-25")
    assert record.doi == ""
    assert record.publication_types == ("Journal Article", "Review")
    assert record.abstract == ""
    assert record.retracted is False


def test_efetch_doi_from_article_id_list_9997():
    record = by_pmid(parse_efetch_xml(read("efetch-pubmed-12091962-9997.xml")))["9997"]
    assert record.doi == "10.1016/0005-2795(76)90109-4"
    assert (record.year, record.month, record.volume, record.issue, record.pages) == (
        1976,
        "Sep",
        "446",
        "1",
        "179-91",
    )
    assert record.authors == (Author("Strekas", "T C", "TC"),)
    assert record.abstract.startswith("Electron paramagnetic resonance and magnetic")
    assert dict(record.other_ids) == {"pii": "0005-2795(76)90109-4"}


def test_efetch_ncbi_sample_17284678_many_authors_and_old_iso_abbreviation():
    records = by_pmid(parse_efetch_xml(read("efetch-pubmed-17284678-9997-ncbi-sample.xml")))
    record = records["17284678"]
    assert record.title == (
        "Sequencing and analysis of chromosome 1 of Eimeria tenella reveals a unique "
        "segmental organization."
    )
    assert len(record.authors) == 33
    assert record.authors[0] == Author("Ling", "King-Hwa", "KH")
    assert record.authors[5] == Author("Madeira", "Alda M B N", "AM")
    # The ISO abbreviation has a period ("Genome Res."); NLM style uses MedlineTA.
    assert record.journal_abbrev == "Genome Res"
    assert (record.year, record.month, record.volume, record.issue, record.pages) == (
        2007,
        "Mar",
        "17",
        "3",
        "311-9",
    )
    assert record.doi == "10.1101/gr.5823007"
    assert record.publication_types == (
        "Comparative Study",
        "Journal Article",
        "Research Support, Non-U.S. Gov't",
    )
    # The same 9997 from a 2012 export has no DOI in its id list.
    assert records["9997"].doi == ""
    assert records["9997"].journal_abbrev == "Biochim Biophys Acta"


def test_efetch_collective_author_29963580():
    (record,) = parse_efetch_xml(read("efetch-pubmed-collective-author-29963580.xml"))
    assert record.pmid == "29963580"
    assert len(record.authors) == 9
    assert record.authors[7] == Author("Parraga", "Grace", "G")
    collective = record.authors[8]
    assert collective == Author(collective_name="Canadian Respiratory Research Network")
    assert collective.is_collective
    assert record.doi == "10.1117/1.JMI.5.2.026002"
    assert record.pages == "026002"
    assert (record.journal_abbrev, record.year, record.month) == (
        "J Med Imaging (Bellingham)",
        2018,
        "Apr",
    )


def test_efetch_two_records_with_dois_11748933_11700088():
    records = by_pmid(parse_efetch_xml(read("efetch-pubmed-doi-11748933-11700088.xml")))
    assert records["11748933"].doi == "10.1006/cryo.2001.2328"
    assert records["11748933"].pages == "244-55"
    assert len(records["11748933"].authors) == 8
    assert records["11700088"].doi == "10.1006/jmre.2001.2429"
    assert records["11700088"].title == (
        "Proton MRI of (13)C distribution by J and chemical shift editing."
    )
    assert records["11700088"].authors[5] == Author("De Luca", "F", "F")
    assert records["11700088"].journal_title == (
        "Journal of magnetic resonance (San Diego, Calif. : 1997)"
    )


def test_efetch_bare_pubmed_article_retracted_publication_10066780():
    (record,) = parse_efetch_xml(read("efetch-pubmed-retracted-publication-10066780.xml"))
    assert record.pmid == "10066780"
    assert record.retracted is True
    assert record.retraction_notice_pmid == "11905463"
    assert "Retracted Publication" in record.publication_types
    assert record.journal_abbrev == "J Biol Chem"
    assert (record.year, record.month, record.volume, record.issue, record.pages) == (
        1999,
        "Mar",
        "274",
        "11",
        "7196-9",
    )
    assert record.doi == ""
    # The retractobot fixture anonymised the author; we keep what the file says.
    assert record.authors == (Author("Last Name", "Fore Name", "Initial"),)


def test_efetch_retraction_notice_27508352_is_not_itself_retracted():
    (record,) = parse_efetch_xml(read("efetch-pubmed-retraction-notice-27508352.xml"))
    assert record.pmid == "27508352"
    assert record.title == "Retraction Notice."
    assert record.publication_types == ("RETRACTION OF PUBLICATION",)
    assert record.retracted is False
    assert record.retraction_notice_pmid == ""
    assert record.authors == ()
    assert record.pages == "650"
    assert record.abstract == "[This retracts the article on p. 65 in vol. 7, PMID: 26435620.]."


def test_efetch_structured_abstract_keeps_labels_27797938():
    (record,) = parse_efetch_xml(read("efetch-pubmed-structured-abstract-27797938.xml"))
    sections = record.abstract.split("\n\n")
    assert [section.split(":", 1)[0] for section in sections] == [
        "OBJECTIVE",
        "DESIGN",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert sections[0].startswith("OBJECTIVE: Telomere shortening occurs")
    # Inline <i>TERT</i> in the title is flattened to text.
    assert record.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
        "pancreatic cancer."
    )
    assert (record.year, record.month) == (2017, "Jun")  # <Month>06</Month>
    assert record.pages == "1116-1122"
    assert record.doi == "10.1136/gutjnl-2016-312510"
    assert "Observational Study" in record.publication_types
    assert len(record.authors) == 22


def test_demo_citations_file_parses_with_collective_author():
    records = by_pmid(parse_efetch_xml(DEMO_XML))
    assert list(records) == ["29870458", "28249076", "23982301"]
    assert records["29870458"].pages == "521-546"
    assert records["28249076"].authors[-1].is_collective
    assert "Randomized Controlled Trial" in records["23982301"].publication_types


def test_medline_date_and_missing_parts():
    xml = (
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>123</PMID><Article>"
        b"<Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>"
        b"</JournalIssue><ISOAbbreviation>J. Synth. Test.</ISOAbbreviation></Journal>"
        b"<ArticleTitle>No volume, issue or pages.</ArticleTitle></Article>"
        b"</MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    (record,) = parse_efetch_xml(xml)
    assert (record.year, record.month) == (1998, "Dec-1999 Jan")
    assert (record.volume, record.issue, record.pages) == ("", "", "")
    assert record.journal_abbrev == "J Synth Test"


def test_iter_efetch_streams_records_one_by_one():
    iterator = iter_efetch_xml(read("efetch-pubmed-doi-11748933-11700088.xml"))
    assert next(iterator).pmid == "11748933"
    assert next(iterator).pmid == "11700088"
    with pytest.raises(StopIteration):
        next(iterator)


# --- Malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        read("efetch-pubmed-doi-11748933-11700088.xml")[:3000],  # truncated download
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",  # binary junk
        b"",
        b"<PubmedArticleSet><PubmedArticle>",
    ],
    ids=["truncated", "binary", "empty", "unclosed"],
)
def test_malformed_xml_raises_clear_error(data):
    with pytest.raises(PubMedResponseError, match="not well-formed|empty"):
        parse_efetch_xml(data)


def test_wrong_root_raises():
    with pytest.raises(PubMedResponseError, match=r"got <eSearchResult>"):
        parse_efetch_xml(read("esearch-pubmed-biopython.xml"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("esearch-error-invalid-db.xml", "Invalid db name specified: fleegle"),
        ("esummary-error-no-id.xml", "Neither query_key nor id specified"),
        ("epost-error-invalid-ids.xml", "Empty ID list; Nothing to store"),
    ],
)
def test_ncbi_error_element_raises_with_message(name, message):
    with pytest.raises(PubMedResponseError, match=message):
        parse_efetch_xml(read(name))


def test_efetch_error_envelope_raises():
    with pytest.raises(PubMedResponseError, match="ID list is empty"):
        parse_efetch_xml(b"<eFetchResult><ERROR>ID list is empty!</ERROR></eFetchResult>")


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>5</PMID><Article>"
        "<ArticleTitle>a&x;b</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    )
    (record,) = parse_efetch_xml(xml)
    assert "TOP-SECRET" not in record.title


def test_record_without_pmid_is_an_error():
    with pytest.raises(PubMedResponseError, match="no valid <PMID>"):
        parse_efetch_xml(
            b"<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
        )


# --- ESummary JSON ------------------------------------------------------------------------


def test_esummary_json_retracted_doi_and_invalid_id():
    result = parse_esummary_json(read("esummary-pubmed-v2-json-retracted-doi-invalid-id.json"))
    records = by_pmid(result.records)
    assert list(records) == ["9500320", "31452104", "23193287"]
    assert result.errors == {"99999999": "cannot get document summary"}

    wakefield = records["9500320"]
    assert wakefield.retracted is True
    assert wakefield.doi == "10.1016/s0140-6736(97)11096-0"
    assert wakefield.title.startswith("Ileal-lymphoid-nodular hyperplasia")
    assert len(wakefield.authors) == 13
    assert wakefield.authors[0] == Author(last_name="Wakefield", initials="AJ")
    assert wakefield.authors[-1] == Author(last_name="Walker-Smith", initials="JA")
    assert (wakefield.journal_abbrev, wakefield.journal_title) == (
        "Lancet",
        "Lancet (London, England)",
    )
    assert (
        wakefield.year,
        wakefield.month,
        wakefield.volume,
        wakefield.issue,
        wakefield.pages,
    ) == (
        1998,
        "Feb",
        "351",
        "9103",
        "637-41",
    )

    docking = records["31452104"]
    assert docking.authors[1] == Author(last_name="de Azevedo", initials="WF", suffix="Jr")
    assert (docking.year, docking.month, docking.issue) == (2019, "", "")
    assert docking.doi == "10.1007/978-1-4939-9752-7_10"
    assert docking.retracted is False

    genbank = records["23193287"]
    assert genbank.issue == "Database issue"
    assert genbank.pages == "D36-42"
    assert genbank.doi == "10.1093/nar/gks1195"
    assert ("pmc", "PMC3531190") in genbank.other_ids


def test_esummary_ncbi_prototype_json_with_padded_authtype():
    result = parse_esummary_json(read("esummary-pubmed-v2-5683731-22144687.ncbi-prototype.json"))
    records = by_pmid(result.records)
    assert result.errors == {}
    assert records["5683731"].authors == (
        Author(last_name="Goldberg", initials="MJ"),
        Author(last_name="Davis", initials="LJ"),
    )
    assert records["5683731"].doi == "10.1038/sc.1968.18"
    assert (records["5683731"].year, records["5683731"].month) == (1968, "Aug")
    assert records["22144687"].doi == "10.1093/nar/gkr1202"
    assert len(records["22144687"].authors) == 6


def test_esummary_retraction_link_and_collective_author():
    data = {
        "header": {"type": "esummary", "version": "0.3"},
        "result": {
            "uids": ["42"],
            "42": {
                "uid": "42",
                "title": "T.",
                "pubdate": "2001 Mar 3",
                "authors": [{"name": "Some Group", "authtype": "CollectiveName"}],
                "pubtype": ["Journal Article"],
                "references": [{"refsource": "X", "reftype": "Retraction in", "pmid": 77}],
            },
        },
    }
    (record,) = parse_esummary_json(data).records
    assert record.retracted is True
    assert record.retraction_notice_pmid == "77"
    assert record.authors == (Author(collective_name="Some Group"),)


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b"[]",
        b'{"header": {"type": "esearch"}}',
        b'{"error": "API rate limit exceeded"}',
    ],
)
def test_esummary_malformed_raises(data):
    with pytest.raises(PubMedResponseError):
        parse_esummary_json(data)


# --- MEDLINE ------------------------------------------------------------------------------


def test_medline_single_record_12230038():
    (record,) = parse_medline(read("medline-pubmed-12230038.txt"))
    assert record.pmid == "12230038"
    assert record.title == "The Bio* toolkits--a brief overview."
    assert record.authors == (Author("Mangalam", "Harry", "H"),)
    assert (record.journal_abbrev, record.journal_title) == (
        "Brief Bioinform",
        "Briefings in bioinformatics",
    )
    assert (record.year, record.month, record.volume, record.issue, record.pages) == (
        2002,
        "Sep",
        "3",
        "3",
        "296-302",
    )
    # Continuation lines are joined with single spaces.
    assert record.abstract.startswith(
        "Bioinformatics research is often difficult to do with commercial software. The Open Source"
    )
    assert record.publication_types == ("Journal Article",)


def test_medline_structured_abstract_and_lid_doi_23039619():
    (record,) = parse_medline(read("medline-pubmed-23039619-structured-abstract.txt"))
    assert record.doi == "10.1118/1.4748329"
    assert record.abstract.startswith("PURPOSE: High-intensity focused ultrasound")
    assert " METHODS: Two transducers" in record.abstract
    assert " CONCLUSIONS: Unlike traditional" in record.abstract
    assert [author.last_name for author in record.authors] == ["Qiao", "Shen", "Bai", "Chen"]
    assert record.pages == "5795-813"


def test_medline_four_records_with_dois():
    records = by_pmid(parse_medline(read("medline-pubmed-4-records-doi.txt")))
    assert list(records) == ["16403221", "16377612", "14871861", "14630660"]
    assert records["16403221"].doi == "10.1186/1471-2105-7-10"
    assert (records["16403221"].year, records["16403221"].month, records["16403221"].issue) == (
        2006,
        "",
        "",
    )
    assert records["16403221"].pages == "10"
    assert records["16403221"].authors[2] == Author("Saqi", "Mansoor A S", "MA")
    assert records["16377612"].doi == "10.1093/bioinformatics/btk021"
    assert records["16377612"].title == (
        "GenomeDiagram: a python package for the visualization of large-scale genomic data."
    )
    assert records["14871861"].authors[0] == Author("de Hoon", "M J L", "MJ")
    assert records["14871861"].publication_types == (
        "Comparative Study",
        "Evaluation Studies",
        "Journal Article",
        "Validation Studies",
    )
    assert records["14630660"].doi == ""


def test_medline_retraction_and_collective_tags():
    text = (
        "PMID- 9500320\nTI  - Retracted paper.\nDP  - 1998 Feb 28\nFAU - Wakefield, Andrew J\n"
        "AU  - Wakefield AJ\nCN  - Some Study Group\nPT  - Journal Article\n"
        "PT  - Retracted Publication\nRIN - Lancet. 2010 Feb 6;375(9713):445. PMID: 20137807\n"
    )
    (record,) = parse_medline(text)
    assert record.retracted is True
    assert record.retraction_notice_pmid == "20137807"
    assert record.authors == (
        Author("Wakefield", "Andrew J", "AJ"),
        Author(collective_name="Some Study Group"),
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world\n", b"TI  - A title without a PMID line\n", b"\xff\xfe\x00junk"],
)
def test_medline_malformed_raises(data):
    with pytest.raises(PubMedResponseError):
        parse_medline(data)


# --- Format sniffing ----------------------------------------------------------------------


def test_parse_any_detects_each_format():
    assert [r.pmid for r in parse_any(read("medline-pubmed-12230038.txt"))] == ["12230038"]
    assert [
        r.pmid for r in parse_any(read("efetch-pubmed-retracted-publication-10066780.xml"))
    ] == ["10066780"]
    assert len(parse_any(read("esummary-pubmed-v2-5683731-22144687.ncbi-prototype.json"))) == 2
    with pytest.raises(PubMedResponseError, match="99999999"):
        parse_any(read("esummary-pubmed-v2-json-retracted-doi-invalid-id.json"))
    with pytest.raises(PubMedResponseError, match="Unrecognised"):
        parse_any(b"%PDF-1.4 junk")


def test_every_shared_record_file_is_covered():
    """Guard: a fixture added to tests/data/pubmed must get a test here."""
    record_files = {p.name for p in DATA.iterdir() if p.name.startswith(("efetch-", "medline-"))}
    record_files |= {p.name for p in DATA.glob("esummary-*.json")}
    source = (DATA.parent.parent / "references" / "test_pubmed_parser.py").read_text()
    assert all(name in source for name in record_files), record_files
