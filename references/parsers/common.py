"""Helpers shared by the EFetch, ESummary and MEDLINE parsers: dates, DOIs, whitespace."""

from __future__ import annotations

import re

from references.records import PMID_RE

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_LOOKUP: dict[str, str] = {}
for _number, _abbrev in enumerate(_MONTHS, start=1):
    _MONTH_LOOKUP[str(_number)] = _abbrev
    _MONTH_LOOKUP[f"{_number:02d}"] = _abbrev
    _MONTH_LOOKUP[_abbrev.lower()] = _abbrev
for _full in (
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
):
    _MONTH_LOOKUP[_full] = _full[:3].capitalize()

_WHITESPACE_RE = re.compile(r"\s+")
# "1998 Feb 28", "2006 Mar 1", "2012 Oct": a year, a month, maybe a day. Anything else after the
# year (a season, a range such as "Dec-1999 Jan") is kept verbatim, as NLM style prints it.
_DATE_RE = re.compile(r"^\s*(\d{4})\b\s*(.*?)\s*$", re.DOTALL)
_MONTH_AND_DAY_RE = re.compile(r"^([A-Za-z]{3,9}|\d{1,2})(?:\s+\d{1,2})?$")
_DOI_PREFIX_RE = re.compile(r"^\s*(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (XML indentation, MEDLINE line wraps) to single spaces."""
    if not text:
        return ""
    # Fast path: most values are already clean, and this runs for every field of every record.
    if "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()
    return _WHITESPACE_RE.sub(" ", text).strip()


def normalise_month(value: str | None) -> str:
    """Return the NLM three-letter month for "3", "03", "mar" or "March"; other text as given."""
    value = collapse(value)
    return _MONTH_LOOKUP.get(value.lower(), value)


def split_date(text: str | None) -> tuple[int | None, str]:
    """Split a free-text publication date into (year, month part).

    Handles PubMed MedlineDate, ESummary `pubdate` and MEDLINE `DP` values alike:
    "1998 Feb 28" -> (1998, "Feb"); "2000 Spring-Summer" -> (2000, "Spring-Summer");
    "1998 Dec-1999 Jan" -> (1998, "Dec-1999 Jan"); "Winter" -> (None, "").
    """
    match = _DATE_RE.match(text or "")
    if not match:
        return None, ""
    year, rest = int(match.group(1)), collapse(match.group(2))
    month_and_day = _MONTH_AND_DAY_RE.match(rest)
    if month_and_day:
        return year, normalise_month(month_and_day.group(1))
    return year, rest


def clean_doi(value: str | None) -> str:
    """Strip a "doi:" or doi.org prefix and surrounding space from a DOI."""
    value = collapse(value)
    return _DOI_PREFIX_RE.sub("", value).strip()


def clean_pmid(value: str | None) -> str:
    """Return the PMID if well formed, else "" (a malformed id is treated as absent)."""
    value = collapse(value)
    return value if PMID_RE.match(value) else ""


def is_retracted_type(publication_types: tuple[str, ...]) -> bool:
    """True if PubMed marks the record "Retracted Publication" (the first retraction signal)."""
    return any(value.casefold() == "retracted publication" for value in publication_types)
