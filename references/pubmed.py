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

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    "is_valid_pmid",
    "urllib_transport",
]

EFETCH_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
MAX_IDS_PER_REQUEST = 200
# Slightly longer than 1/3 s and 1/10 s so that no one-second window holds 3 (or 10) requests
# even with clock jitter.
INTERVAL_WITHOUT_KEY = 0.34
INTERVAL_WITH_KEY = 0.11
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class TransportResponse:
    """What a transport returns: the HTTP status, the body, and the headers (lower-case keys)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


# A transport POSTs form `params` to `url` and returns the response, whatever its status.
# It raises OSError (URLError, TimeoutError, ConnectionError ...) when no response arrives.
Transport = Callable[[str, Mapping[str, str], float], TransportResponse]


def urllib_transport(url: str, params: Mapping[str, str], timeout: float) -> TransportResponse:
    """The default transport: an HTTPS POST with the standard library (no extra dependency)."""
    data = urllib.parse.urlencode(params).encode("ascii")
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - fixed https URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            headers = {key.lower(): value for key, value in response.headers.items()}
            return TransportResponse(response.status, response.read(), headers)
    except urllib.error.HTTPError as exc:
        # An HTTP error status is still a response: the client decides whether to retry.
        headers = {key.lower(): value for key, value in (exc.headers or {}).items()}
        return TransportResponse(exc.code, exc.read() or b"", headers)
    except TimeoutError as exc:
        raise TimeoutError(f"PubMed did not answer within {timeout} s") from exc


class PubMedClient:
    """Fetch PubMed records by PMID with EFetch, politely and with clear failures.

    `fetch(pmids)` returns `{pmid: PubmedRecord}`; it batches ids (200 per request), keeps
    under NCBI's rate limit, retries 429 and 5xx responses and network errors with exponential
    backoff, and raises `PubMedUnavailable`, `PubMedResponseError` or `PubMedNotFound`.
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
    ) -> None:
        if not tool:
            raise ValueError("NCBI requires a tool name (setting PUBMED_TOOL).")
        if not 1 <= batch_size <= MAX_IDS_PER_REQUEST:
            raise ValueError(f"batch_size must be between 1 and {MAX_IDS_PER_REQUEST}.")
        self.tool = tool
        self.email = email
        self.api_key = api_key or None
        self.timeout = timeout
        self.transport: Transport = transport or urllib_transport
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.url = url
        self.min_interval = INTERVAL_WITH_KEY if self.api_key else INTERVAL_WITHOUT_KEY
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
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            for record in self._fetch_batch(batch):
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

    def _fetch_batch(self, pmids: Sequence[str]) -> list[PubmedRecord]:
        body = self._request(self.params(pmids))
        if not body.strip():
            # EFetch answers an id list with no existing record with an empty body.
            return []
        return parse_efetch_xml(body)

    def _request(self, params: Mapping[str, str]) -> bytes:
        """POST with rate limiting and retries; return the body of a 200 response."""
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self._wait_for_slot()
            retry_after: float | None = None
            try:
                response = self.transport(self.url, params, self.timeout)
            except OSError as exc:  # URLError, TimeoutError and ConnectionError are OSErrors
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
                self.sleep(max(delay, retry_after or 0.0))
        raise PubMedUnavailable(
            f"PubMed could not be reached after {self.max_retries + 1} attempts ({last_problem})."
        )

    def _wait_for_slot(self) -> None:
        """Sleep until `min_interval` has passed since the previous request started."""
        now = self.clock()
        if self._last_request_at is not None:
            wait = self._last_request_at + self.min_interval - now
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last_request_at = now


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
