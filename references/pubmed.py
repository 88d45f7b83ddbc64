"""The PubMed E-utilities client: the only module in the project that talks to NCBI.

No Django import: configuration arrives as constructor arguments (see
`references.services.pubmed_client_from_settings`), results are frozen dataclasses, failures
are this module's own exceptions. The HTTP call is a small injectable `transport` so tests
replay recorded responses and never touch the network; the clock and `sleep` are injectable
so the rate limit and the backoff can be measured without waiting.

NCBI's rules this client follows (E-utilities usage guidelines):
- identify the caller with `tool` and `email`, and `api_key` when there is one;
- at most 3 requests per second without an API key, 10 with one;
- POST for long id lists; at most 200 ids per EFetch request is our batch size.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from references.parsers.efetch import parse_efetch_xml
from references.records import (
    PMID_RE,
    Author,
    PubMedError,
    PubMedNotFound,
    PubmedRecord,
    PubMedResponseError,
    PubMedUnavailable,
    is_valid_pmid,
)
from references.transport import Transport, TransportResponse, http_transport

__all__ = [
    "EFETCH_URL",
    "Author",
    "PubMedClient",
    "PubMedError",
    "PubMedNotFound",
    "PubMedResponseError",
    "PubMedUnavailable",
    "PubmedRecord",
    "Transport",
    "TransportResponse",
    "http_transport",
    "is_valid_pmid",
]

EFETCH_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
MAX_IDS_PER_REQUEST = 200
# Slightly longer than 1/3 s and 1/10 s so that no one-second window holds 3 (or 10) requests
# even with clock jitter.
INTERVAL_WITHOUT_KEY = 0.34
INTERVAL_WITH_KEY = 0.11
REQUESTS_PER_SECOND_WITHOUT_KEY = 3
REQUESTS_PER_SECOND_WITH_KEY = 10
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# What a transport may raise when no usable response arrived; all become PubMedUnavailable.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)

# A slot in a rate limit shared between processes: returns 0 when this request may go now
# (and counts it), else the seconds to wait before asking again.
SharedSlot = Callable[[], float]


class PubMedClient:
    """Fetch PubMed records by PMID with EFetch, politely and with clear failures.

    `fetch(pmids)` returns `{pmid: PubmedRecord}`; it batches ids (200 per request), keeps
    under NCBI's rate limit, retries 429 and 5xx responses and network errors with exponential
    backoff, and raises `PubMedUnavailable`, `PubMedResponseError` or `PubMedNotFound`.

    `deadline` bounds a whole `fetch` (an admin save must answer before the web server's worker
    timeout): no request starts, and no wait begins, that would end after it; each request gets
    only the time that is left. `shared_slot` adds a rate limit shared with other processes
    (NCBI counts requests per client address, not per process).
    """

    def __init__(
        self,
        *,
        tool: str,
        email: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: Transport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        batch_size: int = MAX_IDS_PER_REQUEST,
        url: str = EFETCH_URL,
        deadline: float | None = None,
        shared_slot: SharedSlot | None = None,
    ) -> None:
        if not tool:
            raise ValueError("NCBI requires a tool name (setting PUBMED_TOOL).")
        if not 1 <= batch_size <= MAX_IDS_PER_REQUEST:
            raise ValueError(f"batch_size must be between 1 and {MAX_IDS_PER_REQUEST}.")
        self.tool = tool
        self.email = email
        self.api_key = api_key or None
        self.timeout = timeout
        self.transport: Transport = transport or http_transport
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.url = url
        self.min_interval = INTERVAL_WITH_KEY if self.api_key else INTERVAL_WITHOUT_KEY
        self.requests_per_second = (
            REQUESTS_PER_SECOND_WITH_KEY if self.api_key else REQUESTS_PER_SECOND_WITHOUT_KEY
        )
        # Seconds one `fetch` may take in all, waits and retries included (None: no limit).
        self.deadline = deadline
        self.shared_slot = shared_slot
        self._last_request_at: float | None = None

    def fetch(self, pmids: Iterable[str]) -> dict[str, PubmedRecord]:
        """Fetch records for `pmids` (duplicates ignored), returned in request order.

        Raises ValueError for a malformed PMID (nothing is sent), `PubMedUnavailable` if
        PubMed cannot be reached, `PubMedResponseError` for an NCBI error or unreadable reply,
        and `PubMedNotFound` (carrying the records that were found) if some PMIDs do not exist.
        """
        wanted = list(dict.fromkeys(str(pmid).strip() for pmid in pmids))
        invalid = [pmid for pmid in wanted if not PMID_RE.match(pmid)]
        if invalid:
            raise ValueError("Not a valid PMID: " + ", ".join(invalid))
        found: dict[str, PubmedRecord] = {}
        end = None if self.deadline is None else self.clock() + self.deadline
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            for record in self._fetch_batch(batch, end):
                found.setdefault(record.pmid, record)
        ordered = {pmid: found[pmid] for pmid in wanted if pmid in found}
        missing = [pmid for pmid in wanted if pmid not in found]
        if missing:
            raise PubMedNotFound(missing, records=ordered)
        return ordered

    def fetch_one(self, pmid: str) -> PubmedRecord:
        """Fetch a single record (see `fetch` for the errors)."""
        return self.fetch([pmid])[pmid]

    def params(self, pmids: Sequence[str]) -> dict[str, str]:
        """The EFetch form parameters for one batch, identification included."""
        params = {
            "db": "pubmed",
            "id": ",".join(pmids),
            "retmode": "xml",
            "tool": self.tool,
            "email": self.email,
        }
        if self.api_key:
            params["api_key"] = self.api_key
        return params

    def _fetch_batch(self, pmids: Sequence[str], end: float | None) -> list[PubmedRecord]:
        body = self._request(self.params(pmids), end)
        if not body.strip():
            # EFetch answers an id list with no existing record with an empty body.
            return []
        return parse_efetch_xml(body)

    def _request(self, params: Mapping[str, str], end: float | None) -> bytes:
        """POST with rate limiting and retries; return the body of a 200 response."""
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot(end)
            retry_after: float | None = None
            try:
                response = self.transport(self.url, params, self._time_left(end, self.timeout))
            except TRANSPORT_ERRORS as exc:
                last_problem = f"network error: {exc}"
            else:
                if response.status == 200:
                    return response.body
                if response.status not in RETRY_STATUSES:
                    raise PubMedResponseError(
                        f"PubMed answered HTTP {response.status}: {_error_text(response.body)}"
                    )
                last_problem = f"HTTP {response.status}"
                retry_after = _retry_after(response.headers)
            if attempt < self.max_retries:
                delay = min(self.backoff * 2**attempt, self.max_backoff)
                self._sleep_before(end, max(delay, retry_after or 0.0), last_problem)
        raise PubMedUnavailable(
            f"PubMed could not be reached after {self.max_retries + 1} attempts ({last_problem})."
        )

    def _time_left(self, end: float | None, wanted: float) -> float:
        """`wanted` seconds, or what is left before `end` if less; none left is unavailable."""
        if end is None:
            return wanted
        left = end - self.clock()
        if left <= 0:
            raise PubMedUnavailable(f"PubMed did not answer within {self.deadline:g} s.")
        return min(wanted, left)

    def _sleep_before(self, end: float | None, seconds: float, problem: str) -> None:
        """Sleep `seconds`, unless that would reach `end`: then give up now."""
        if end is not None and self.clock() + seconds >= end:
            raise PubMedUnavailable(
                f"PubMed did not answer within {self.deadline:g} s"
                + (f" ({problem})." if problem else ".")
            )
        if seconds > 0:
            self.sleep(seconds)

    def _wait_for_slot(self, end: float | None) -> None:
        """Wait until this process's spacing and the shared limit both let a request go."""
        now = self.clock()
        if self._last_request_at is not None:
            wait = self._last_request_at + self.min_interval - now
            if wait > 0:
                self._sleep_before(end, wait, "")
        while self.shared_slot is not None and (wait := self.shared_slot()) > 0:
            self._sleep_before(end, wait, "NCBI's request rate is in use by other processes")
        self._last_request_at = self.clock()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "")
    try:
        return min(float(value), 60.0)
    except ValueError:
        return None  # an HTTP-date Retry-After is rare from NCBI; the backoff covers it


def _error_text(body: bytes) -> str:
    """The <ERROR> message of an NCBI error body if there is one, else its start."""
    try:
        parse_efetch_xml(body)
    except PubMedResponseError as exc:
        return str(exc)
    return body[:200].decode("utf-8", "replace")
