"""
Real servers for the tests that need them: the demo site on a database of its own, served by
gunicorn as `make serve` runs it, and a real `redis-server` shared by several servers.

`site` (module-scoped) migrates and seeds a fresh database: a SQLite file in a temporary
directory, or, on the suite's PostgreSQL pass (`TEST_EXPECT_DB_VENDOR=postgresql` with
DATABASE_URL), a throwaway database on that server, made and seeded by the owner
(TEST_DB_OWNER_URL) and used by the servers as the restricted role, as in production.
`Site.gunicorn()` starts a server; `redis_server(site)` a Redis. Everything listens on
127.0.0.1, runs under `timeout` so it stops by itself, and is stopped by process id at the end.
A test module makes its own `site` fixture from `demo_site()`.
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
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or shutil.which(
    "redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin"
)
# Seconds any process started here may live, whatever happens to this test process.
LIFETIME = 150
HTTP_TIMEOUT = 5
# The database the servers use: see `_database`.
ON_POSTGRESQL = os.environ.get("TEST_EXPECT_DB_VENDOR") == "postgresql" and bool(
    os.environ.get("DATABASE_URL", "").strip()
)
VENDOR = "postgresql" if ON_POSTGRESQL else "sqlite"
CURRENT = 'data-review-status="current"'

needs_gunicorn = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None or not hasattr(os, "fork"),
    reason="gunicorn cannot start here: not installed in this environment, or no fork()",
)
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
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

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
    return request(port, "GET", path)


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
) -> Answer:
    """One request on a fresh connection from `source` (any 127.x.y.z), closed after the answer."""
    started = time.time()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=HTTP_TIMEOUT, source_address=(source, 0)
    )
    try:
        all_headers = {"Connection": "close", **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(
            port, response.status, text, started, time.time(),
            {name.lower(): value for name, value in response.getheaders()},
        )
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


def demo_site():
    """
    The demo site's database and environment, for a module-scoped fixture:

        @pytest.fixture(scope="module")
        def site():
            yield from demo_site()
    """
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


def start_redis(site: Site) -> str:
    """A real redis-server on 127.0.0.1 for the site's servers; returns its URL."""
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
    client.close()
    site.redis_url = f"redis://127.0.0.1:{port}/0"
    return site.redis_url


