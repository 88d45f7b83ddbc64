"""
The Crossref client on responses written in Crossref's documented format (tests/data/crossref,
see its README): notices read from `updated-by` (publishers' and Retraction Watch's), the polite
pool, the announced rate limit, retries, and failures as the client's own errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from references.crossref import (
    CrossrefClient,
    CrossrefResponseError,
    CrossrefUnavailable,
    parse_work,
)
from references.transport import TransportResponse
from tests.loopback import LoopbackServer, answer, cut_short
from tests.references.conftest import FakeClock

DATA = Path(__file__).resolve().parents[1] / "data" / "crossref"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


class Replay:
    """Answers each request with the next scripted item; records what was asked."""

    def __init__(self, clock, items):
        self.clock, self.items, self.calls = clock, list(items), []

    def __call__(self, url, params, timeout):
        self.calls.append({"url": url, "params": dict(params), "at": self.clock()})
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


def client_for(items, **options):
    clock = FakeClock()
    transport = Replay(clock, items)
    client = CrossrefClient(
        mailto="editors@example.org",
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )
    return client, transport, clock


def ok(name, headers=None):
    return TransportResponse(200, data(name), headers or {})


def test_a_publishers_retraction_is_read_with_its_notice_and_date():
    work = parse_work(data("work-retracted-by-publisher.json"))
    notice = work.notice()
    assert (notice.status, notice.source) == ("retracted", "crossref")
    assert (notice.doi, notice.date) == ("10.5555/pain.2021.retraction.001", "2021-03-05")


def test_a_retraction_watch_entry_counts_and_a_correction_does_not():
    work = parse_work(data("work-retracted-retraction-watch.json"))
    assert [u.status for u in work.updates] == ["retracted"]
    notice = work.notice()
    assert (notice.source, notice.date) == ("retraction_watch", "2022-06")


def test_the_strongest_notice_wins_over_an_earlier_expression_of_concern():
    work = parse_work(data("work-expression-of-concern.json"))
    assert {u.status for u in work.updates} == {"expression_of_concern", "partial_retraction"}
    assert work.notice().status == "partial_retraction"


def test_a_work_without_updates_has_no_notice():
    assert parse_work(data("work-no-updates.json")).notice() is None


def test_the_request_is_in_the_polite_pool():
    client, transport, _ = client_for([ok("work-no-updates.json")])
    client.work("10.5555/pain.2017.100")
    (call,) = transport.calls
    assert call["url"] == "https://api.crossref.org/works/10.5555%2Fpain.2017.100"
    assert call["params"] == {"mailto": "editors@example.org"}
    assert "mailto:editors@example.org" in client.user_agent


def test_the_announced_rate_limit_spaces_the_next_requests():
    headers = {"x-rate-limit-limit": "5", "x-rate-limit-interval": "1s"}
    client, transport, _ = client_for([ok("work-no-updates.json", headers)] * 3)
    for _ in range(3):
        client.work("10.5555/pain.2017.100")
    gaps = [b["at"] - a["at"] for a, b in zip(transport.calls, transport.calls[1:], strict=False)]
    assert gaps == [pytest.approx(0.2), pytest.approx(0.2)]


def test_429_is_retried_after_the_time_crossref_asks_for():
    client, transport, _ = client_for(
        [TransportResponse(429, b"", {"retry-after": "7"}), ok("work-no-updates.json")]
    )
    assert client.work("10.5555/pain.2017.100").doi == "10.5555/pain.2017.100"
    assert transport.calls[1]["at"] - transport.calls[0]["at"] >= 7


def test_an_unknown_doi_is_none():
    client, _, _ = client_for([TransportResponse(404, b"Resource not found.")])
    assert client.work("10.5555/unknown") is None


def test_network_failures_end_as_unavailable_after_the_retries():
    client, transport, _ = client_for([OSError("Network is unreachable")] * 4)
    with pytest.raises(CrossrefUnavailable, match="4 attempts"):
        client.work("10.5555/pain.2017.100")
    assert len(transport.calls) == 4


def test_a_truncated_answer_over_real_http_is_unavailable():
    with LoopbackServer(cut_short) as server:
        client = CrossrefClient(mailto="e@example.org", url=server.url + "/", backoff=0.01)
        with pytest.raises(CrossrefUnavailable):
            client.work("10.5555/pain.2017.100")


def test_a_real_answer_over_real_http():
    with LoopbackServer(answer(200, data("work-retracted-by-publisher.json"))) as server:
        client = CrossrefClient(mailto="e@example.org", url=server.url + "/")
        assert client.work("10.5555/pain.2019.001").notice().status == "retracted"


@pytest.mark.parametrize(
    "body", [b"not json", b'{"status": "failed"}', b'{"status": "ok", "message": []}', b"[" * 50000]
)
def test_unreadable_answers_are_the_clients_own_error(body):
    with pytest.raises(CrossrefResponseError):
        parse_work(body)


def test_a_string_that_is_not_a_doi_is_refused_before_any_request():
    client, transport, _ = client_for([])
    with pytest.raises(ValueError, match="Not a DOI"):
        client.work("javascript:alert(1)")
    assert transport.calls == []
