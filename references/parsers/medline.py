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
    clean_doi,
    clean_pmid,
    collapse,
    is_retracted_type,
    split_date,
)
from references.parsers.esummary import parse_summary_author
from references.records import Author, PubmedRecord, PubMedResponseError

_LINE_RE = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*- ?(.*)$")
_CONTINUATION = "      "
_PMID_IN_TEXT_RE = re.compile(r"PMID:\s*(\d+)")
_ID_WITH_TYPE_RE = re.compile(r"^(.*?)\s*\[(\w+)\]\s*$")


def parse_medline(text: str | bytes) -> list[PubmedRecord]:
    """Parse a MEDLINE export into records; raise `PubMedResponseError` on anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PubMedResponseError(f"The MEDLINE file is not UTF-8 text: {exc}") from exc
    records = [_record(fields) for fields in _blocks(text)]
    if not records:
        raise PubMedResponseError("No MEDLINE records found (expected lines like 'PMID- 123').")
    return records


def _blocks(text: str) -> Iterator[list[tuple[str, str]]]:
    """Yield each record as an ordered list of (tag, value), continuations joined."""
    fields: list[tuple[str, str]] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            if fields:
                yield fields
                fields = []
            continue
        if line.startswith(_CONTINUATION) and fields:
            tag, value = fields[-1]
            fields[-1] = (tag, f"{value} {line.strip()}")
            continue
        match = _LINE_RE.match(line)
        if not match:
            raise PubMedResponseError(f"Line {number} is not in MEDLINE format: {line[:60]!r}")
        if not fields and match.group(1) != "PMID":
            raise PubMedResponseError(f"Line {number}: a MEDLINE record must start with 'PMID-'.")
        fields.append((match.group(1), match.group(2).strip()))
    if fields:
        yield fields


def _record(fields: list[tuple[str, str]]) -> PubmedRecord:
    values: dict[str, list[str]] = {}
    for tag, value in fields:
        values.setdefault(tag, []).append(value)

    def first(tag: str) -> str:
        return collapse(values.get(tag, [""])[0])

    pmid = clean_pmid(first("PMID"))
    if not pmid:
        raise PubMedResponseError(f"Invalid PMID in MEDLINE record: {first('PMID')!r}")
    year, month = split_date(first("DP"))
    publication_types = tuple(collapse(value) for value in values.get("PT", []))
    retraction_pmid = ""
    for value in values.get("RIN", []):
        match = _PMID_IN_TEXT_RE.search(value)
        if match:
            retraction_pmid = clean_pmid(match.group(1))
            break
    return PubmedRecord(
        pmid=pmid,
        title=first("TI"),
        doi=_doi(values.get("LID", []) + values.get("AID", [])),
        authors=_authors(fields),
        journal_abbrev=first("TA"),
        journal_title=first("JT"),
        year=year,
        month=month,
        volume=first("VI"),
        issue=first("IP"),
        pages=first("PG"),
        publication_types=publication_types,
        abstract=first("AB"),
        retracted=is_retracted_type(publication_types) or "RIN" in values,
        retraction_notice_pmid=retraction_pmid,
    )


def _doi(values: list[str]) -> str:
    for value in values:
        match = _ID_WITH_TYPE_RE.match(value)
        if match and match.group(2) == "doi":
            return clean_doi(match.group(1))
    return ""


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
                fore = re.sub(r",?\s*\b(?:Jr|Sr)\b\.?$", "", fore).strip(" ,")
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
