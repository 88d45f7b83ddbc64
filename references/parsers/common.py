"""Helpers shared by the EFetch, ESummary and MEDLINE parsers: text, dates, DOIs, whitespace.

The parsers read files editors upload, so every helper here is written to stay linear in the
length of its input: no regular expression with two quantifiers that can match the same
characters next to each other (a space-skipping pattern, a lazy group, another space-skipping
pattern), which backtracks quadratically on a long run of spaces
(tests/references/test_bad_input.py times them).
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from references.records import PMID_RE, PubMedResponseError

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
# Characters no database column can hold (NUL: PostgreSQL refuses it in text and in jsonb; lone
# surrogates: not encodable as UTF-8) and the other C0 controls, which XML 1.0 forbids: a
# MEDLINE or JSON file may carry them, an EFetch document never can, so all formats drop them.
_UNSTORABLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]+")
# "1998 Feb 28", "2006 Mar 1", "2012 Oct": a year, a month, maybe a day. Anything else after the
# year (a season, a range such as "Dec-1999 Jan") is kept verbatim, as NLM style prints it.
# Matched against collapsed text, so no quantifier has to skip spaces around the parts.
_DATE_RE = re.compile(r"([0-9]+)\b(.*)", re.DOTALL)
_MONTH_AND_DAY_RE = re.compile(r"([A-Za-z]{3,9}|[0-9]{1,2})(?: ([0-9]{1,2}))?")
_DOI_PREFIX_RE = re.compile(r"(?:doi: ?|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
# Byte-order marks a saved file may start with (Windows editors add them). UTF-8 is the
# default; a UTF-16 BOM says how to decode the rest.
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_QUOTE_LENGTH = 60


def decode_text(data: bytes | str, *, what: str) -> str:
    """Decode a file's bytes: UTF-8, or whatever its byte-order mark says; the mark removed.

    `what` names the input in the error ("The MEDLINE file"). A str is returned without its
    mark, so text and bytes are read alike.
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    encoding = "utf-8"
    for bom, bom_encoding in BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], bom_encoding
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PubMedResponseError(
            f"{what} is not {encoding.upper()} text (byte {exc.start + 1} cannot be read)."
        ) from exc


def quote(text: str) -> str:
    """`text` for an error message: repr-quoted, shortened to a readable length."""
    if len(text) > _QUOTE_LENGTH:
        text = text[: _QUOTE_LENGTH - 3] + "..."
    return repr(text)


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (XML indentation, MEDLINE line wraps) to single spaces.

    Characters a database cannot store (NUL, lone surrogates, other control characters) are
    dropped here, since every text value of every parser passes through this function.
    """
    if not text:
        return ""
    # isprintable() is a quick C loop, False for any control character (and for some harmless
    # ones, such as a no-break space); only then is the text searched.
    if not text.isprintable():
        text = _UNSTORABLE_RE.sub("", text)
    # Fast path: most values are already clean, and this runs for every field of every record.
    if "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()
    return _WHITESPACE_RE.sub(" ", text).strip()


def normalise_month(value: str | None) -> str:
    """Return the NLM three-letter month for "3", "03", "mar" or "March"; other text as given."""
    value = collapse(value)
    return _MONTH_LOOKUP.get(value.lower(), value)


class PubDate(NamedTuple):
    """A publication date as NLM style prints it; `problem` says why a year was not taken.

    `day` is set only when `month` is one of the twelve month abbreviations.
    """

    year: int | None
    month: str = ""
    problem: str = ""
    day: int | None = None


def parse_day(text: str | None, month: str) -> int | None:
    """The day of the month in "1", "01" or "28" beside a single month; None otherwise."""
    value = collapse(text)
    if month not in _MONTHS or not (value.isascii() and value.isdigit()) or len(value) > 2:
        return None
    day = int(value)
    return day if 1 <= day <= 31 else None


def split_date(text: str | None) -> PubDate:
    """Split a free-text publication date into (year, month part).

    Handles PubMed MedlineDate, ESummary `pubdate` and MEDLINE `DP` values alike:
    "1998 Feb 28" -> (1998, "Feb", day 28); "2000 Spring-Summer" -> (2000, "Spring-Summer");
    "1998 Dec-1999 Jan" -> (1998, "Dec-1999 Jan"); "Winter" -> (None, ""). A date starting
    with a number of five or more digits ("99999 Jan") has a year that is not one: no year,
    and a problem.
    """
    value = collapse(text)
    match = _DATE_RE.match(value)
    if not match:
        return PubDate(None)
    digits, rest = match.group(1), match.group(2).strip()
    if len(digits) > 4:
        return PubDate(None, problem=f"Date {quote(value)}: a publication year has four digits.")
    if len(digits) < 4:
        return PubDate(None)  # a day, perhaps ("12 Jan"): not a year, and nothing to report
    month_and_day = _MONTH_AND_DAY_RE.fullmatch(rest)
    if month_and_day:
        month = normalise_month(month_and_day.group(1))
        return PubDate(int(digits), month, day=parse_day(month_and_day.group(2), month))
    return PubDate(int(digits), rest)


def parse_year(text: str | None) -> PubDate:
    """The year in an EFetch `<Year>` element, which has four ASCII digits.

    Anything else that is not empty ("99999", "²", "2O20") gives no year and a problem, so
    that the record is reported rather than stored without its year.
    """
    value = collapse(text)
    if not value:
        return PubDate(None)
    if len(value) == 4 and value.isascii() and value.isdigit():
        return PubDate(int(value))
    return PubDate(None, problem=f"Year {quote(value)}: a publication year has four digits.")


def clean_doi(value: str | None) -> str:
    """Strip a "doi:" or doi.org prefix and surrounding space from a DOI."""
    value = collapse(value)
    prefix = _DOI_PREFIX_RE.match(value)
    return value[prefix.end() :].strip() if prefix else value


def clean_pmid(value: str | None) -> str:
    """Return the PMID if well formed, else "" (a malformed id is treated as absent)."""
    value = collapse(value)
    return value if PMID_RE.match(value) else ""


def is_retracted_type(publication_types: tuple[str, ...]) -> bool:
    """True if PubMed marks the record "Retracted Publication" (the first retraction signal)."""
    return any(value.casefold() == "retracted publication" for value in publication_types)


# --- Retraction signals -------------------------------------------------------------------
# What PubMed says happened to a paper after publication, strongest first. The links point from
# the paper to the notice: EFetch's CommentsCorrections RefType, ESummary's "reftype", MEDLINE's
# tags (RIN, PRIN, RRI, ECI).
RETRACTED = "retracted"
RETRACTED_AND_REPUBLISHED = "retracted_and_republished"
PARTIAL_RETRACTION = "partial_retraction"
EXPRESSION_OF_CONCERN = "expression_of_concern"
STATUS_ORDER = (RETRACTED, RETRACTED_AND_REPUBLISHED, PARTIAL_RETRACTION, EXPRESSION_OF_CONCERN)
# The statuses that make citing the paper unacceptable until a physician reviews it again.
RETRACTION_STATUSES = frozenset({RETRACTED, RETRACTED_AND_REPUBLISHED, PARTIAL_RETRACTION})

_LINK_STATUS = {
    "retractionin": RETRACTED,
    "retractedandrepublishedin": RETRACTED_AND_REPUBLISHED,
    "partialretractionin": PARTIAL_RETRACTION,
    "expressionofconcernin": EXPRESSION_OF_CONCERN,
}
MEDLINE_TAG_STATUS = {
    "RIN": RETRACTED,
    "RRI": RETRACTED_AND_REPUBLISHED,
    "PRIN": PARTIAL_RETRACTION,
    "ECI": EXPRESSION_OF_CONCERN,
}
# Publication types PubMed gives the paper itself (the notices have types of their own, such as
# "Retraction of Publication", which say nothing about the record carrying them).
_TYPE_STATUS = {"retracted publication": RETRACTED}
_NOTICE_DATE_RE = re.compile(
    r"\b((?:19|20)[0-9]{2})(?: (" + "|".join(_MONTHS) + r")(?: ([0-9]{1,2}))?)?\b"
)


def link_status(ref_type: str | None) -> str:
    """The status a correction link of this type gives the paper ("" for errata and others)."""
    key = "".join(char for char in (ref_type or "").casefold() if char.isalpha())
    return _LINK_STATUS.get(key, "")


def strongest_status(statuses) -> str:
    """The strongest of `statuses` (see STATUS_ORDER), or "" when there is none."""
    present = set(statuses)
    return next((status for status in STATUS_ORDER if status in present), "")


def type_statuses(publication_types: tuple[str, ...]) -> list[str]:
    return [
        _TYPE_STATUS[value.casefold()]
        for value in publication_types
        if value.casefold() in _TYPE_STATUS
    ]


def notice_date(source: str | None) -> str:
    """
    The notice's date as ISO text ("2021", "2021-03" or "2021-03-05") from a citation of the
    notice such as "J Pain. 2021 Mar 5;22(3):345", or "" when it names none.
    """
    match = _NOTICE_DATE_RE.search(collapse(source))
    if not match:
        return ""
    year, month, day = match.groups()
    if not month:
        return year
    number = _MONTHS.index(month) + 1
    if day and 1 <= int(day) <= 31:
        return f"{year}-{number:02d}-{int(day):02d}"
    return f"{year}-{number:02d}"
