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

import http.client
import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or shutil.which(
    "redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin"
)
# Seconds any process started here may live, whatever happens to this test process.
LIFETIME = 150
HTTP_TIMEOUT = 5
CONCURRENCY = 6
CURRENT = 'data-review-status="current"'
# The database the servers use: see `_database`.
ON_POSTGRESQL = os.environ.get("TEST_EXPECT_DB_VENDOR") == "postgresql" and bool(
    os.environ.get("DATABASE_URL", "").strip()
)
VENDOR = "postgresql" if ON_POSTGRESQL else "sqlite"
NOTICE = 'class="review-notice-taken-back"'

# Live pages of the demo site, one per check (a withdrawn page stays withdrawn).
WITHDRAWN_LOCMEM = "pain-treatment-myths-and-hype"
SENT_BACK_LOCMEM = "what-is-chronic-pain"  # the demo's page whose stamp is "current"
WITHDRAWN_REDIS = "multimodal-care-for-chronic-pain"
WITHDRAWN_IN_RACE = "ketamine-for-chronic-pain-evidence"

pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(
        importlib.util.find_spec("gunicorn") is None or not hasattr(os, "fork"),
        reason="gunicorn cannot start here: not installed in this environment, or no fork()",
    ),
]
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None or importlib.util.find_spec("redis") is None,
    reason="redis-server (scripts/test.sh installs Debian's) or the redis client package "
    "(the project's `redis` extra) is missing",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bounded(command: list[str]) -> list[str]:
    # Servers stop by themselves even if this test process dies without its finalizers.
    timeout = shutil.which("timeout")
    return [timeout, "--kill-after=5", str(LIFETIME), *command] if timeout else command


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Answer:
    port: int
    status: int
    body: str
    started: float  # wall clock (time.time()), comparable with the committing process's
    ended: float

    @property
    def stale_page(self) -> bool:
        """A withdrawn page still shown (anything but its 404)."""
        return self.status != 404

    @property
    def stale_stamp(self) -> bool:
        """A page sent back that still carries the "current" stamp."""
        return CURRENT in self.body


def get(port: int, path: str) -> Answer:
    """One GET on a fresh connection, closed after the answer (no keep-alive)."""
    started = time.time()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Answer(port, response.status, body, started, time.time())
    finally:
        connection.close()


# --- Processes ----------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn; its access log says which worker (pid) answered what."""

    name: str
    port: int
    workers: int
    access_log: Path

    def mark(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def pids(self, since: int, path: str, *, expect: int) -> Counter:
        """Workers that answered `path` since `mark()`; waits for `expect` lines (logged late)."""
        deadline = time.monotonic() + 3
        while True:
            with self.access_log.open("rb") as log:
                log.seek(since)
                lines = log.read().decode("utf-8", "replace").splitlines()
            fields = [line.split(" ", 2) for line in lines]
            pids = Counter(f[0] for f in fields if len(f) == 3 and f[2] == path)
            if sum(pids.values()) >= expect or time.monotonic() > deadline:
                return pids


@dataclass
class Site:
    """The demo site's database, the environment its servers run with, and its processes."""

    workdir: Path
    env: dict[str, str]
    redis_url: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str, debug: bool = False) -> str:
        env = {**self.env, "DJANGO_DEBUG": "1"} if debug else self.env
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def act(self, action: str, slug: str, **env: str) -> dict:
        """
        Run an action of `servers_site` through the real services; it returns after the commit.

        Returns the action's report, with `returned`, the instant the command had returned.
        """
        self.env, saved = {**self.env, **env}, self.env
        try:
            out = self.manage(
                "shell", "-c",
                f"from tests.public.servers_site import {action}; {action}({slug!r})",
            )
        finally:
            self.env = saved
        report = json.loads(out.strip().splitlines()[-1])
        report["returned"] = time.time()
        return report

    def gunicorn(self, name: str, *, workers: int, **env: str) -> Server:
        port = _free_port()
        server = Server(name, port, workers, self.workdir / f"{name}.access.log")
        log = self.workdir / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                _bounded([
                    sys.executable, "-m", "gunicorn", "config.wsgi",
                    "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--graceful-timeout", "2",
                    "--access-logfile", str(server.access_log),
                    "--access-logformat", "%(p)s %(s)s %(U)s",
                ]),
                cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        _wait_for(port, process, log)
        return server


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{log.name}: exited early:\n{log.read_text()[-3000:]}")
        try:
            if get(port, "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"Nothing answered on 127.0.0.1:{port}:\n{log.read_text()[-3000:]}")


def _database(workdir: Path) -> tuple[dict[str, str], dict[str, str], Callable[[], None]]:
    """
    The database of the servers: (their environment, the migrating owner's, clean-up).

    A SQLite file in `workdir`; on the suite's PostgreSQL pass, a throwaway database on that
    server, made, migrated and seeded by the owner (TEST_DB_OWNER_URL when set), used by the
    servers as DATABASE_URL's (restricted) role, as in production, and dropped at the end.
    """
    if not ON_POSTGRESQL:
        sqlite = {"DATABASE_URL": "", "DJANGO_SQLITE_PATH": str(workdir / "site.sqlite3")}
        return sqlite, sqlite, lambda: None

    import psycopg2

    url = os.environ["DATABASE_URL"].strip()
    owner = os.environ.get("TEST_DB_OWNER_URL", "").strip() or url
    name = f"healthpages_servers_{secrets.token_hex(4)}"

    def on(dsn: str, database: str) -> str:
        return urlsplit(dsn)._replace(path=f"/{database}").geturl()

    def run(sql: str) -> None:
        connection = psycopg2.connect(owner)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    run(f'CREATE DATABASE "{name}"')
    return (
        {"DATABASE_URL": on(url, name)},
        {"DATABASE_URL": on(owner, name)},
        lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
    )


@pytest.fixture(scope="module")
def site():
    workdir = Path(tempfile.mkdtemp(prefix="healthpages-servers-"))
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SIGNING_", "PUBLIC_CACHE_", "REVIEW_", "TEST_"))
    }
    server_db, owner_db, drop = _database(workdir)
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "tests.public.servers_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "SIGNING_KEY_FILE": str(workdir / "signing.pem"),
        "SIGNOFF_LOG_HEAD_FILE": "",
        "PUBLIC_CACHE_PURGE_URLS": "",
    }
    site = Site(workdir=workdir, env={**env, **owner_db})
    try:
        site.manage("signing_key_create", env["SIGNING_KEY_FILE"], debug=True)
        site.manage("migrate", "--no-input", "-v", "0", debug=True)
        site.manage("loaddemo", debug=True)
        if server_db["DATABASE_URL"] != owner_db["DATABASE_URL"]:
            role = urlsplit(server_db["DATABASE_URL"]).username
            site.manage("db_grant_app_role", "--role", role)
        site.env = {**env, **server_db}
        yield site
    finally:
        _stop(site.processes)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def locmem_server(site):
    return site.gunicorn("locmem", workers=3)


@pytest.fixture(scope="module")
def redis_servers(site):
    port = _free_port()
    log = site.workdir / "redis.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _bounded([
                REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(site.workdir),
            ]),
            cwd=site.workdir, stdout=out, stderr=subprocess.STDOUT,
        )
    site.processes.append(process)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start:\n{log.read_text()}") from None
            time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/0"
    servers = [site.gunicorn(name, workers=2, REDIS_URL=url) for name in ("redis-a", "redis-b")]
    site.redis_url = url
    yield servers
    client.close()


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
