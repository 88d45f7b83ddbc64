"""Parse the PubMed MEDLINE text export (the `.nbib` / "PubMed format" download).

Each record is a block of `TAG - value` lines (tags padded to four characters, continuation
lines indented by six spaces), records separated by blank lines. Structured abstracts arrive
flattened into one `AB` field with their labels inline ("PURPOSE: ... METHODS: ..."), which is
kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from references.parsers.common import (
    MEDLINE_TAG_STATUS,
    RETRACTION_STATUSES,
    clean_doi,
    clean_pmid,
    collapse,
    decode_text,
    notice_date,
    quote,
    split_date,
    strongest_status,
    type_statuses,
)
from references.parsers.esummary import parse_summary_author
from references.records import Author, PubmedRecord, PubMedResponseError

_LINE_RE = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*- ?(.*)$")
_CONTINUATION = "      "
_PMID_IN_TEXT_RE = re.compile(r"PMID:\s*(\d+)")
# "Jr" or "Sr" ending a collapsed FAU fore name ("John, Jr"): at most one comma and one space
# before it, so the search stays linear.
_FORE_NAME_SUFFIX_RE = re.compile(r",? ?\b(?:Jr|Sr)\b\.?$")


def parse_medline(text: str | bytes) -> list[PubmedRecord]:
    """Parse a MEDLINE export into records; raise `PubMedResponseError` on anything else.

    Bytes are UTF-8, or UTF-16 when the file starts with a UTF-16 byte-order mark; a UTF-8
    mark is skipped (Windows editors add one when saving).
    """
    text = decode_text(text, what="The MEDLINE file")
    records = [
        _record(fields, position=position, line=line)
        for position, (line, fields) in enumerate(_blocks(text), start=1)
    ]
    if not records:
        raise PubMedResponseError("No MEDLINE records found (expected lines like 'PMID- 123').")
    return records


def _blocks(text: str) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """Yield each record's first line number and its (tag, value) list, continuations joined."""
    fields: list[tuple[str, list[str]]] = []
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            if fields:
                yield start, _joined(fields)
                fields = []
            continue
        if line.startswith(_CONTINUATION) and fields:
            # Gathered in a list and joined once: adding each line to a string would copy the
            # value again for every line, quadratic in the length of a long field.
            fields[-1][1].append(line.strip())
            continue
        match = _LINE_RE.match(line)
        if not match:
            raise PubMedResponseError(f"Line {number} is not in MEDLINE format: {quote(line)}.")
        if not fields:
            if match.group(1) != "PMID":
                raise PubMedResponseError(
                    f"Line {number}: a MEDLINE record must start with 'PMID-'."
                )
            start = number
        fields.append((match.group(1), [match.group(2).strip()]))
    if fields:
        yield start, _joined(fields)


def _joined(fields: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    return [(tag, " ".join(parts)) for tag, parts in fields]


def _record(fields: list[tuple[str, str]], *, position: int, line: int) -> PubmedRecord:
    values: dict[str, list[str]] = {}
    for tag, value in fields:
        values.setdefault(tag, []).append(value)

    def first(tag: str) -> str:
        return collapse(values.get(tag, [""])[0])

    pmid = clean_pmid(first("PMID"))
    if not pmid:
        raise PubMedResponseError(
            f"MEDLINE record {position} (line {line}): {quote(first('PMID'))} is not a PMID "
            "(1 to 8 digits, not starting with 0)."
        )
    date = split_date(first("DP"))
    publication_types = tuple(collapse(value) for value in values.get("PT", []))
    links: dict[str, tuple[str, str]] = {}
    for tag, tag_status in MEDLINE_TAG_STATUS.items():
        for value in values.get(tag, []):
            match = _PMID_IN_TEXT_RE.search(value)
            if tag_status not in links or not links[tag_status][0]:
                links[tag_status] = (
                    clean_pmid(match.group(1)) if match else "",
                    notice_date(value),
                )
    status = strongest_status([*links, *type_statuses(publication_types)])
    notice_pmid, notice_on = links.get(status, ("", ""))
    return PubmedRecord(
        pmid=pmid,
        title=first("TI"),
        doi=_doi(values.get("LID", []) + values.get("AID", [])),
        authors=_authors(fields),
        journal_abbrev=first("TA"),
        journal_title=first("JT"),
        year=date.year,
        month=date.month,
        day=date.day,
        volume=first("VI"),
        issue=first("IP"),
        pages=first("PG"),
        publication_types=publication_types,
        abstract=first("AB"),
        retracted=status in RETRACTION_STATUSES,
        retraction_notice_pmid=notice_pmid,
        retraction_status=status,
        retraction_date=notice_on,
        problems=(date.problem,) if date.problem else (),
    )


def _doi(values: list[str]) -> str:
    for value in values:
        identifier, id_type = _split_typed_id(value)
        if id_type == "doi":
            return clean_doi(identifier)
    return ""


def _split_typed_id(value: str) -> tuple[str, str]:
    """Split an LID/AID value "10.1093/x [doi]" into ("10.1093/x", "doi"); no type: ("", "").

    String methods, not a regular expression: a lazy group followed by optional spaces
    backtracks over a long run of spaces once per character (seconds on a crafted line).
    """
    value = value.rstrip()
    opening = value.rfind("[")
    if opening < 0 or not value.endswith("]"):
        return "", ""
    return value[:opening].rstrip(), value[opening + 1 : -1]


def _authors(fields: list[tuple[str, str]]) -> tuple[Author, ...]:
    """Pair each FAU (full name) with the AU (short name) that follows it; CN is a collective."""
    authors: list[Author] = []
    pending_full: tuple[str, str] | None = None
    for tag, value in fields:
        if tag == "FAU":
            last, _, fore = collapse(value).partition(",")
            pending_full = (last.strip(), fore.strip())
        elif tag == "AU":
            short = parse_summary_author(value)
            if pending_full is not None:
                last, fore = pending_full
                # FAU may end in ", Jr": NLM keeps the suffix separately from the given names.
                fore = _FORE_NAME_SUFFIX_RE.sub("", fore).strip(" ,")
                authors.append(
                    Author(
                        last_name=last or short.last_name,
                        fore_name=fore,
                        initials=short.initials,
                        suffix=short.suffix,
                    )
                )
                pending_full = None
            else:
                authors.append(short)
        elif tag == "CN":
            authors.append(Author(collective_name=collapse(value)))
    return tuple(authors)
