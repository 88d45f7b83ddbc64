"""
Withdrawal reaches every worker and every server at the next request, with real processes.

The demo site (`manage.py migrate` + `manage.py loaddemo`, DEBUG on) on a database of its own: a
SQLite file in a temporary directory, or, when the suite runs on PostgreSQL
(`TEST_EXPECT_DB_VENDOR=postgresql` with DATABASE_URL), a throwaway database on that server. Then
gunicorn as `make serve` runs it (DEBUG off, settings from the environment,
`tests/public/servers_settings.py`):

1. one server with 3 workers on local memory (the default CACHES): every worker answers the
   page before; after "Unpublish" returns, every worker answers 404. Likewise "changes
   requested": no response after it returns carries the "current" stamp;
2. two servers (2 workers each) sharing a real `redis-server` (REDIS_URL): after "Unpublish"
   returns, both servers and all their workers answer 404;
3. the race: readers loop over both servers while the withdrawal commits; whatever the readers
   that started before the commit saw, every request that starts after it is a 404.

Editorial actions run through the project's services in `manage.py shell -c`
(`tests/public/servers_site.py`), which returns only after the transaction committed. Requests
use `http.client` with `Connection: close`, so they spread over the workers; gunicorn's access
log names the worker (pid) that answered each one. Everything listens on 127.0.0.1, runs under
`timeout` so it stops by itself, and is stopped by process id at the end.

`scripts/test.sh` installs `redis-server`; the Redis tests are skipped without it or without the
`redis` client package in this environment.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import (
    HTTP_TIMEOUT,
    VENDOR,
    Answer,
    Server,
    demo_site,
    get,
    needs_gunicorn,
    needs_redis,
    start_redis,
)

CONCURRENCY = 6
NOTICE = 'class="review-notice-taken-back"'

# Live pages of the demo site, one per check (a withdrawn page stays withdrawn).
WITHDRAWN_LOCMEM = "pain-treatment-myths-and-hype"
SENT_BACK_LOCMEM = "what-is-chronic-pain"  # the demo's page whose stamp is "current"
WITHDRAWN_REDIS = "multimodal-care-for-chronic-pain"
WITHDRAWN_IN_RACE = "ketamine-for-chronic-pain-evidence"

pytestmark = [pytest.mark.servers, needs_gunicorn]


@pytest.fixture(scope="module")
def site():
    yield from demo_site()


@pytest.fixture(scope="module")
def locmem_server(site):
    return site.gunicorn("locmem", workers=3)


@pytest.fixture(scope="module")
def redis_servers(site):
    url = start_redis(site)
    return [site.gunicorn(name, workers=2, REDIS_URL=url) for name in ("redis-a", "redis-b")]


# --- Phases -------------------------------------------------------------------------------


def _requests(servers: list[Server], path: str, count: int) -> list[Answer]:
    """`count` GETs of `path`, over the servers in turn, `CONCURRENCY` at a time."""
    targets = [servers[i % len(servers)].port for i in range(count)]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(lambda port: get(port, path), targets))


def _every_worker(
    servers: list[Server], path: str, *, at_least: int, at_most: int = 300
) -> tuple[list[Answer], dict[str, Counter]]:
    """
    GET `path` at least `at_least` times, and on until every worker of every server answered.

    Returns the answers and, per server, how many each worker (pid) answered.
    """
    marks = {server.name: server.mark() for server in servers}
    answers: list[Answer] = []
    while True:
        answers += _requests(servers, path, at_least if not answers else 2 * CONCURRENCY)
        pids = {
            server.name: server.pids(
                marks[server.name], path, expect=sum(a.port == server.port for a in answers)
            )
            for server in servers
        }
        if all(len(pids[s.name]) >= s.workers for s in servers) or len(answers) >= at_most:
            return answers, pids


def _workers(pids: dict[str, Counter]) -> str:
    return ", ".join(f"{name}: {len(c)} workers {sorted(c.values())}" for name, c in pids.items())


def _assert_every_worker(servers: list[Server], pids: dict[str, Counter], when: str) -> None:
    for server in servers:
        assert len(pids[server.name]) == server.workers, (
            f"{when}: only {len(pids[server.name])} of {server.name}'s {server.workers} workers "
            "answered"
        )


# --- 1. One server, 3 workers, local memory -----------------------------------------------


def test_unpublish_reaches_every_worker_of_a_server_on_local_memory(site, locmem_server):
    servers, path = [locmem_server], f"/articles/{WITHDRAWN_LOCMEM}/"
    before, before_pids = _every_worker(servers, path, at_least=60)
    assert [a.status for a in before] == [200] * len(before), "the page was live before"
    _assert_every_worker(servers, before_pids, "before")

    report = site.act("withdraw", WITHDRAWN_LOCMEM)
    after, after_pids = _every_worker(servers, path, at_least=40)
    stale = sum(a.stale_page for a in after)
    print(
        f"\n[servers] {report['vendor']}, 3 workers, local memory, unpublish: before {len(before)} "
        f"(200: {len(before)}; {_workers(before_pids)}); after the commit returned "
        f"{len(after)}, stale {stale} ({_workers(after_pids)})"
    )
    assert (report["cache"], report["vendor"]) == ("LocMemCache", VENDOR)
    assert stale == 0, Counter(a.status for a in after)
    assert [a.status for a in after] == [404] * len(after)
    _assert_every_worker(servers, after_pids, "after the withdrawal")


def test_changes_requested_takes_the_stamp_off_every_worker_on_local_memory(
    site, locmem_server
):
    servers, path = [locmem_server], f"/articles/{SENT_BACK_LOCMEM}/"
    before, before_pids = _every_worker(servers, path, at_least=60)
    assert all(a.status == 200 and a.stale_stamp for a in before), "the stamp was current"
    _assert_every_worker(servers, before_pids, "before")

    site.act("request_changes", SENT_BACK_LOCMEM)
    after, after_pids = _every_worker(servers, path, at_least=40)
    stale = sum(a.stale_stamp for a in after)
    notices = sum(a.status == 200 and NOTICE in a.body for a in after)
    print(
        f"\n[servers] 3 workers, local memory, changes requested: before {len(before)} "
        f"(all 'current'); after the commit returned {len(after)}, stale stamp {stale}, "
        f"notice shown {notices} ({_workers(after_pids)})"
    )
    assert stale == 0
    assert notices == len(after), Counter(a.status for a in after)
    _assert_every_worker(servers, after_pids, "after changes were requested")


# --- 2. Two servers on one Redis ----------------------------------------------------------


@needs_redis
def test_unpublish_reaches_both_servers_on_redis(site, redis_servers):
    servers, path = redis_servers, f"/articles/{WITHDRAWN_REDIS}/"
    before, before_pids = _every_worker(servers, path, at_least=60)
    assert [a.status for a in before] == [200] * len(before), "the page was live before"
    _assert_every_worker(servers, before_pids, "before")

    report = site.act("withdraw", WITHDRAWN_REDIS, REDIS_URL=site.redis_url)
    after, after_pids = _every_worker(servers, path, at_least=40)
    stale = sum(a.stale_page for a in after)
    print(
        f"\n[servers] 2 servers x 2 workers, Redis, unpublish: before {len(before)} "
        f"(200: {len(before)}); after the commit returned {len(after)}, stale {stale} "
        f"({_workers(after_pids)})"
    )
    assert report["cache"] == "RedisCache"
    assert stale == 0, Counter(a.status for a in after)
    assert [a.status for a in after] == [404] * len(after)
    _assert_every_worker(servers, after_pids, "after the withdrawal")


# --- 3. The race: readers in flight while the withdrawal commits ---------------------------


@needs_redis
def test_readers_in_flight_during_the_withdrawal_leave_nothing_stale(site, redis_servers):
    servers, path = redis_servers, f"/articles/{WITHDRAWN_IN_RACE}/"
    warm, warm_pids = _every_worker(servers, path, at_least=40)
    assert [a.status for a in warm] == [200] * len(warm), "the page was live before"

    answers: list[Answer] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader(offset: int) -> None:
        for n in range(3000):  # bounded, whatever happens
            if stop.is_set():
                return
            try:
                answers.append(get(servers[(offset + n) % len(servers)].port, path))
            except Exception as error:  # reported by the test below
                failures.append(error)
                return

    readers = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(4)]
    for thread in readers:
        thread.start()
    time.sleep(0.5)
    began = time.time()
    report = site.act("withdraw", WITHDRAWN_IN_RACE, REDIS_URL=site.redis_url)
    committed, returned = report["committed"], report["returned"]
    time.sleep(1.0)  # the readers go on after the command returned
    stop.set()
    for thread in readers:
        thread.join(timeout=HTTP_TIMEOUT + 5)
    final, final_pids = _every_worker(servers, path, at_least=40)

    def count(group: list[Answer]) -> str:
        statuses = Counter(a.status for a in group)
        return f"{len(group)} (200: {statuses[200]}, 404: {statuses[404]})"

    before = [a for a in answers if a.ended < began]
    during = [a for a in answers if a.ended >= began and a.started < returned]
    straddling = [a for a in answers if a.started < committed <= a.ended]
    after_commit = [a for a in answers if a.started >= committed]
    after_return = [a for a in answers if a.started >= returned] + final
    stale = sum(a.stale_page for a in after_return)
    print(
        f"\n[servers] race, 2 servers on Redis, 4 readers: before {count(before)}; "
        f"during the command {count(during)}, of which straddling the commit "
        f"{count(straddling)}; started after the commit {count(after_commit)}; after the "
        f"command returned {count(after_return)} incl. a final sweep of {len(final)}; "
        f"stale after {stale} ({_workers(final_pids)})"
    )
    assert not failures, failures
    assert before and all(a.status == 200 for a in before), "the page was live before"
    assert sum(a.stale_page for a in after_commit) == 0
    assert len(after_return) >= 60 and stale == 0
    assert all(a.status == 404 for a in after_return)
    _assert_every_worker(servers, final_pids, "after the withdrawal")
