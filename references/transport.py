"""One HTTP POST or GET with a hard deadline: the only network code of the references app.

The PubMed client (and any other bibliographic client) calls a `Transport`: a function that
sends one request and returns a `TransportResponse` whatever the HTTP status, or raises
`OSError` when no complete response arrived. Tests pass a fake one and never touch the network.

`http_transport` is the real one, on the standard library's `http.client`. Its `timeout` is the
budget of the whole exchange, not of each socket operation: before every read the socket's
timeout is set to what is left, so a server that trickles a byte every few seconds cannot keep
a caller waiting past its deadline. Every failure of the exchange (refused, reset, TLS, a
truncated body, a malformed status line) comes out as an `OSError` subclass, so a caller needs
one `except OSError` to map them all to its own "unavailable" error.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# Larger bodies are refused rather than read into memory: an EFetch batch of 200 records with
# abstracts is a few megabytes.
MAX_BODY_BYTES = 64 * 1024 * 1024
USER_AGENT = "healthpages-cms (+https://www.ncbi.nlm.nih.gov/books/NBK25497/)"


@dataclass(frozen=True)
class TransportResponse:
    """What a transport returns: the HTTP status, the body, and the headers (lower-case keys)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


# A transport sends `params` to `url` (a form POST, or a GET query when `method` is "GET") and
# returns the response, whatever its status, within `timeout` seconds in all. It raises OSError
# (TimeoutError, ConnectionError ...) when no complete response arrives in time.
Transport = Callable[[str, Mapping[str, str], float], TransportResponse]


class TransportError(ConnectionError):
    """The exchange failed after the connection was made: a malformed or truncated response."""


def http_transport(
    url: str,
    params: Mapping[str, str],
    timeout: float,
    *,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> TransportResponse:
    """Send one request with `http.client`; the whole exchange ends within `timeout` seconds."""
    end = time.monotonic() + timeout
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Not an http(s) URL: {url!r}")
    query = urllib.parse.urlencode(params)
    path = parts.path or "/"
    body: bytes | None = None
    request_headers = {"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})}
    if method == "GET":
        path += "?" + "&".join(filter(None, [parts.query, query]))
    else:
        body = query.encode("ascii")
        request_headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=_left(end, url))
    try:
        connection.request(method, path, body=body, headers=request_headers)
        _set_timeout(connection, end, url)
        response = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        while True:
            _set_timeout(connection, end, url)
            chunk = response.read1(65536)
            if not chunk:
                if response.length:  # what Content-Length announced and never came
                    raise http.client.IncompleteRead(b"".join(chunks), response.length)
                break
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise TransportError(f"{url} sent more than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        return TransportResponse(
            response.status,
            b"".join(chunks),
            {key.lower(): value for key, value in response.getheaders()},
        )
    except http.client.HTTPException as exc:
        # IncompleteRead, BadStatusLine, LineTooLong ... are not OSErrors in the standard library.
        raise TransportError(f"{url} sent a malformed response: {exc!r}") from exc
    finally:
        connection.close()


def _left(end: float, url: str) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"{url} did not answer in time")
    return left


def _set_timeout(connection: http.client.HTTPConnection, end: float, url: str) -> None:
    if connection.sock is not None:
        connection.sock.settimeout(_left(end, url))
