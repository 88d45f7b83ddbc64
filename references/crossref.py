"""
The Crossref REST API client: a work's metadata and retraction notices by DOI, beside PubMed.

Articles may cite a paper that PubMed does not index by its DOI (`[DOI:10.x/y]`); its
bibliographic metadata (title, authors, journal, date, volume, issue, pages) is read from the
same `/works/{doi}` response, into the attribute names `references.formatting` formats.

Crossref holds what publishers deposit about later changes to a paper and, since 2023, the
Retraction Watch database: a work's `updated-by` list names each notice (its type, DOI, date,
and `source`: "publisher" or "retraction-watch"). `CrossrefClient.work(doi)` reads it.

Like the PubMed client: no Django import, an injectable transport, clock and sleep, and its own
exceptions. Crossref's etiquette, which it follows:
- the "polite pool": a `mailto` parameter and a User-Agent naming the tool and a contact;
- the rate limit Crossref announces in each response (`x-rate-limit-limit` requests per
  `x-rate-limit-interval`), kept between requests;
- retries with exponential backoff on 429 (honouring Retry-After), 5xx and network errors.
"""

from __future__ import annotations

import functools
import html
import http.client
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from references.parsers.common import (
    EXPRESSION_OF_CONCERN,
    PARTIAL_RETRACTION,
    RETRACTED,
    collapse,
    strongest_status,
)
from references.records import Author
from references.transport import Transport, TransportResponse, http_transport

CROSSREF_WORKS_URL = "https://api.crossref.org/works/"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
# Until Crossref says otherwise (its public pool announced 50 requests a second for years, and
# less for single-work lookups lately): one request every 0.2 s is well inside any of them.
DEFAULT_INTERVAL = 0.2

# Crossref update types, as they appear in `updated-by` (lower case, "-" and " " as "_").
UPDATE_STATUS = {
    "retraction": RETRACTED,
    "withdrawal": RETRACTED,
    "removal": RETRACTED,
    "partial_retraction": PARTIAL_RETRACTION,
    "expression_of_concern": EXPRESSION_OF_CONCERN,
}
RETRACTION_WATCH = "retraction_watch"
CROSSREF = "crossref"


class CrossrefError(Exception):
    """Base class of the Crossref client's errors."""


class CrossrefUnavailable(CrossrefError):
    """Crossref could not be reached: network down, timeouts or retries exhausted."""


class CrossrefResponseError(CrossrefError):
    """Crossref answered with something this client cannot read."""


@dataclass(frozen=True)
class CrossrefUpdate:
    """One notice about a work: its status, its DOI, who reported it, and its date (ISO text)."""

    status: str
    doi: str
    source: str  # CROSSREF or RETRACTION_WATCH
    date: str


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Markup publishers put in titles (<i>, <sup>, JATS <jats:italic>): removed, its text kept.
_TAG_RE = re.compile(r"<[^<>]*+>")


@dataclass(frozen=True)
class CrossrefWork:
    """A work's DOI, its bibliographic metadata, and the retraction notices Crossref lists for
    it (other updates, such as corrections, left out).

    The metadata uses the attribute names of `PubmedRecord`, so `references.formatting` and
    the citation services read both alike; `pmid` is always empty.
    """

    doi: str
    updates: tuple[CrossrefUpdate, ...] = ()
    title: str = ""
    authors: tuple[Author, ...] = ()
    journal_abbrev: str = ""
    journal_title: str = ""
    year: int | None = None
    month: str = ""
    day: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    work_type: str = ""
    pmid: str = ""

    def authors_as_dicts(self) -> list[dict[str, str]]:
        """Authors in the JSON shape stored by `Citation.authors`."""
        return [author.as_dict() for author in self.authors]

    def notice(self) -> CrossrefUpdate | None:
        """The strongest notice (the earliest of equals), or None."""
        status = strongest_status(update.status for update in self.updates)
        candidates = [update for update in self.updates if update.status == status]
        return min(candidates, key=lambda update: update.date or "9999") if candidates else None


def parse_work(data: bytes | str | Mapping) -> CrossrefWork:
    """Read a `/works/{doi}` response; only `CrossrefResponseError` escapes."""
    try:
        document = json.loads(data) if isinstance(data, bytes | str) else data
    except (ValueError, RecursionError) as exc:
        raise CrossrefResponseError(f"The Crossref response is not valid JSON: {exc}") from exc
    if not isinstance(document, Mapping) or document.get("status") != "ok":
        raise CrossrefResponseError("The Crossref response is not a work ('status' is not ok).")
    message = document.get("message")
    if not isinstance(message, Mapping) or not isinstance(message.get("DOI"), str):
        raise CrossrefResponseError("The Crossref response has no work with a DOI.")
    updates = message.get("updated-by") or []
    if not isinstance(updates, list):
        raise CrossrefResponseError("The Crossref work's 'updated-by' is not a list.")
    found = []
    for update in updates:
        if not isinstance(update, Mapping):
            continue
        kind = str(update.get("type") or "").casefold().replace("-", "_").replace(" ", "_")
        status = UPDATE_STATUS.get(kind)
        if status is None:
            continue  # corrections, errata, new versions: not retractions
        source = str(update.get("source") or "").casefold()
        found.append(
            CrossrefUpdate(
                status=status,
                doi=str(update.get("DOI") or "")[:255],
                source=RETRACTION_WATCH if "retraction" in source else CROSSREF,
                date=_date(update.get("updated")),
            )
        )
    year, month, day = _publication_date(message)
    return CrossrefWork(
        doi=collapse(message["DOI"])[:255],
        updates=tuple(found),
        title=_title(message),
        authors=_authors(message.get("author")),
        journal_abbrev=_first(message.get("short-container-title")).replace(".", ""),
        journal_title=_first(message.get("container-title")),
        year=year,
        month=month,
        day=day,
        volume=_plain(message.get("volume")),
        issue=_plain(message.get("issue")),
        pages=_plain(message.get("page")) or _plain(message.get("article-number")),
        work_type=_plain(message.get("type")),
    )


def crossref_message_type(data: bytes) -> str:
    """ "work" or "work-list" for a saved Crossref response, "" for anything else."""
    head = data[:4096].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if not head.startswith("{") or '"message-type"' not in head:
        return ""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return ""
    kind = document.get("message-type") if isinstance(document, Mapping) else None
    return kind if kind in ("work", "work-list") else ""


def parse_works(data: bytes) -> list[CrossrefWork]:
    """The works of a saved `/works/{doi}` response or `/works` list; `CrossrefResponseError`
    for anything else or a list without works."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        raise CrossrefResponseError(f"The Crossref file is not valid JSON: {exc}") from exc
    if not isinstance(document, Mapping) or document.get("status") != "ok":
        raise CrossrefResponseError("The Crossref file is not a response ('status' is not ok).")
    if document.get("message-type") == "work":
        return [parse_work(document)]
    message = document.get("message")
    items = message.get("items") if isinstance(message, Mapping) else None
    if not isinstance(items, list) or not items:
        raise CrossrefResponseError("The Crossref file holds no work.")
    return [parse_work({"status": "ok", "message": item}) for item in items]


def _plain(value) -> str:
    """A text value without markup or entities, spaces collapsed ("" for anything else)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    return collapse(html.unescape(_TAG_RE.sub("", str(value))))


def _first(values) -> str:
    """The first text of a Crossref list field (`title`, `container-title` ...)."""
    if isinstance(values, list) and values:
        return _plain(values[0])
    return _plain(values)


def _title(message: Mapping) -> str:
    """The title, with its subtitle after a colon as NLM prints it."""
    title = _first(message.get("title"))
    subtitle = _first(message.get("subtitle"))
    if subtitle and title and subtitle.casefold() not in title.casefold():
        return f"{title.rstrip(':')}: {subtitle}"
    return title or subtitle


def _authors(values) -> tuple[Author, ...]:
    """People ("given", "family", "suffix") and groups ("name") in the order listed."""
    if not isinstance(values, list):
        return ()
    authors = []
    for value in values:
        if not isinstance(value, Mapping):
            continue
        family, given = _plain(value.get("family")), _plain(value.get("given"))
        if family:
            # NLM prints "Jr", "3rd" without a period.
            suffix = _plain(value.get("suffix")).rstrip(".")
            authors.append(Author(last_name=family, fore_name=given, suffix=suffix))
        elif _plain(value.get("name")):
            authors.append(Author(collective_name=_plain(value.get("name"))))
    return tuple(authors)


def _publication_date(message: Mapping) -> tuple[int | None, str, int | None]:
    """(year, month abbreviation, day) of the print issue, else of the earliest publication.

    NLM cites the issue a paper appeared in, so the print date comes first; `issued` (the
    earlier of print and online) stands in when there is no print date.
    """
    for name in ("published-print", "issued", "published-online"):
        text = _date(message.get(name))
        if text:
            parts = [int(part) for part in text.split("-")]
            month = _MONTHS[parts[1] - 1] if len(parts) > 1 else ""
            return parts[0], month, parts[2] if len(parts) > 2 else None
    return None, "", None


def _date(value) -> str:
    """ISO text ("2021", "2021-03", "2021-03-05") from Crossref's {"date-parts": [[y, m, d]]}."""
    try:
        parts = [int(part) for part in value["date-parts"][0]][:3]
    except (KeyError, IndexError, TypeError, ValueError):
        return ""
    if not parts or not 1000 <= parts[0] <= 9999:
        return ""
    text = f"{parts[0]:04d}"
    for part, limit in zip(parts[1:], (12, 31), strict=False):
        if not 1 <= part <= limit:
            break
        text += f"-{part:02d}"
    return text


class CrossrefClient:
    """Look up works by DOI on Crossref, politely and with clear failures."""

    def __init__(
        self,
        *,
        mailto: str,
        tool: str = "healthpages-cms",
        timeout: float = 10.0,
        transport: Transport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        url: str = CROSSREF_WORKS_URL,
    ) -> None:
        self.mailto = mailto
        self.user_agent = f"{tool} (mailto:{mailto})" if mailto else tool
        self.timeout = timeout
        self.transport: Transport = transport or functools.partial(
            http_transport, method="GET", headers={"User-Agent": self.user_agent}
        )
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.url = url
        self.min_interval = DEFAULT_INTERVAL
        self._last_request_at: float | None = None

    def work(self, doi: str) -> CrossrefWork | None:
        """The work with this DOI and its retraction notices; None when Crossref has no such DOI."""
        doi = doi.strip()
        if not doi.startswith("10.") or "/" not in doi:
            raise ValueError(f"Not a DOI: {doi!r}")
        url = self.url + urllib.parse.quote(doi, safe="")
        params = {"mailto": self.mailto} if self.mailto else {}
        response = self._request(url, params)
        if response is None:
            return None
        return parse_work(response.body)

    def _request(self, url: str, params: Mapping[str, str]) -> TransportResponse | None:
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot()
            retry_after = None
            try:
                response = self.transport(url, params, self.timeout)
            except TRANSPORT_ERRORS as exc:
                last_problem = f"network error: {exc}"
            else:
                self._follow_rate_limit(response.headers)
                if response.status == 200:
                    return response
                if response.status == 404:
                    return None
                if response.status not in RETRY_STATUSES:
                    raise CrossrefResponseError(f"Crossref answered HTTP {response.status}.")
                last_problem = f"HTTP {response.status}"
                retry_after = _seconds(response.headers.get("retry-after", ""))
            if attempt < self.max_retries:
                delay = min(self.backoff * 2**attempt, self.max_backoff)
                self.sleep(max(delay, retry_after or 0.0))
        raise CrossrefUnavailable(
            f"Crossref could not be reached after {self.max_retries + 1} attempts ({last_problem})."
        )

    def _follow_rate_limit(self, headers: Mapping[str, str]) -> None:
        """Space requests as Crossref's x-rate-limit-limit / x-rate-limit-interval announce."""
        try:
            limit = int(headers.get("x-rate-limit-limit", ""))
        except ValueError:
            return
        interval = _seconds(headers.get("x-rate-limit-interval", "1s").removesuffix("s"))
        if limit > 0 and interval:
            self.min_interval = max(interval / limit, 0.0)

    def _wait_for_slot(self) -> None:
        now = self.clock()
        if self._last_request_at is not None:
            wait = self._last_request_at + self.min_interval - now
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last_request_at = now


def _seconds(value: str) -> float | None:
    try:
        return min(max(float(value), 0.0), 60.0)
    except ValueError:
        return None
