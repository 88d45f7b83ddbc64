"""NLM / Vancouver reference formatting (Citing Medicine, 2nd ed.), as text and as safe HTML.

    Cohen SP, Bhatia A, Buvanendran A, Schwenk ES, Wasan AD, Hurley RW, et al. Consensus
    guidelines on ... Reg Anesth Pain Med. 2018 Jul;43(5):521-46. doi: 10.1097/AAP.0000000000000808.
    PMID: 29870458.

Rules applied: at most six authors, then "et al."; a group author is separated from personal
names by a semicolon, and one past the first six follows "et al."; the journal's NLM
abbreviation; `Year Mon Day;Vol(Issue):Pages.` with the parts that exist; page ranges
abbreviated by dropping repeated leading digits (521-546 -> 521-46). A web page (`kind` "web")
reads:

    National Institute for Health and Care Excellence. Low back pain and sciatica in over 16s:
    assessment and management [Internet]. London: NICE; 2016 Nov 30 [updated 2020 Dec 11;
    cited 2026 May 31]. Available from: https://www.nice.org.uk/guidance/ng59

The HTML rendering is the same text with every value escaped and the DOI and PMID
(or, for manual entries, the URL) linked, so stripping its tags gives back the plain text.

Works on anything with the `PubmedRecord` attribute names: a record or a `Citation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from references.records import PMID_RE, Author

MAX_AUTHORS = 6
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# `Citation.kind` of a web page (a guideline's page, a regulator's label): formatted as
# Citing Medicine's chapter 22 says, with "[Internet]", its publisher and the dates.
WEB_PAGE = "web"
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
DOI_URL = "https://doi.org/{doi}"

_RANGE_RE = re.compile(r"^([A-Za-z]*)(\d+)([A-Za-z]*)-([A-Za-z]*)(\d+)([A-Za-z]*)$")
_INITIAL_SPLIT_RE = re.compile(r"[\s\-]+")


def pubmed_url(pmid: str | None) -> str:
    """The PubMed page of a PMID, or "" if the PMID is missing or malformed."""
    if not pmid or not PMID_RE.match(pmid):
        return ""
    return PUBMED_URL.format(pmid=pmid)


def doi_url(doi: str | None) -> str:
    """The doi.org resolver URL for a DOI, percent-encoding characters unsafe in a URL."""
    if not doi:
        return ""
    # DOIs may contain <, >, #, ? and spaces; "/", ":", ";" and parentheses are common and safe.
    return DOI_URL.format(doi=quote(doi.strip(), safe="/:;()"))


def abbreviate_pages(pages: str) -> str:
    """Abbreviate each page range the NLM way: 521-546 -> 521-46, 1021-1029 -> 1021-9.

    Ranges that are already abbreviated (113-25), single pages, article numbers (026002) and
    letter-prefixed ranges with different prefixes are left as they are; D36-D42 -> D36-42.
    """
    parts = [part.strip() for part in pages.split(",")]
    return ", ".join(_abbreviate_range(part) for part in parts if part)


def _abbreviate_range(text: str) -> str:
    match = _RANGE_RE.match(text.replace(" ", ""))
    if not match:
        return text
    prefix, start, suffix, end_prefix, end, end_suffix = match.groups()
    if (end_prefix and end_prefix != prefix) or suffix or end_suffix:
        return text
    if start == end:
        return f"{prefix}{start}"
    if len(start) != len(end) or int(end) < int(start):
        return f"{prefix}{start}-{end}"
    common = 0
    while common < len(end) - 1 and start[common] == end[common]:
        common += 1
    return f"{prefix}{start}-{end[common:]}"


def author_name(author: Author | Mapping[str, str]) -> str:
    """One author in NLM form: "Guo F", "de Azevedo WF Jr", or the group's name."""
    author = Author.from_value(author)
    if author.is_collective:
        return author.collective_name
    initials = author.initials or "".join(
        part[0].upper() for part in _INITIAL_SPLIT_RE.split(author.fore_name) if part
    )
    return " ".join(part for part in (author.last_name, initials, author.suffix) if part)


def format_authors(authors: Iterable[Author | Mapping[str, str]]) -> str:
    """The author list: six names at most, then "et al."; groups set off by semicolons.

    A group author past the first six is not dropped with the people: NLM lists it after
    "et al." ("Guo F, ..., McCormack DG, et al.; Canadian Respiratory Research Network").
    """
    people = [Author.from_value(author) for author in authors]
    shown = people[:MAX_AUTHORS]
    text = ""
    for index, author in enumerate(shown):
        if index:
            previous = shown[index - 1]
            text += "; " if author.is_collective or previous.is_collective else ", "
        text += author_name(author)
    if len(people) > MAX_AUTHORS:
        text += ", et al."
        for group in people[MAX_AUTHORS:]:
            if group.is_collective:
                text += "; " + author_name(group)
    return text


def _sentence(text: str) -> str:
    """End a title-like part with a period unless it already ends with . ? or !"""
    text = text.strip()
    if not text or text[-1] in ".?!":
        return text
    return text + "."


def _date_text(item: Any) -> str:
    """`Year Mon Day` with whatever parts exist; the day only beside a single month."""
    year = getattr(item, "year", None)
    month = getattr(item, "month", "") or ""
    day = getattr(item, "day", None)
    if day and month in MONTHS:
        month = f"{month} {int(day)}"
    return " ".join(part for part in (str(year) if year else "", month) if part)


def _calendar_date(value: date | None) -> str:
    """A full date as NLM prints it: 2020 Dec 11."""
    return f"{value.year} {MONTHS[value.month - 1]} {value.day}" if value else ""


def _source_part(item: Any) -> str:
    """`Journal. Year Mon Day;Vol(Issue):Pages.` with whatever parts exist."""
    text = _date_text(item)
    locator = item.volume or ""
    if item.issue:
        locator += f"({item.issue})"
    if locator:
        text += (";" if text else "") + locator
    if item.pages:
        text += (":" if text else "") + abbreviate_pages(item.pages)
    journal = item.journal_abbrev or item.journal_title or ""
    pieces = [_sentence(journal)] if journal else []
    if text:
        pieces.append(text + ".")
    return " ".join(pieces)


def _web_part(item: Any) -> str:
    """`Place: Publisher; Year Mon Day [updated ...; cited ...].` for a web page."""
    publisher = (getattr(item, "publisher", "") or "").strip()
    place = (getattr(item, "place", "") or "").strip()
    text = f"{place}: {publisher}" if place and publisher else publisher
    published = _date_text(item)
    if published:
        text += ("; " if text else "") + published
    notes = []
    updated = _calendar_date(getattr(item, "updated_on", None))
    if updated:
        notes.append(f"updated {updated}")
    cited = _calendar_date(getattr(item, "accessed_on", None))
    if cited:
        notes.append(f"cited {cited}")
    if notes:
        text += (" " if text else "") + "[" + "; ".join(notes) + "]"
    return text + "." if text else ""


def _parts(item: Any) -> list[tuple[str, str, str, str, str]]:
    """The reference as (text, link URL, link label, closing text, css class) parts.

    Shared by the text and HTML renderings so that the two can never disagree.
    """
    parts: list[tuple[str, str, str, str, str]] = []
    authors = format_authors(getattr(item, "authors", None) or [])
    if authors:
        parts.append((_sentence(authors), "", "", "", ""))
    web = getattr(item, "kind", "") == WEB_PAGE
    if item.title:
        # Citing Medicine, chapter 22: the medium in brackets after a web page's title.
        title = f"{item.title.strip().rstrip('.')} [Internet]." if web else _sentence(item.title)
        parts.append((title, "", "", "", ""))
    source = _web_part(item) if web else _source_part(item)
    if source:
        parts.append((source, "", "", "", ""))
    if item.doi:
        end = "" if item.doi.endswith(".") else "."
        parts.append(("doi: ", doi_url(item.doi), item.doi, end, "citation-doi"))
    pmid = item.pmid or ""
    if pmid and PMID_RE.match(pmid):
        parts.append(("PMID: ", pubmed_url(pmid), pmid, ".", "citation-pmid"))
    elif getattr(item, "url", ""):
        # Citing Medicine ends "Available from: <URL>" without a period (it would join the URL).
        parts.append(("Available from: ", item.url, item.url, "", "citation-url"))
    return parts


def format_nlm(item: Any) -> str:
    """The reference as plain NLM text."""
    return " ".join(f"{text}{label}{end}" for text, _url, label, end, _css in _parts(item))


def format_nlm_html(item: Any) -> str:
    """The reference as HTML: every value escaped, DOI/PMID/URL linked. Safe to mark_safe."""
    pieces = []
    for text, url, label, end, css in _parts(item):
        if label and _is_web_url(url):
            pieces.append(
                f'{escape(text)}<a class="{css}" href="{escape(url)}">{escape(label)}</a>'
                f"{escape(end)}"
            )
        else:
            # Plain parts, and any javascript:/data: URL that slipped into a manual entry,
            # are text only.
            pieces.append(escape(f"{text}{label}{end}"))
    return " ".join(pieces)


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
