"""Bad input gets a clear answer and changes nothing (issue 14): PubMed files and the import.

Each test names what an editor's file once did (a traceback, a refusal, minutes of CPU) and
what it does now. Property-based checks over arbitrary input are in test_parser_properties.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from references.formatting import abbreviate_pages
from references.models import Citation
from references.parsers import parse_any, parse_efetch_xml, parse_esummary_json, parse_medline
from references.parsers.common import clean_doi, collapse, split_date
from references.pubmed import PubMedResponseError
from references.services import citations_import_records
from tests.references.conftest import article_xml, efetch_set, read

MEDLINE = read("medline-pubmed-12230038.txt")
ESUMMARY = read("esummary-pubmed-v2-json-retracted-doi-invalid-id.json")
LONG_DOI = "10.1000/" + "x" * 300


def with_doi(xml: bytes, doi: str) -> bytes:
    """A synthetic <PubmedArticle> given a DOI in its ArticleIdList."""
    ids = f'<PubmedData><ArticleIdList><ArticleId IdType="doi">{doi}</ArticleId></ArticleIdList>'
    return xml.replace(b"</PubmedArticle>", ids.encode() + b"</PubmedData></PubmedArticle>")


def with_year(xml: bytes, year: str) -> bytes:
    return xml.replace(b"<Year>2020</Year>", f"<Year>{year}</Year>".encode())


def esummary(**fields) -> bytes:
    """An ESummary document with one record, PMID 1000001, holding `fields`."""
    summary = {"uid": "1000001", "title": "A synthetic test article.", **fields}
    return json.dumps(
        {"header": {"type": "esummary"}, "result": {"uids": ["1000001"], "1000001": summary}}
    ).encode()


def run_import(path, *extra):
    """Run import_citations on a file; return (stdout, stderr, the CommandError or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_citations", "--file", str(path), "--no-progress", *extra, stdout=out, stderr=err
        )
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


# --- 1. Records that cannot be stored: one readable line each, nothing stored --------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("article", "expected"),
    [
        (
            with_doi(article_xml("1000002"), LONG_DOI),
            "Record 2 (PMID 1000002): DOI: Ensure this value has at most 255 characters "
            "(it has 308).",
        ),
        (
            with_year(article_xml("1000002"), "99999"),
            "Record 2 (PMID 1000002): Year '99999': a publication year has four digits.",
        ),
    ],
    ids=["doi-over-255", "year-99999"],
)
def test_import_names_the_bad_record_in_plain_words_and_stores_nothing(tmp_path, article, expected):
    path = tmp_path / "pubmed.xml"
    path.write_bytes(efetch_set([article_xml("1000001"), article, article_xml("1000003")]))

    _out, err, error = run_import(path)

    assert err.splitlines() == [f"pubmed.xml: {expected}"]
    assert error is not None and error.returncode == 1
    assert str(error) == (
        "pubmed.xml: 1 of 3 record(s) cannot be stored (listed above). Nothing was imported. "
        "Correct the file, or use --skip-invalid to import the other records."
    )
    assert not Citation.objects.exists()


@pytest.mark.django_db
def test_every_bad_record_is_listed_not_only_the_first(tmp_path):
    path = tmp_path / "pubmed.xml"
    path.write_bytes(
        efetch_set(
            [
                with_doi(article_xml("1000001"), LONG_DOI),
                article_xml("1000002"),
                with_year(with_doi(article_xml("1000003"), LONG_DOI), "20201"),
            ]
        )
    )
    _out, err, error = run_import(path)
    lines = err.splitlines()
    assert [line.split(":")[1] for line in lines] == [
        " Record 1 (PMID 1000001)",
        " Record 3 (PMID 1000003)",
    ]
    assert "Year '20201'" in lines[1] and "DOI: Ensure" in lines[1]
    assert "2 of 3 record(s) cannot be stored" in str(error)
    assert not Citation.objects.exists()


@pytest.mark.django_db
def test_skip_invalid_stores_the_good_records_and_still_fails(tmp_path):
    path = tmp_path / "pubmed.xml"
    path.write_bytes(
        efetch_set([article_xml("1000001"), with_year(article_xml("1000002"), "99999")])
    )
    out, err, error = run_import(path, "--skip-invalid")
    assert "Imported 1 record(s) from pubmed.xml: 1 new" in out
    assert err.splitlines() == [
        "pubmed.xml: Record 2 (PMID 1000002): Year '99999': a publication year has four digits."
    ]
    assert str(error) == "pubmed.xml: 1 record(s) were not imported (listed above)."
    assert error.returncode == 1
    assert list(Citation.objects.values_list("pmid", flat=True)) == ["1000001"]


@pytest.mark.django_db
def test_skip_invalid_is_refused_without_a_file():
    with pytest.raises(CommandError, match="--skip-invalid applies to --file only"):
        call_command("import_citations", "29870458", "--skip-invalid")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Hello, this is not a PubMed file.\n", "Unrecognised file: expected PubMed XML"),
        (b"PMID- 12ab\nTI  - A title.\n", "MEDLINE record 1 (line 1): '12ab' is not a PMID"),
        (
            MEDLINE + b"\nPMID- 1\nnot a tag line\n",
            "Line 45 is not in MEDLINE format: 'not a tag line'.",
        ),
        (b"PMID- 1\n" + b"\x00\xff" * 40, "The MEDLINE file is not UTF-8 text (byte 10"),
        (b"<PubmedArticleSet></PubmedArticleSet>", "The file holds no PubMed record."),
        (esummary()[:-30], "The ESummary response is not valid JSON"),
        (b'{"header": {"type": "esummary"}, "result": {"uids": []}}', "holds no PubMed record"),
    ],
    ids=["prose", "bad-pmid", "bad-line", "binary", "empty-xml-set", "cut-json", "no-uids"],
)
def test_junk_file_is_one_readable_error_and_stores_nothing(tmp_path, data, message):
    path = tmp_path / "junk.txt"
    path.write_bytes(data)
    _out, _err, error = run_import(path)
    assert error is not None and message in str(error)
    assert str(error).startswith("junk.txt: ") and str(error).endswith("Nothing was imported.")
    assert "\n" not in str(error)
    assert not Citation.objects.exists()


@pytest.mark.django_db
def test_import_records_service_lists_every_bad_record_and_stores_nothing():
    records = parse_efetch_xml(
        efetch_set(
            [
                article_xml("1000001"),
                with_doi(article_xml("1000002"), LONG_DOI),
                with_year(article_xml("1000003"), "²"),
            ]
        )
    )
    with pytest.raises(ValidationError) as caught:
        citations_import_records(records=records)
    assert caught.value.messages == [
        "Record 2 (PMID 1000002): DOI: Ensure this value has at most 255 characters (it has 308).",
        "Record 3 (PMID 1000003): Year '²': a publication year has four digits.",
    ]
    assert not Citation.objects.exists()

    result = citations_import_records(records=records, skip_invalid=True)
    assert [citation.pmid for citation in result.created] == ["1000001"]
    assert [(problem.position, problem.pmid) for problem in result.skipped] == [
        (2, "1000002"),
        (3, "1000003"),
    ]


@pytest.mark.django_db
def test_characters_no_database_stores_are_dropped_from_json_and_medline(tmp_path):
    # NUL is refused by PostgreSQL (text and jsonb); a lone surrogate cannot be encoded at all.
    path = tmp_path / "summary.json"
    path.write_bytes(
        esummary(
            title="Pain\u0000 relief\ud800.",
            authors=[{"name": "Roe\u0000 J", "authtype": "Author"}],
            pubtype=["Review\u0000"],
        )
    )
    out, _err, error = run_import(path)
    assert error is None, error
    citation = Citation.objects.get(pmid="1000001")
    assert citation.title == "Pain relief."
    assert citation.authors[0]["last_name"] == "Roe"
    assert citation.publication_types == ["Review"]

    (record,) = parse_medline(b"PMID- 1000002\nTI  - Nul\x00 byte\x07.\n")
    assert record.title == "Nul byte."


# --- 2. Byte-order marks -------------------------------------------------------------------


def _medline_text() -> str:
    return MEDLINE.decode("utf-8")


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", "\ufeff"), ("utf-16-le", "\ufeff"), ("utf-16-be", "\ufeff"), ("utf-16", "")],
)
@pytest.mark.parametrize("kind", ["medline", "efetch", "esummary"])
def test_a_byte_order_mark_is_accepted_in_every_format(kind, encoding, bom):
    text = {
        "medline": _medline_text(),
        "efetch": read("efetch-pubmed-12091962-9997.xml").decode("utf-8"),
        "esummary": ESUMMARY.decode("utf-8"),
    }[kind]
    data = (bom + text).encode(encoding)  # "utf-16" writes its own BOM

    plain = {
        "medline": parse_medline(MEDLINE),
        "efetch": parse_efetch_xml(read("efetch-pubmed-12091962-9997.xml")),
        "esummary": list(parse_esummary_json(ESUMMARY).records),
    }[kind]
    parser = {
        "medline": parse_medline,
        "efetch": parse_efetch_xml,
        "esummary": lambda data: list(parse_esummary_json(data).records),
    }[kind]
    assert parser(data) == plain
    if kind != "esummary":  # the ESummary sample reports an unknown id, which parse_any refuses
        assert parse_any(data) == plain


def test_text_input_may_start_with_a_byte_order_mark():
    assert parse_medline("\ufeff" + _medline_text()) == parse_medline(MEDLINE)
    assert parse_esummary_json("\ufeff" + ESUMMARY.decode()) == parse_esummary_json(ESUMMARY)


# --- 3. Only the parser's own error escapes -------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ["a", "list"]}, "'title' should be text, not a list"),
        ({"title": {"an": "object"}}, "'title' should be text, not an object"),
        ({"volume": True}, "'volume' should be text, not true/false"),
        ({"authors": 5}, "'authors' should be a list, not a number"),
        ({"authors": "Roe J"}, "'authors' should be a list, not text"),
        ({"authors": [{"name": ["Roe J"]}]}, "'name' should be text, not a list"),
        ({"authors": [{"name": "Roe J", "authtype": ["Author"]}]}, "'authtype' should be text"),
        ({"pubtype": [1, {"x": 1}]}, "'pubtype' should be text, not an object"),
        ({"pubtype": "Review"}, "'pubtype' should be a list, not text"),
        ({"references": {"a": 1}}, "'references' should be a list"),
        ({"references": [{"reftype": 7}]}, None),  # a number reads as text: "7"
        ({"references": [{"reftype": ["x"]}]}, "'reftype' should be text"),
        ({"articleids": [{"idtype": "doi", "value": ["10.1/x"]}]}, "'value' should be text"),
        ({"articleids": "10.1/x"}, "'articleids' should be a list"),
        ({"pubdate": 2020}, None),
        ({"pubdate": {"year": 2020}}, "'pubdate' should be text"),
        ({"elocationid": ["doi: 10.1/x"]}, "'elocationid' should be text"),
        ({"uid": ["1000001"]}, "An ESummary entry: 'uid' should be text"),
    ],
)
def test_esummary_fields_of_the_wrong_type_are_a_parser_error(fields, message):
    if message is None:
        (record,) = parse_esummary_json(esummary(**fields)).records
        assert record.pmid == "1000001"
        return
    with pytest.raises(PubMedResponseError, match=message):
        parse_esummary_json(esummary(**fields))


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"header": {"type": "esummary"}, "error": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=["deep-list", "deep-error", "deep-object"],
)
def test_deeply_nested_json_is_a_parser_error(data):
    with pytest.raises(PubMedResponseError, match="nested too deeply|not valid JSON"):
        parse_esummary_json(data)
    with pytest.raises(PubMedResponseError):
        parse_any(data)


def test_efetch_year_that_python_calls_a_digit_is_not_a_crash():
    # "²".isdigit() is True and int("²") raises ValueError.
    (record,) = parse_efetch_xml(with_year(article_xml("1000001"), "²"))
    assert record.year is None and record.problems


def test_efetch_text_with_a_lone_surrogate_is_a_parser_error():
    with pytest.raises(PubMedResponseError, match="not well-formed"):
        parse_efetch_xml(article_xml("1000001").decode() + "\ud800")


# --- 4. Linear time on adversarial input ---------------------------------------------------


def _seconds(function, argument) -> float:
    """The best of three runs: the least disturbed by other work on the machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with contextlib.suppress(PubMedResponseError):
            function(argument)
        best = min(best, time.perf_counter() - start)
    return best


def medline_with(line: str) -> str:
    return f"PMID- 1000001\nTI  - A title.\n{line}\n"


def efetch_with_medline_date(value: str) -> bytes:
    return article_xml("1000001").replace(
        b"<Year>2020</Year><Month>Jan</Month>", f"<MedlineDate>{value}</MedlineDate>".encode()
    )


# Each builds an input of size about n that made a quadratic pattern backtrack or copy.
ADVERSARIAL = {
    "date-in-free-text": (split_date, lambda n: "2000 a" + " " * n + "b"),
    "efetch-medline-date": (
        parse_efetch_xml,
        lambda n: efetch_with_medline_date("2000 a" + " " * n + "b"),
    ),
    "esummary-pubdate": (parse_esummary_json, lambda n: esummary(pubdate="2000 a" + " " * n + "b")),
    "medline-lid-doi": (parse_medline, lambda n: medline_with("LID - 10.1/x" + " " * n + "y")),
    "medline-aid-near-misses": (parse_medline, lambda n: medline_with("AID - " + "[doi " * n)),
    "medline-continuation-lines": (
        parse_medline,
        lambda n: medline_with("AB  - start\n" + "      word\n" * n),
    ),
    "medline-tag-spaces": (parse_medline, lambda n: medline_with("AB" + " " * n + "x")),
    "medline-fau-suffix": (
        parse_medline,
        lambda n: medline_with("FAU - Roe, " + ", " * n + "x\nAU  - Roe J"),
    ),
    "medline-retraction-pmid": (parse_medline, lambda n: medline_with("RIN - " + "PMID: " * n)),
    "doi-prefix": (clean_doi, lambda n: "doi:" + " " * n + "x"),
    "collapse": (collapse, lambda n: " \t\n\x00" * n),
    "page-range": (abbreviate_pages, lambda n: "1" * n + "-" + "1" * n + "x-"),
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_parsing_time_grows_linearly_with_the_input(case):
    function, make = ADVERSARIAL[case]
    small, large = _seconds(function, make(25_000)), _seconds(function, make(100_000))
    # A generous bound, as a guard against super-linear behaviour (these took 4-5 s at 40,000
    # spaces): linear code takes milliseconds here.
    assert large < 1.0, f"{case}: {large:.2f} s for 100,000 characters"
    # Four times the input: about four times the time, not sixteen. Below 50 ms the ratio is
    # mostly noise from other processes, so it is only checked above.
    assert large < 0.05 or large < 8 * small, f"{case}: {small:.3f} s -> {large:.3f} s"
