"""Property-based tests of the PubMed parsers (hypothesis; profile in tests/conftest.py).

Two properties, over every entry point (`parse_any`, `parse_efetch_xml`, `iter_efetch_xml`,
`parse_esummary_json`, `parse_medline`):

- whatever the input (arbitrary bytes or text, random JSON, valid documents with bytes
  flipped), the only exception that escapes is `PubMedResponseError`, which the import turns
  into a readable message;
- a valid record written in any of the three formats reads back with the same PMID, title,
  DOI, year and authors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from references.parsers import (
    iter_efetch_xml,
    parse_any,
    parse_efetch_xml,
    parse_esummary_json,
    parse_medline,
)
from references.parsers.common import collapse
from references.pubmed import PubMedResponseError


def esummary_records(data):
    return list(parse_esummary_json(data).records)


ENTRY_POINTS = {
    "parse_any": parse_any,
    "parse_efetch_xml": parse_efetch_xml,
    "iter_efetch_xml": lambda data: list(iter_efetch_xml(data)),
    "parse_esummary_json": esummary_records,
    "parse_medline": parse_medline,
}


def parses_or_refuses(parser, data) -> list:
    """Run a parser: its records, or [] if it refused the input with its own error."""
    try:
        return list(parser(data))
    except PubMedResponseError:
        return []


# --- Documents built from records ----------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """The key fields of one record, and how each format writes them."""

    pmid: str
    title_words: tuple[str, ...]
    doi: str
    year: int
    authors: tuple[tuple[str, str], ...]  # (last name, initials)

    @property
    def title(self) -> str:
        return " ".join(self.title_words)

    def medline(self) -> str:
        # Long titles wrap onto continuation lines, as PubMed's export does.
        title_lines = [" ".join(self.title_words[i : i + 3]) for i in range(0, 99, 3)]
        title = "\n      ".join(line for line in title_lines if line)
        lines = [f"PMID- {self.pmid}", f"TI  - {title}", f"DP  - {self.year} Jan 5"]
        lines += [f"AU  - {last} {initials}" for last, initials in self.authors]
        if self.doi:
            lines.append(f"LID - {self.doi} [doi]")
        return "\n".join(lines) + "\n"

    def efetch(self) -> str:
        authors = "".join(
            f"<Author><LastName>{escape(last)}</LastName><Initials>{initials}</Initials></Author>"
            for last, initials in self.authors
        )
        doi = f'<ArticleId IdType="doi">{escape(self.doi)}</ArticleId>' if self.doi else ""
        return (
            f"<PubmedArticle><MedlineCitation><PMID>{self.pmid}</PMID><Article><Journal>"
            f"<JournalIssue><PubDate><Year>{self.year}</Year><Month>Jan</Month></PubDate>"
            f"</JournalIssue></Journal><ArticleTitle>{escape(self.title)}</ArticleTitle>"
            f"<AuthorList>{authors}</AuthorList></Article></MedlineCitation>"
            f"<PubmedData><ArticleIdList>{doi}</ArticleIdList></PubmedData></PubmedArticle>"
        )

    def esummary(self) -> dict:
        return {
            "uid": self.pmid,
            "title": self.title,
            "pubdate": f"{self.year} Jan 5",
            "authors": [
                {"name": f"{last} {initials}", "authtype": "Author"}
                for last, initials in self.authors
            ],
            "articleids": [{"idtype": "doi", "value": self.doi}] if self.doi else [],
        }


def efetch_document(samples) -> bytes:
    return (
        "<PubmedArticleSet>" + "".join(s.efetch() for s in samples) + "</PubmedArticleSet>"
    ).encode()


def medline_document(samples) -> bytes:
    return "\n".join(sample.medline() for sample in samples).encode()


def esummary_document(samples) -> bytes:
    result = {"uids": [sample.pmid for sample in samples]}
    result.update({sample.pmid: sample.esummary() for sample in samples})
    return json.dumps({"header": {"type": "esummary"}, "result": result}).encode()


FORMATS = {"efetch": efetch_document, "medline": medline_document, "esummary": esummary_document}

# Words: any letters, digits, marks, punctuation or symbols, so no whitespace and nothing an
# XML document cannot hold (controls, surrogates, unassigned code points).
words = st.text(
    st.characters(categories=("L", "M", "N", "P", "S"), exclude_characters="\ufffe\uffff"),
    min_size=1,
    max_size=12,
)
dois = st.builds(
    lambda registrant, suffix: f"10.{registrant}/{suffix}",
    st.integers(1000, 99999),
    st.text(st.characters(categories=("L", "N", "P"), exclude_characters="[]"), min_size=1),
)
names = st.text(st.characters(categories=("Lu", "Ll")), min_size=2, max_size=15).map(str.capitalize)
initials = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=3)
samples = st.builds(
    Sample,
    pmid=st.integers(1, 99_999_999).map(str),
    title_words=st.lists(words, min_size=1, max_size=20).map(tuple),
    doi=st.one_of(st.just(""), dois),
    year=st.integers(1000, 9999),
    authors=st.lists(st.tuples(names, initials), max_size=4).map(tuple),
)
sample_lists = st.lists(samples, min_size=1, max_size=4, unique_by=lambda sample: sample.pmid)


@pytest.mark.parametrize("kind", sorted(FORMATS))
@given(sample_lists)
def test_valid_records_round_trip_their_key_fields(kind, samples):
    data = FORMATS[kind](samples)
    records = parse_any(data)
    assert [record.pmid for record in records] == [sample.pmid for sample in samples]
    for record, sample in zip(records, samples, strict=True):
        assert record.title == collapse(sample.title)
        assert record.doi == sample.doi
        assert (record.year, record.month) == (sample.year, "Jan")
        assert [(a.last_name, a.initials) for a in record.authors] == list(sample.authors)
        assert record.problems == ()


BOMS = ["", "\ufeff"]


@pytest.mark.parametrize("kind", sorted(FORMATS))
@given(samples=sample_lists, encoding=st.sampled_from(["utf-8", "utf-16-le", "utf-16-be"]))
def test_a_byte_order_mark_changes_nothing(kind, samples, encoding):
    data = FORMATS[kind](samples)
    marked = ("\ufeff" + data.decode("utf-8")).encode(encoding)
    assert parse_any(marked) == parse_any(data)


# --- Only PubMedResponseError escapes -------------------------------------------------------

# Arbitrary bytes, often behind a start that sends them down one parser's path.
prefixes = st.sampled_from(
    [
        b"",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"<",
        b"{",
        b"PMID- ",
        b"PMID- 1\n",
        b"<PubmedArticleSet><PubmedArticle>",
        b'{"header": {"type": "esummary"}, "result": ',
    ]
)


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
@given(prefix=prefixes, data=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_the_parser_error(entry_point, prefix, data):
    parses_or_refuses(ENTRY_POINTS[entry_point], prefix + data)


# Text, with what hypothesis never generates on its own: lone surrogates (JSON can decode to
# them), and the byte-order mark and NUL.
texts = st.lists(
    st.text(max_size=40)
    | st.sampled_from(["\ud800", "\udfff", "\ufeff", "\x00", "PMID- 1\n", "<a>"]),
    max_size=8,
).map("".join)


@pytest.mark.parametrize(
    "entry_point", ["parse_efetch_xml", "parse_esummary_json", "parse_medline"]
)
@given(texts)
def test_arbitrary_text_raises_only_the_parser_error(entry_point, text):
    parses_or_refuses(ENTRY_POINTS[entry_point], text)


# Bytes that matter to one format or another; the last is a UTF-8-encoded lone surrogate.
NOISE = [
    b"<",
    b">",
    b"&",
    b'"',
    b"\n",
    b"\n      ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\x00",
    b"\xff",
    b"\n\nPMID- ",
    b"-",
    b"99999",
    b"<Year>",
    b"</",
    b"null",
    b"[[",
    b"\xed\xa0\x80",
]


@st.composite
def damaged(draw, kind: str) -> bytes:
    """A valid document of `kind` with a few bytes replaced, inserted or cut out."""
    data = bytearray(FORMATS[kind](draw(sample_lists)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        noise = draw(st.binary(min_size=1, max_size=4) | st.sampled_from(NOISE))
        if action == "replace":
            data[position : position + len(noise)] = noise
        elif action == "insert":
            data[position:position] = noise
        elif action == "delete":
            del data[position : position + len(noise)]
        else:
            del data[position:]
    return bytes(data)


@pytest.mark.parametrize("kind", sorted(FORMATS))
@given(data=st.data())
def test_damaged_documents_raise_only_the_parser_error(kind, data):
    document = data.draw(damaged(kind))
    own = {
        "efetch": "parse_efetch_xml",
        "medline": "parse_medline",
        "esummary": "parse_esummary_json",
    }
    for entry_point in ("parse_any", own[kind]):
        parses_or_refuses(ENTRY_POINTS[entry_point], document)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
SUMMARY_FIELDS = (
    "uid",
    "title",
    "pubdate",
    "epubdate",
    "authors",
    "articleids",
    "pubtype",
    "references",
    "elocationid",
    "source",
    "fulljournalname",
    "volume",
    "issue",
    "pages",
    "error",
)


@st.composite
def mistyped_esummaries(draw) -> dict:
    """A valid ESummary document whose fields are, here and there, any JSON value at all."""
    samples = draw(sample_lists)
    document = json.loads(esummary_document(samples))
    for sample in samples:
        summary = document["result"][sample.pmid]
        for author in summary["authors"]:
            if draw(st.booleans()):
                author[draw(st.sampled_from(["name", "authtype"]))] = draw(json_values)
        for key in draw(st.lists(st.sampled_from(SUMMARY_FIELDS), max_size=4)):
            summary[key] = draw(json_values)
    if draw(st.booleans()):
        document["result"]["uids"].append(draw(json_values))
    return document


@given(mistyped_esummaries())
def test_esummary_fields_of_any_json_type_raise_only_the_parser_error(document):
    parses_or_refuses(esummary_records, document)
    parses_or_refuses(esummary_records, json.dumps(document).encode())
    parses_or_refuses(parse_any, json.dumps(document).encode())


@given(json_values)
def test_any_json_document_raises_only_the_parser_error(value):
    parses_or_refuses(esummary_records, json.dumps(value))


def test_a_single_initial_that_is_also_a_roman_numeral_is_an_initial():
    # Found by the round trip above: "Patel V" was read as the suffix V with no initials.
    (record,) = parse_medline(b"PMID- 1\nAU  - Patel V\nAU  - Smith JA V\nAU  - Roe Jr\n")
    assert [(a.last_name, a.initials, a.suffix) for a in record.authors] == [
        ("Patel", "V", ""),
        ("Smith", "JA", "V"),
        ("Roe", "", "Jr"),
    ]
