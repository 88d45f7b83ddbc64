"""Parse PubMed ESummary JSON (`db=pubmed&retmode=json`, version 2.0) into `PubmedRecord`s.

ESummary carries no abstract and names authors as "Wakefield AJ", so it is less complete than
EFetch; it is accepted for imports, and because it reports unknown ids one by one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from references.parsers.common import (
    clean_doi,
    clean_pmid,
    collapse,
    is_retracted_type,
    split_date,
)
from references.records import Author, PubmedRecord, PubMedResponseError

# Generational suffixes NLM keeps after the initials ("de Azevedo WF Jr").
_SUFFIXES = frozenset({"Jr", "Sr", "2nd", "3rd", "4th", "II", "III", "IV", "V"})


@dataclass(frozen=True)
class ESummaryResult:
    """Records found, in response order, and `{uid: message}` for the ids NCBI rejected."""

    records: tuple[PubmedRecord, ...]
    errors: dict[str, str] = field(default_factory=dict)


def parse_esummary_json(data: bytes | str | dict[str, Any]) -> ESummaryResult:
    """Parse an ESummary JSON response.

    A per-id error (`{"uid": "99999999", "error": "cannot get document summary"}`) is reported
    in `errors`; a document-level error or a non-ESummary document raises
    `PubMedResponseError`.
    """
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PubMedResponseError(f"The ESummary response is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PubMedResponseError("The ESummary response is not a JSON object.")
    if "error" in data:
        raise PubMedResponseError(f"PubMed returned an error: {data['error']}")
    header = data.get("header")
    if not isinstance(header, dict) or header.get("type") != "esummary":
        raise PubMedResponseError("Expected an ESummary JSON document (header type 'esummary').")
    if "esummaryresult" in data:
        # NCBI's JSON form of an <ERROR>: {"esummaryresult": ["Invalid uid ..."]}.
        raise PubMedResponseError(f"PubMed returned an error: {data['esummaryresult']}")
    result = data.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("uids"), list):
        raise PubMedResponseError("The ESummary response has no result.uids list.")

    records: list[PubmedRecord] = []
    errors: dict[str, str] = {}
    for uid in result["uids"]:
        summary = result.get(str(uid))
        if not isinstance(summary, dict):
            errors[str(uid)] = "missing from the response"
        elif "error" in summary:
            errors[str(uid)] = str(summary["error"])
        else:
            records.append(_record(summary))
    return ESummaryResult(records=tuple(records), errors=errors)


def parse_summary_author(name: str) -> Author:
    """Split an ESummary author name ("de Azevedo WF Jr") into last name, initials, suffix."""
    tokens = collapse(name).split(" ")
    suffix = ""
    if len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        suffix = tokens.pop()
    initials = ""
    if len(tokens) > 1 and tokens[-1].isalpha() and tokens[-1].isupper():
        initials = tokens.pop()
    return Author(last_name=" ".join(tokens), initials=initials, suffix=suffix)


def _record(summary: dict[str, Any]) -> PubmedRecord:
    pmid = clean_pmid(str(summary.get("uid", "")))
    if not pmid:
        raise PubMedResponseError(f"An ESummary entry has no valid uid: {summary.get('uid')!r}")
    ids = {
        str(item.get("idtype")): str(item.get("value", ""))
        for item in summary.get("articleids") or []
        if isinstance(item, dict)
    }
    doi = clean_doi(ids.get("doi"))
    if not doi and "doi:" in str(summary.get("elocationid", "")):
        doi = clean_doi(str(summary["elocationid"]).split("doi:", 1)[1])
    year, month = split_date(summary.get("pubdate") or summary.get("epubdate"))
    publication_types = tuple(collapse(value) for value in summary.get("pubtype") or [])
    retraction_pmid = ""
    has_retraction_link = False
    for reference in summary.get("references") or []:
        if isinstance(reference, dict) and collapse(reference.get("reftype")).lower() in (
            "retraction in",
            "retractionin",
        ):
            has_retraction_link = True
            retraction_pmid = retraction_pmid or clean_pmid(str(reference.get("pmid", "")))
    return PubmedRecord(
        pmid=pmid,
        title=collapse(summary.get("title")),
        doi=doi,
        authors=_authors(summary.get("authors") or []),
        journal_abbrev=collapse(summary.get("source")),
        journal_title=collapse(summary.get("fulljournalname")),
        year=year,
        month=month,
        volume=collapse(summary.get("volume")),
        issue=collapse(summary.get("issue")),
        pages=collapse(summary.get("pages")),
        publication_types=publication_types,
        retracted=is_retracted_type(publication_types) or has_retraction_link,
        retraction_notice_pmid=retraction_pmid,
        other_ids=tuple(
            (key, value) for key, value in ids.items() if key not in ("doi", "pubmed") and value
        ),
    )


def _authors(items: list[Any]) -> tuple[Author, ...]:
    authors = []
    for item in items:
        if not isinstance(item, dict):
            continue
        # The 2012 NCBI prototype pads authtype with newlines and tabs, hence collapse().
        kind = collapse(item.get("authtype")) or "Author"
        name = collapse(item.get("name"))
        if not name:
            continue
        if kind == "CollectiveName":
            authors.append(Author(collective_name=name))
        elif kind == "Author":
            authors.append(parse_summary_author(name))
    return tuple(authors)
