"""
Every retraction signal PubMed gives, in each format it gives it (issue 11): "retraction in",
"partial retraction in", "retracted and republished in" and "expression of concern in" links,
and the "Retracted Publication" type, from EFetch XML, ESummary JSON and MEDLINE text. Each
record keeps the strongest status, the notice's PMID and the notice's date.

The documents here are synthetic (test-only), built in each format's documented shape; the real
NCBI record 10066780 (tests/data/pubmed, see SOURCES.md) carries a real RetractionIn link.
"""

from __future__ import annotations

import json

import pytest

from references.parsers.efetch import parse_efetch_xml
from references.parsers.esummary import parse_esummary_json
from references.parsers.medline import parse_medline
from tests.references.conftest import read

NOTICE = "J Tests. 2021 Mar 5;12(3):45"
SIGNALS = [
    # (EFetch RefType, ESummary reftype, MEDLINE tag, status, retracted)
    ("RetractionIn", "Retraction in", "RIN", "retracted", True),
    ("PartialRetractionIn", "Partial retraction in", "PRIN", "partial_retraction", True),
    (
        "RetractedandRepublishedIn",
        "Retracted and republished in",
        "RRI",
        "retracted_and_republished",
        True,
    ),
    ("ExpressionOfConcernIn", "Expression of concern in", "ECI", "expression_of_concern", False),
]


def efetch(links=(), types=("Journal Article",)):
    comments = "".join(
        f'<CommentsCorrections RefType="{ref_type}"><RefSource>{source}</RefSource>'
        f'<PMID Version="1">{pmid}</PMID></CommentsCorrections>'
        for ref_type, pmid, source in links
    )
    type_list = "".join(f"<PublicationType>{t}</PublicationType>" for t in types)
    return (
        '<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>'
        '<PMID Version="1">1000001</PMID><Article><Journal><JournalIssue><PubDate><Year>2019'
        "</Year></PubDate></JournalIssue><Title>J Tests</Title></Journal>"
        "<ArticleTitle>A synthetic paper.</ArticleTitle>"
        f"<PublicationTypeList>{type_list}</PublicationTypeList></Article>"
        f"<CommentsCorrectionsList>{comments}</CommentsCorrectionsList>"
        "</MedlineCitation></PubmedArticle></PubmedArticleSet>"
    ).encode()


def esummary(links=(), types=("Journal Article",)):
    summary = {
        "uid": "1000001",
        "title": "A synthetic paper.",
        "pubdate": "2019",
        "pubtype": list(types),
        "references": [
            {"refsource": source, "reftype": ref_type, "pmid": pmid}
            for ref_type, pmid, source in links
        ],
    }
    return json.dumps(
        {"header": {"type": "esummary"}, "result": {"uids": ["1000001"], "1000001": summary}}
    )


def medline(links=(), types=("Journal Article",)):
    lines = ["PMID- 1000001", "TI  - A synthetic paper.", "DP  - 2019"]
    lines += [f"PT  - {t}" for t in types]
    lines += [f"{tag:<4}- {source}. PMID: {pmid}" for tag, pmid, source in links]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("efetch_type", "summary_type", "tag", "status", "retracted"), SIGNALS)
def test_each_signal_is_read_in_every_format(efetch_type, summary_type, tag, status, retracted):
    records = [
        parse_efetch_xml(efetch([(efetch_type, "2000002", NOTICE)]))[0],
        parse_esummary_json(esummary([(summary_type, "2000002", NOTICE)])).records[0],
        parse_medline(medline([(tag, "2000002", NOTICE)]))[0],
    ]
    for record in records:
        assert record.retraction_status == status
        assert record.retracted is retracted
        assert record.retraction_notice_pmid == "2000002"
        assert record.retraction_date == "2021-03-05"


@pytest.mark.parametrize(
    "parse",
    [
        lambda types: parse_efetch_xml(efetch(types=types))[0],
        lambda types: parse_esummary_json(esummary(types=types)).records[0],
        lambda types: parse_medline(medline(types=types))[0],
    ],
)
def test_the_retracted_publication_type_alone_is_a_retraction(parse):
    record = parse(("Journal Article", "Retracted Publication"))
    assert (record.retraction_status, record.retracted) == ("retracted", True)
    # A notice's own type says nothing about the record carrying it.
    notice = parse(("Retraction of Publication",))
    assert (notice.retraction_status, notice.retracted) == ("", False)


def test_the_strongest_signal_wins_and_names_its_notice():
    links = [
        ("ExpressionOfConcernIn", "3000003", "J Tests. 2020 Jan;1:1"),
        ("RetractionIn", "4000004", "J Tests. 2022 Feb;2:2"),
        ("ErratumIn", "5000005", "J Tests. 2019 Dec;1:1"),
    ]
    record = parse_efetch_xml(efetch(links))[0]
    assert record.retraction_status == "retracted"
    assert (record.retraction_notice_pmid, record.retraction_date) == ("4000004", "2022-02")


def test_an_erratum_alone_is_no_retraction():
    record = parse_medline(medline([("EIN", "5000005", "J Tests. 2019 Dec;1:1")]))[0]
    assert (record.retraction_status, record.retracted) == ("", False)


def test_the_real_retracted_record_keeps_its_notice():
    (record,) = parse_efetch_xml(read("efetch-pubmed-retracted-publication-10066780.xml"))
    assert record.retraction_status == "retracted" and record.retracted
    assert record.retraction_notice_pmid
