"""
NLM details (issue 13, part 7): the day of the month, and group authors kept after "et al.",
from real NCBI records (tests/data/pubmed, attributed in its SOURCES.md) in all three formats.
Each expected string was checked by hand against Citing Medicine (2nd ed.), chapter 1.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from references.formatting import format_authors, format_nlm
from references.parsers import parse_efetch_xml, parse_esummary_json, parse_medline
from references.parsers.common import split_date
from references.pubmed import Author, PubmedRecord
from tests.references.conftest import read


def _by_pmid(records):
    return {record.pmid: record for record in records}


EFETCH_9997 = _by_pmid(parse_efetch_xml(read("efetch-pubmed-12091962-9997.xml")))["9997"]
MEDLINE = _by_pmid(parse_medline(read("medline-pubmed-4-records-doi.txt")))
ESUMMARY = _by_pmid(
    parse_esummary_json(read("esummary-pubmed-v2-json-retracted-doi-invalid-id.json")).records
)
(COLLECTIVE,) = parse_efetch_xml(read("efetch-pubmed-collective-author-29963580.xml"))


def test_efetch_pubdate_day_is_printed_after_the_month():
    # <PubDate><Year>1976</Year><Month>Sep</Month><Day>28</Day></PubDate>
    assert EFETCH_9997.day == 28
    assert format_nlm(EFETCH_9997) == (
        "Strekas TC. Magnetic studies of Chromatium flavocytochrome C552. A mechanism for "
        "heme-flavin interaction. Biochim Biophys Acta. 1976 Sep 28;446(1):179-91. "
        "doi: 10.1016/0005-2795(76)90109-4. PMID: 9997."
    )


def test_medline_dp_day_without_a_leading_zero():
    # DP  - 2006 Mar 1
    assert format_nlm(MEDLINE["16377612"]) == (
        "Pritchard L, White JA, Birch PR, Toth IK. GenomeDiagram: a python package for the "
        "visualization of large-scale genomic data. Bioinformatics. 2006 Mar 1;22(5):616-7. "
        "doi: 10.1093/bioinformatics/btk021. PMID: 16377612."
    )
    # DP  - 2006: a year only stays a year only.
    assert MEDLINE["16403221"].day is None
    assert "BMC Bioinformatics. 2006;7:10." in format_nlm(MEDLINE["16403221"])


def test_esummary_pubdate_day():
    # "pubdate": "1998 Feb 28"
    assert format_nlm(ESUMMARY["9500320"]) == (
        "Wakefield AJ, Murch SH, Anthony A, Linnell J, Casson DM, Malik M, et al. "
        "Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental "
        "disorder in children. Lancet. 1998 Feb 28;351(9103):637-41. "
        "doi: 10.1016/s0140-6736(97)11096-0. PMID: 9500320."
    )
    # "pubdate": "2013 Jan": no day.
    assert "Nucleic Acids Res. 2013 Jan;41(Database issue):D36-42." in format_nlm(
        ESUMMARY["23193287"]
    )


@pytest.mark.parametrize(
    ("text", "year", "month", "day"),
    [
        ("2017 Apr 1", 2017, "Apr", 1),
        ("2017 Apr 01", 2017, "Apr", 1),
        ("2017 04 15", 2017, "Apr", 15),
        ("2017 Apr", 2017, "Apr", None),
        ("2017 Apr 32", 2017, "Apr", None),  # not a day: dropped, the month kept
        ("2000 Spring", 2000, "Spring", None),
        ("1998 Dec-1999 Jan", 1998, "Dec-1999 Jan", None),
    ],
)
def test_split_date_keeps_a_valid_day_beside_a_single_month(text, year, month, day):
    date = split_date(text)
    assert (date.year, date.month, date.day) == (year, month, day)


def test_a_day_is_printed_only_beside_a_month():
    base = {"pmid": "11111111", "title": "T", "journal_abbrev": "J", "volume": "1"}
    assert format_nlm(PubmedRecord(**base, year=2017, month="Apr", day=1)) == (
        "T. J. 2017 Apr 1;1. PMID: 11111111."
    )
    assert format_nlm(PubmedRecord(**base, year=2017, month="Spring", day=1)) == (
        "T. J. 2017 Spring;1. PMID: 11111111."
    )
    assert format_nlm(PubmedRecord(**base, year=2017, day=1)) == "T. J. 2017;1. PMID: 11111111."


def test_efetch_group_after_eight_people_follows_et_al():
    assert format_nlm(COLLECTIVE) == (
        "Guo F, Capaldi D, Kirby M, Sheikh K, Svenningsen S, McCormack DG, et al.; Canadian "
        "Respiratory Research Network. Development of a pulmonary imaging biomarker pipeline "
        "for phenotyping of chronic lung disease. J Med Imaging (Bellingham). 2018 "
        "Apr;5(2):026002. doi: 10.1117/1.JMI.5.2.026002. PMID: 29963580."
    )


def test_medline_cn_is_kept_after_et_al_like_efetch():
    # The same record as the EFetch file, as PubMed's MEDLINE export writes it (CN last).
    people = [(a.last_name, a.fore_name, a.initials) for a in COLLECTIVE.authors[:8]]
    lines = ["PMID- 29963580", "DP  - 2018 Apr", "TI  - " + COLLECTIVE.title]
    for last, fore, initials in people:
        lines += [f"FAU - {last}, {fore}", f"AU  - {last} {initials}"]
    lines += [
        "CN  - Canadian Respiratory Research Network",
        "TA  - J Med Imaging (Bellingham)",
        "VI  - 5",
        "IP  - 2",
        "PG  - 026002",
        "LID - 10.1117/1.JMI.5.2.026002 [doi]",
    ]
    (record,) = parse_medline("\n".join(lines).encode() + b"\n")
    assert record.authors[-1] == Author(collective_name="Canadian Respiratory Research Network")
    assert format_nlm(record) == format_nlm(COLLECTIVE)


def test_esummary_collective_author_is_kept_after_et_al():
    people = [{"name": f"Person{index} A", "authtype": "Author"} for index in range(7)]
    group = {"name": "Example Trials Group", "authtype": "CollectiveName"}
    document = {
        "header": {"type": "esummary", "version": "0.3"},
        "result": {
            "uids": ["22222222"],
            "22222222": {
                "uid": "22222222",
                "pubdate": "2019 Nov 5",
                "source": "J Tests",
                "title": "A trial.",
                "volume": "3",
                "pages": "10-12",
                "authors": [*people, group],
            },
        },
    }
    (record,) = parse_esummary_json(json.dumps(document).encode()).records
    assert format_nlm(record) == (
        "Person0 A, Person1 A, Person2 A, Person3 A, Person4 A, Person5 A, et al.; Example "
        "Trials Group. A trial. J Tests. 2019 Nov 5;3:10-2. PMID: 22222222."
    )


def test_several_groups_after_et_al_keep_their_order_and_people_past_six_are_dropped():
    authors = [Author(f"Name{index}", initials="A") for index in range(7)]
    authors += [Author(collective_name="Group One"), Author("Late", initials="B")]
    authors += [Author(collective_name="Group Two")]
    assert format_authors(authors) == (
        "Name0 A, Name1 A, Name2 A, Name3 A, Name4 A, Name5 A, et al.; Group One; Group Two"
    )


def test_a_group_within_the_first_six_is_not_repeated_after_et_al():
    authors = [Author(collective_name="Group One")] + [
        Author(f"Name{index}", initials="A") for index in range(7)
    ]
    assert format_authors(authors) == (
        "Group One; Name0 A, Name1 A, Name2 A, Name3 A, Name4 A, et al."
    )


def test_a_stored_citation_dict_with_a_day_formats_alike():
    # Citation rows hold authors as dicts and the day as an integer column.
    stored = SimpleNamespace(
        pmid="9997",
        doi="",
        url="",
        title=EFETCH_9997.title,
        authors=EFETCH_9997.authors_as_dicts(),
        journal_abbrev=EFETCH_9997.journal_abbrev,
        journal_title="",
        year=1976,
        month="Sep",
        day=28,
        volume="446",
        issue="1",
        pages="179-191",
    )
    assert "Biochim Biophys Acta. 1976 Sep 28;446(1):179-91. PMID: 9997." in format_nlm(stored)
