"""
The real HTTP transport and the PubMed client against misbehaving servers on 127.0.0.1: every
failure of the exchange is an OSError for the transport and `PubMedUnavailable` for the client,
and no server, however slow, keeps a caller past its deadline.
"""

from __future__ import annotations

import time

import pytest

from references.pubmed import PubMedClient, PubMedUnavailable
from references.transport import TransportError, http_transport
from tests.loopback import LoopbackServer, answer, cut_short, garbage, hanging_server, trickle
from tests.references.conftest import read


def test_a_response_of_any_status_is_returned_with_its_headers():
    with LoopbackServer(answer(429, b"slow down", {"Retry-After": "2"})) as server:
        response = http_transport(server.url, {"db": "pubmed"}, 3)
    assert (response.status, response.body) == (429, b"slow down")
    assert response.headers["retry-after"] == "2"


def test_a_server_that_never_answers_times_out_at_the_deadline():
    with hanging_server() as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            http_transport(server.url, {}, 0.5)
        assert time.monotonic() - started < 1.5


def test_a_server_that_trickles_cannot_stretch_the_deadline():
    # A byte every 0.1 s never trips a per-read timeout of 1 s; the deadline is for the whole
    # exchange, so it still ends at about 1 s.
    with LoopbackServer(trickle(0.1)) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            http_transport(server.url, {}, 1.0)
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("behaviour", "what"),
    [(cut_short, "IncompleteRead"), (garbage, "BadStatusLine")],
)
def test_a_malformed_response_is_an_oserror(behaviour, what):
    with LoopbackServer(behaviour) as server, pytest.raises(TransportError, match=what):
        http_transport(server.url, {}, 3)
    assert issubclass(TransportError, OSError)


def test_a_refused_connection_is_an_oserror():
    with LoopbackServer(garbage) as server:
        url = server.url
    with pytest.raises(OSError):
        http_transport(url, {}, 2)


@pytest.mark.parametrize("behaviour", [cut_short, garbage])
def test_the_client_reports_a_malformed_response_as_unavailable(behaviour):
    with LoopbackServer(behaviour) as server:
        client = PubMedClient(tool="t", email="e@example.invalid", url=server.url, backoff=0.01)
        with pytest.raises(PubMedUnavailable, match="4 attempts"):
            client.fetch(["1"])
    assert server.requests == 4


def test_the_client_gives_up_at_its_deadline_retries_included():
    with hanging_server() as server:
        client = PubMedClient(tool="t", email="e@example.invalid", url=server.url, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(PubMedUnavailable, match="within 1 s"):
            client.fetch(["1"])
        assert time.monotonic() - started < 2.0


def test_the_client_reads_a_real_answer_through_the_real_transport():
    body = read("efetch-pubmed-retraction-notice-27508352.xml")
    with LoopbackServer(answer(200, body)) as server:
        client = PubMedClient(tool="t", email="e@example.invalid", url=server.url)
        assert list(client.fetch(["27508352"])) == ["27508352"]
