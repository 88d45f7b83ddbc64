"""NLM/Vancouver formatting against hand-checked reference strings (Citing Medicine rules)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from references.formatting import (
    abbreviate_pages,
    author_name,
    doi_url,
    format_authors,
    format_nlm,
    format_nlm_html,
    pubmed_url,
)
from references.parsers import parse_efetch_xml, parse_esummary_json
from references.pubmed import Author, PubmedRecord
from tests.references.conftest import DEMO_XML, read


def _records(data, parser=parse_efetch_xml):
    return {record.pmid: record for record in parser(data)}


DEMO = _records(DEMO_XML)
ESUMMARY = {
    record.pmid: record
    for record in parse_esummary_json(
        read("esummary-pubmed-v2-json-retracted-doi-invalid-id.json")
    ).records
}

# Each expected string was checked by hand against Citing Medicine (2nd ed.), chapter 1:
# six authors then "et al.", NLM journal abbreviation, Year Mon;Vol(Issue):Pages, pages
# abbreviated, then DOI and PMID as PubMed prints them.
HAND_CHECKED = [
    (
        DEMO["29870458"],  # 12 authors
        "Cohen SP, Bhatia A, Buvanendran A, Schwenk ES, Wasan AD, Hurley RW, et al. Consensus "
        "Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain From the "
        "American Society of Regional Anesthesia and Pain Medicine, the American Academy of Pain "
        "Medicine, and the American Society of Anesthesiologists. Reg Anesth Pain Med. 2018 "
        "Jul;43(5):521-46. doi: 10.1097/AAP.0000000000000808. PMID: 29870458.",
    ),
    (
        DEMO["23982301"],  # 12 authors, a two-word surname
        "Murrough JW, Iosifescu DV, Chang LC, Al Jurdi RK, Green CE, Perez AM, et al. "
        "Antidepressant efficacy of ketamine in treatment-resistant major depression: a two-site "
        "randomized controlled trial. Am J Psychiatry. 2013 Oct;170(10):1134-42. "
        "doi: 10.1176/appi.ajp.2013.13030392. PMID: 23982301.",
    ),
    (
        _records(read("efetch-pubmed-12091962-9997.xml"))["12091962"],  # season, no DOI
        "Olivero JM. The treatment of AIDS behind the walls of correctional facilities. "
        "Soc Justice. 1990 Spring;17(1):113-25. PMID: 12091962.",
    ),
    (
        _records(read("efetch-pubmed-doi-11748933-11700088.xml"))["11700088"],  # exactly six
        "Casieri C, Testa C, Carpinelli G, Canese R, Podo F, De Luca F. Proton MRI of (13)C "
        "distribution by J and chemical shift editing. J Magn Reson. 2001 Nov;153(1):117-23. "
        "doi: 10.1006/jmre.2001.2429. PMID: 11700088.",
    ),
    (
        _records(read("efetch-pubmed-structured-abstract-27797938.xml"))["27797938"],
        "Bao Y, Prescott J, Yuan C, Zhang M, Kraft P, Babic A, et al. Leucocyte telomere "
        "length, genetic variants at the TERT gene region and risk of pancreatic cancer. Gut. "
        "2017 Jun;66(6):1116-22. doi: 10.1136/gutjnl-2016-312510. PMID: 27797938.",
    ),
    (
        _records(read("efetch-pubmed-retraction-notice-27508352.xml"))["27508352"],  # no author
        "Retraction Notice. J Int Oral Health. 2016 May;8(5):650. PMID: 27508352.",
    ),
    (
        ESUMMARY["23193287"],  # "Database issue", letter-prefixed pages
        "Benson DA, Cavanaugh M, Clark K, Karsch-Mizrachi I, Lipman DJ, Ostell J, et al. "
        "GenBank. Nucleic Acids Res. 2013 Jan;41(Database issue):D36-42. "
        "doi: 10.1093/nar/gks1195. PMID: 23193287.",
    ),
    (
        ESUMMARY["31452104"],  # no issue, no month, suffix "Jr"
        "Bitencourt-Ferreira G, de Azevedo WF Jr. Molegro Virtual Docker for Docking. Methods "
        "Mol Biol. 2019;2053:149-67. doi: 10.1007/978-1-4939-9752-7_10. PMID: 31452104.",
    ),
    (
        PubmedRecord(  # personal authors and a group: the group is set off by a semicolon
            pmid="11111111",
            title="Shared decision making in chronic pain",
            authors=(
                Author("Smith", "Jane", "J"),
                Author("Doe", "Alan B", "AB"),
                Author(collective_name="Canadian Respiratory Research Network"),
            ),
            journal_abbrev="Pain Med",
            year=2020,
            month="Mar",
            volume="21",
            pages="1021-1029",
        ),
        "Smith J, Doe AB; Canadian Respiratory Research Network. Shared decision making in "
        "chronic pain. Pain Med. 2020 Mar;21:1021-9. PMID: 11111111.",
    ),
    (
        PubmedRecord(  # a group as the only author, nothing but a year for the date
            pmid="22222222",
            title="Guideline for the management of low back pain?",
            authors=(Author(collective_name="Canadian Respiratory Research Network"),),
            journal_abbrev="J Tests",
            year=2021,
            issue="2",
            pages="123-128",
        ),
        "Canadian Respiratory Research Network. Guideline for the management of low back "
        "pain? J Tests. 2021;(2):123-8. PMID: 22222222.",
    ),
]


@pytest.mark.parametrize(("record", "expected"), HAND_CHECKED, ids=lambda v: getattr(v, "pmid", ""))
def test_hand_checked_nlm_strings(record, expected):
    assert format_nlm(record) == expected


def test_collective_author_from_real_record_29963580_follows_et_al():
    # Eight people, then the group: six people, "et al.", then the group (NLM), not dropped.
    (record,) = parse_efetch_xml(read("efetch-pubmed-collective-author-29963580.xml"))
    assert format_authors(record.authors) == (
        "Guo F, Capaldi D, Kirby M, Sheikh K, Svenningsen S, McCormack DG, et al.; "
        "Canadian Respiratory Research Network"
    )
    assert format_authors(record.authors[6:]) == (
        "Fenster A, Parraga G; Canadian Respiratory Research Network"
    )


def test_demo_consensus_statement_keeps_its_group_after_et_al():
    assert format_authors(DEMO["28249076"].authors) == (
        "Sanacora G, Frye MA, McDonald W, Mathew SJ, Turner MS, Schatzberg AF, et al.; "
        "American Psychiatric Association (APA) Council of Research Task Force on Novel "
        "Biomarkers and Treatments"
    )


def test_manual_entry_without_pmid_links_its_url():
    manual = SimpleNamespace(
        pmid=None,
        doi="",
        url="https://www.example.org/guideline?a=1&b=2",
        authors=[{"collective_name": "National Example Institute"}],
        title="Opioid prescribing guideline",
        journal_abbrev="",
        journal_title="",
        year=2022,
        month="",
        volume="",
        issue="",
        pages="",
    )
    assert format_nlm(manual) == (
        "National Example Institute. Opioid prescribing guideline. 2022. "
        "Available from: https://www.example.org/guideline?a=1&b=2"
    )
    assert (
        '<a class="citation-url" href="https://www.example.org/guideline?a=1&amp;b=2">'
        in format_nlm_html(manual)
    )


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("521-546", "521-46"),
        ("1021-1029", "1021-9"),
        ("123-128", "123-8"),
        ("1116-1122", "1116-22"),
        ("1199-1200", "1199-200"),
        ("113-25", "113-25"),  # already abbreviated
        ("99-101", "99-101"),  # end is longer: nothing repeated to drop
        ("026002", "026002"),  # article number
        ("D36-D42", "D36-42"),
        ("e123-e127", "e123-7"),
        ("100-100", "100"),
        ("12-15, 17-19", "12-5, 17-9"),
        ("iii-iv", "iii-iv"),
    ],
)
def test_abbreviate_pages(pages, expected):
    assert abbreviate_pages(pages) == expected


def test_author_name_derives_initials_when_missing():
    assert author_name({"last_name": "Ling", "fore_name": "King-Hwa"}) == "Ling KH"
    assert author_name(Author(last_name="Plato")) == "Plato"


def test_html_rendering_escapes_and_links():
    record = PubmedRecord(
        pmid="29870458",
        doi="10.1000/a<b>#c",
        title='Is <script>alert("x")</script> & co safe?',
        authors=(Author("O'Brien", "Pat", "P"),),
        journal_abbrev="J Tests",
        year=2020,
    )
    html = format_nlm_html(record)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co safe?" in html
    assert "O&#x27;Brien P." in html
    assert (
        '<a class="citation-pmid" href="https://pubmed.ncbi.nlm.nih.gov/29870458/">29870458</a>.'
        in html
    )
    assert (
        '<a class="citation-doi" href="https://doi.org/10.1000/a%3Cb%3E%23c">10.1000/a&lt;b&gt;#c</a>.'
        in html
    )
    # The HTML is the plain text plus links: strip the tags, unescape, and they match.
    import html as html_lib

    assert html_lib.unescape(re.sub(r"<[^>]+>", "", html)) == format_nlm(record)


def test_html_never_links_a_javascript_url():
    manual = SimpleNamespace(
        pmid="",
        doi="",
        url="javascript:alert(1)",
        authors=[],
        title="T",
        journal_abbrev="",
        journal_title="",
        year=None,
        month="",
        volume="",
        issue="",
        pages="",
    )
    html = format_nlm_html(manual)
    assert "<a" not in html
    assert html == "T. Available from: javascript:alert(1)"


def test_urls():
    assert pubmed_url("29870458") == "https://pubmed.ncbi.nlm.nih.gov/29870458/"
    assert pubmed_url("0123") == ""
    assert pubmed_url(None) == ""
    assert doi_url("10.1016/0005-2795(76)90109-4") == "https://doi.org/10.1016/0005-2795(76)90109-4"
    assert doi_url("") == ""
