"""Parse PubMed ESummary JSON (`db=pubmed&retmode=json`, version 2.0) into `PubmedRecord`s.

ESummary carries no abstract and names authors as "Wakefield AJ", so it is less complete than
EFetch; it is accepted for imports, and because it reports unknown ids one by one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from references.parsers.common import (
    RETRACTION_STATUSES,
    clean_doi,
    clean_pmid,
    collapse,
    decode_text,
    link_status,
    notice_date,
    split_date,
    strongest_status,
    type_statuses,
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
    in `errors`; a document-level error, a non-ESummary document, or a field of the wrong JSON
    type (a list where PubMed sends text) raises `PubMedResponseError`. Bytes are UTF-8, or
    what a byte-order mark says.
    """
    try:
        return _parse(data)
    except RecursionError as exc:
        # json.loads (and repr) recurse once per level of nesting: "[[[[..." is not ESummary.
        raise PubMedResponseError("The ESummary response is nested too deeply to read.") from exc


def _parse(data: bytes | str | dict[str, Any]) -> ESummaryResult:
    if isinstance(data, bytes | str):
        text = decode_text(data, what="The ESummary response")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PubMedResponseError(f"The ESummary response is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PubMedResponseError("The ESummary response is not a JSON object.")
    if "error" in data:
        raise PubMedResponseError(f"PubMed returned an error: {_shown(data['error'])}")
    header = data.get("header")
    if not isinstance(header, dict) or header.get("type") != "esummary":
        raise PubMedResponseError("Expected an ESummary JSON document (header type 'esummary').")
    if "esummaryresult" in data:
        # NCBI's JSON form of an <ERROR>: {"esummaryresult": ["Invalid uid ..."]}.
        raise PubMedResponseError(f"PubMed returned an error: {_shown(data['esummaryresult'])}")
    result = data.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("uids"), list):
        raise PubMedResponseError("The ESummary response has no result.uids list.")

    records: list[PubmedRecord] = []
    errors: dict[str, str] = {}
    for uid in result["uids"]:
        if not isinstance(uid, str | int) or isinstance(uid, bool):
            raise PubMedResponseError(f"result.uids holds {_shown(uid)}, which is not an id.")
        summary = result.get(str(uid))
        if not isinstance(summary, dict):
            errors[str(uid)] = "missing from the response"
        elif "error" in summary:
            errors[str(uid)] = _shown(summary["error"])
        else:
            records.append(_record(summary))
    return ESummaryResult(records=tuple(records), errors=errors)


def _shown(value: Any) -> str:
    """A JSON value as an error message shows it: text as is, anything else as JSON; short."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 200 else text[:197] + "..."


def _text(mapping: dict[str, Any], key: str, *, where: str) -> str:
    """The text field `key`, whitespace collapsed; a number is read as its digits.

    Anything else (a list, an object, true/false) is a broken document, reported with `where`
    so the editor can find the record.
    """
    return _as_text(mapping.get(key), key=key, where=where)


def _as_text(value: Any, *, key: str, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return collapse(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return collapse(str(value))
    raise PubMedResponseError(
        f"{where}: '{key}' should be text, not {_json_type(value)}: {_shown(value)}."
    )


def _list(mapping: dict[str, Any], key: str, *, where: str) -> list[Any]:
    """The list field `key` ([] when absent or null); anything else is a broken document."""
    value = mapping.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise PubMedResponseError(
        f"{where}: '{key}' should be a list, not {_json_type(value)}: {_shown(value)}."
    )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a number" if isinstance(value, int | float) else "text"


def parse_summary_author(name: str) -> Author:
    """Split an ESummary author name ("de Azevedo WF Jr") into last name, initials, suffix."""
    tokens = collapse(name).split(" ")
    suffix = ""
    # "Patel V" is initial V, not the suffix V: a suffix that reads like initials ("II", "V")
    # counts as one only after the initials ("Smith JA V").
    if (
        len(tokens) > 1
        and tokens[-1] in _SUFFIXES
        and (not _looks_like_initials(tokens[-1]) or _looks_like_initials(tokens[-2]))
    ):
        suffix = tokens.pop()
    initials = ""
    if len(tokens) > 1 and _looks_like_initials(tokens[-1]):
        initials = tokens.pop()
    return Author(last_name=" ".join(tokens), initials=initials, suffix=suffix)


def _looks_like_initials(token: str) -> bool:
    return token.isalpha() and token.isupper()


def _record(summary: dict[str, Any]) -> PubmedRecord:
    pmid = clean_pmid(_text(summary, "uid", where="An ESummary entry"))
    if not pmid:
        raise PubMedResponseError(
            f"An ESummary entry has no valid uid: {_shown(summary.get('uid'))}."
        )
    where = f"ESummary record {pmid}"
    ids: dict[str, str] = {}
    for item in _list(summary, "articleids", where=where):
        if isinstance(item, dict) and (id_type := _text(item, "idtype", where=where)):
            ids[id_type] = _text(item, "value", where=where)
    doi = clean_doi(ids.get("doi"))
    elocation = _text(summary, "elocationid", where=where)
    if not doi and "doi:" in elocation:
        doi = clean_doi(elocation.split("doi:", 1)[1])
    date = split_date(
        _text(summary, "pubdate", where=where) or _text(summary, "epubdate", where=where)
    )
    publication_types = tuple(
        _as_text(value, key="pubtype", where=where)
        for value in _list(summary, "pubtype", where=where)
    )
    links: dict[str, tuple[str, str]] = {}
    for reference in _list(summary, "references", where=where):
        if not isinstance(reference, dict):
            continue
        status = link_status(_text(reference, "reftype", where=where))
        if status and (status not in links or not links[status][0]):
            links[status] = (
                clean_pmid(_text(reference, "pmid", where=where)),
                notice_date(_text(reference, "refsource", where=where)),
            )
    status = strongest_status([*links, *type_statuses(publication_types)])
    notice_pmid, notice_on = links.get(status, ("", ""))
    return PubmedRecord(
        pmid=pmid,
        title=_text(summary, "title", where=where),
        doi=doi,
        authors=_authors(_list(summary, "authors", where=where), where=where),
        journal_abbrev=_text(summary, "source", where=where),
        journal_title=_text(summary, "fulljournalname", where=where),
        year=date.year,
        month=date.month,
        day=date.day,
        volume=_text(summary, "volume", where=where),
        issue=_text(summary, "issue", where=where),
        pages=_text(summary, "pages", where=where),
        publication_types=publication_types,
        retracted=status in RETRACTION_STATUSES,
        retraction_notice_pmid=notice_pmid,
        retraction_status=status,
        retraction_date=notice_on,
        other_ids=tuple(
            (key, value) for key, value in ids.items() if key not in ("doi", "pubmed") and value
        ),
        problems=(date.problem,) if date.problem else (),
    )


def _authors(items: list[Any], *, where: str) -> tuple[Author, ...]:
    authors = []
    for item in items:
        if not isinstance(item, dict):
            continue
        # The 2012 NCBI prototype pads authtype with newlines and tabs, hence collapse().
        kind = _text(item, "authtype", where=where) or "Author"
        name = _text(item, "name", where=where)
        if not name:
            continue
        if kind == "CollectiveName":
            authors.append(Author(collective_name=name))
        elif kind == "Author":
            authors.append(parse_summary_author(name))
    return tuple(authors)
