"""PubMedClient tests with a fake transport and a fake clock: no network, no real waiting."""

from __future__ import annotations

import pytest

from references.pubmed import (
    PubMedClient,
    PubMedNotFound,
    PubMedResponseError,
    PubMedUnavailable,
    TransportResponse,
)
from tests.references.conftest import article_xml, efetch_set, read


def test_fetch_returns_records_in_request_order_and_sends_identification(make_client):
    client, transport = make_client([read("efetch-pubmed-doi-11748933-11700088.xml")])
    records = client.fetch(["11700088", "11748933", "11700088"])
    assert list(records) == ["11700088", "11748933"]
    (call,) = transport.calls
    assert call["url"] == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
    assert call["params"] == {
        "db": "pubmed",
        "id": "11700088,11748933",
        "retmode": "xml",
        "tool": "healthpages-tests",
        "email": "tests@example.invalid",
    }
    assert call["timeout"] == 5


def test_450_pmids_are_sent_in_three_batches_of_at_most_200(make_client):
    pmids = [str(n) for n in range(1000, 1450)]
    client, transport = make_client(by_pmid={pmid: article_xml(pmid) for pmid in pmids})
    records = client.fetch(pmids)
    assert len(records) == 450
    sizes = [len(call["params"]["id"].split(",")) for call in transport.calls]
    assert sizes == [200, 200, 50]


def test_api_key_is_sent_when_configured(make_client):
    client, transport = make_client(
        [read("efetch-pubmed-retraction-notice-27508352.xml")], api_key="k3y"
    )
    client.fetch(["27508352"])
    assert transport.calls[0]["params"]["api_key"] == "k3y"


def test_no_api_key_parameter_without_key(make_client):
    client, transport = make_client([read("efetch-pubmed-retraction-notice-27508352.xml")])
    client.fetch(["27508352"])
    assert "api_key" not in transport.calls[0]["params"]


def _max_requests_in_any_second(times):
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@pytest.mark.parametrize(("api_key", "limit"), [(None, 3), ("k3y", 10)])
def test_rate_limit_is_respected_measured_with_fake_clock(make_client, clock, api_key, limit):
    pmids = [str(n) for n in range(1, 2001)]  # 10 batches of 200
    client, transport = make_client(
        by_pmid={pmid: article_xml(pmid) for pmid in pmids}, api_key=api_key
    )
    client.fetch(pmids)
    times = [call["at"] for call in transport.calls]
    assert len(times) == 10
    # The rate between any two consecutive requests is strictly below the limit ...
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(gaps) > 1.0 / limit
    # ... so no one-second window ever holds more than `limit` requests.
    assert _max_requests_in_any_second(times) <= limit
    # It really waited (on the fake clock) rather than skipping the limit.
    assert clock.sleeps and clock.now > 1000.0


def test_retry_on_429_then_success_with_backoff(make_client, clock):
    ok = read("efetch-pubmed-retraction-notice-27508352.xml")
    client, transport = make_client([(429, b"Too Many Requests"), (503, b""), ok])
    record = client.fetch_one("27508352")
    assert record.title == "Retraction Notice."
    assert len(transport.calls) == 3
    gaps = [b["at"] - a["at"] for a, b in zip(transport.calls, transport.calls[1:], strict=False)]
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0  # exponential backoff: 1 s, then 2 s


def test_retry_after_header_is_honoured(make_client, clock):
    ok = read("efetch-pubmed-retraction-notice-27508352.xml")
    client, transport = make_client([(429, b"", {"retry-after": "7"}), ok])
    client.fetch(["27508352"])
    assert transport.calls[1]["at"] - transport.calls[0]["at"] >= 7


def test_network_failure_exhausts_retries_and_raises_unavailable(make_client):
    client, transport = make_client([OSError("Network is unreachable")] * 4)
    with pytest.raises(PubMedUnavailable, match="after 4 attempts .*Network is unreachable"):
        client.fetch(["29870458"])
    assert len(transport.calls) == 4


def test_timeout_is_retried_then_reported(make_client):
    client, _ = make_client([TimeoutError("timed out")] * 4, max_retries=3)
    with pytest.raises(PubMedUnavailable, match="timed out"):
        client.fetch(["29870458"])


def test_persistent_5xx_raises_unavailable(make_client):
    client, transport = make_client([(502, b"Bad gateway")] * 4)
    with pytest.raises(PubMedUnavailable, match="HTTP 502"):
        client.fetch(["29870458"])
    assert len(transport.calls) == 4


def test_ncbi_error_element_raises_response_error_without_retry(make_client):
    body = b"<eFetchResult><ERROR>Cannot retrieve history data.</ERROR></eFetchResult>"
    client, transport = make_client([body])
    with pytest.raises(PubMedResponseError, match="Cannot retrieve history data"):
        client.fetch(["29870458"])
    assert len(transport.calls) == 1


def test_http_400_with_error_body_is_reported(make_client):
    client, _ = make_client([(400, read("esearch-error-invalid-db.xml"))])
    with pytest.raises(PubMedResponseError, match="HTTP 400.*Invalid db name"):
        client.fetch(["29870458"])


def test_garbage_body_is_a_response_error(make_client):
    client, _ = make_client([b"<html><body>Service maintenance</body></html>"])
    with pytest.raises(PubMedResponseError, match="got <html>"):
        client.fetch(["29870458"])


def test_unknown_pmid_raises_not_found_with_the_missing_ids_and_the_found_records(make_client):
    client, _ = make_client([read("efetch-pubmed-retraction-notice-27508352.xml")])
    with pytest.raises(PubMedNotFound) as caught:
        client.fetch(["27508352", "99999999"])
    assert caught.value.pmids == ("99999999",)
    assert list(caught.value.records) == ["27508352"]
    assert "99999999" in str(caught.value)


def test_empty_body_means_no_record_found(make_client):
    client, _ = make_client([b"\n"])
    with pytest.raises(PubMedNotFound):
        client.fetch(["99999999"])


def test_invalid_pmids_are_refused_before_any_request(make_client):
    client, transport = make_client([])
    with pytest.raises(ValueError, match="0123"):
        client.fetch(["29870458", "0123"])
    assert transport.calls == []


def test_constructor_validates_configuration():
    with pytest.raises(ValueError, match="tool"):
        PubMedClient(tool="", email="x@example.invalid")
    with pytest.raises(ValueError, match="batch_size"):
        PubMedClient(tool="t", email="", batch_size=500)


def test_transport_response_defaults():
    assert TransportResponse(200, b"").headers == {}


def test_efetch_set_helper_builds_parseable_documents(make_client):
    client, _ = make_client([efetch_set([article_xml("5"), article_xml("6")])])
    assert list(client.fetch(["5", "6"])) == ["5", "6"]


class _SlowTransport:
    """Each call takes `seconds` of the fake clock (or the timeout it was given, if less)."""

    def __init__(self, clock, seconds):
        self.clock, self.seconds, self.timeouts = clock, seconds, []

    def __call__(self, url, params, timeout):
        self.timeouts.append(timeout)
        self.clock.now += min(self.seconds, timeout)
        raise TimeoutError("no answer")


def test_a_deadline_bounds_the_whole_fetch_retries_and_waits_included(clock):
    transport = _SlowTransport(clock, seconds=3)
    client = PubMedClient(
        tool="t", email="e", timeout=5, transport=transport, clock=clock, sleep=clock.sleep,
        deadline=8,
    )
    started = clock.now
    with pytest.raises(PubMedUnavailable, match="within 8 s"):
        client.fetch(["1"])
    assert clock.now - started <= 8
    # Each attempt got only what was left of the deadline.
    assert transport.timeouts[0] == 5
    assert all(timeout <= 8 for timeout in transport.timeouts)
    assert len(transport.timeouts) < 4


def test_the_shared_slot_is_waited_for_and_counts_against_the_deadline(make_client, clock):
    waits = [0.5, 0.25, 0.0]
    client, transport = make_client(
        [read("efetch-pubmed-retraction-notice-27508352.xml")],
        shared_slot=lambda: waits.pop(0),
    )
    client.fetch(["27508352"])
    assert clock.sleeps == [0.5, 0.25] and waits == []
    assert transport.calls[0]["at"] == 1000.75

    busy, _ = make_client([], shared_slot=lambda: 0.6, deadline=2)
    with pytest.raises(PubMedUnavailable, match="in use by other processes"):
        busy.fetch(["27508352"])
