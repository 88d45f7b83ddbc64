"""
A real Varnish (`deploy/varnish/default.vcl`, vmod-xkey) in front of a real gunicorn: cache
hits, purges that reach Varnish within a second of publish, unpublish and "changes
requested", and the overdue switch arriving on time through the cache.

The app runs as `make serve` runs it (DEBUG off, settings from the environment) on its own
SQLite file, migrated and seeded here; editorial actions run through the project's services in
`manage.py shell -c` against that file (`tests/public/varnish_site.py`), with
`PUBLIC_CACHE_PURGE_URLS` pointing at this Varnish. Everything listens on loopback, runs under
`timeout` so it stops by itself, and is stopped by process id at the end.

Two groups of tests:

- the test pages of `tests/public/http_cache_urls.py` (which attach a Freshness like the
  public views) prove the machinery: hits, purges from the real services, the switch;
- the real public pages.

`scripts/test.sh` installs varnish and varnish-modules; without them the module is skipped.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VCL = ROOT / "deploy" / "varnish" / "default.vcl"
VARNISHD = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")
# Seconds from seeding to the instant the "lapsing" page turns overdue: long enough for the
# servers to start and the page to be cached before it, short enough not to wait long.
OVERDUE_IN = 9.0
# How soon after an editorial action returns the next request must see it.
WITHIN = 1.0

pytestmark = [
    pytest.mark.varnish,
    pytest.mark.skipif(
        VARNISHD is None,
        reason="varnishd is not installed (scripts/test.sh installs varnish and varnish-modules)",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def cache(self) -> str:
        return self.headers.get("x-cache", "")


@dataclass
class Stack:
    """gunicorn behind varnishd, and how to reach and drive them."""

    workdir: Path
    env: dict[str, str]
    varnish_port: int
    ids: dict[str, int] = field(default_factory=dict)
    due: float = 0.0
    processes: list[subprocess.Popen] = field(default_factory=list)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `path` through Varnish."""
        return self.request("GET", path, headers)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.varnish_port, timeout=10)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def manage(self, *args: str) -> str:
        """Run `manage.py` against the server's database; return its standard output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def act(self, action: str, slug: str) -> float:
        """Run an editorial action of `varnish_site` through the services; return when it did."""
        self.manage("shell", "-c", f"from tests.public.varnish_site import {action}; "
                    f"{action}({slug!r})")
        return time.monotonic()

    def until(self, done, path: str, *, since: float, within: float = WITHIN) -> Answer:
        """GET `path` until `done(answer)`, at most `within` seconds after `since`."""
        while True:
            answer = self.get(path)
            if done(answer) or time.monotonic() - since > within:
                return answer
            time.sleep(0.05)


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


def _bounded(command: list[str]) -> list[str]:
    # Servers stop by themselves even if this test process dies without its finalizers.
    timeout = shutil.which("timeout")
    return [timeout, "--kill-after=5", "180", *command] if timeout else command


def _wait_for(port: int, path: str, process: subprocess.Popen, log: Path, seconds=20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{log.name} exited early:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError(f"Nothing answered on 127.0.0.1:{port}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def stack():
    # Not under pytest's temporary directories: those are private to this user, and varnishd
    # compiles the VCL as its own unprivileged user inside its working directory.
    workdir = Path(tempfile.mkdtemp(prefix="healthpages-varnish-"))
    workdir.chmod(0o755)
    varnish_port, app_port = _free_port(), _free_port()
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SIGNING_", "PUBLIC_CACHE_", "REVIEW_", "TEST_"))
    }
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "tests.public.varnish_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DJANGO_SQLITE_PATH": str(workdir / "site.sqlite3"),
        "SIGNING_KEY_FILE": str(workdir / "signing.pem"),
        "SIGNOFF_LOG_HEAD_FILE": "",
        "PUBLIC_CACHE_SECONDS": "300",
        "PUBLIC_CACHE_PURGE_URLS": f"http://127.0.0.1:{varnish_port}",
    }
    site = Stack(workdir=workdir, env=env, varnish_port=varnish_port)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "signing_key_create", env["SIGNING_KEY_FILE"]],
            cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"}, capture_output=True, timeout=60,
            check=True,
        )
        site.manage("migrate", "--no-input", "-v", "0")
        facts = json.loads(
            site.manage(
                "shell", "-c",
                f"from tests.public.varnish_site import seed; seed(overdue_in={OVERDUE_IN})",
            ).strip().splitlines()[-1]
        )
        site.ids, site.due = facts["ids"], facts["due"]

        vcl = re.sub(r'\.port = "\d+";', f'.port = "{app_port}";', VCL.read_text(), count=1)
        (workdir / "default.vcl").write_text(vcl)
        (workdir / "default.vcl").chmod(0o644)
        app_log, varnish_log = workdir / "gunicorn.log", workdir / "varnishd.log"
        with app_log.open("w") as out:
            site.processes.append(
                subprocess.Popen(
                    _bounded([
                        sys.executable, "-m", "gunicorn", "config.wsgi",
                        "--bind", f"127.0.0.1:{app_port}", "--workers", "2",
                        "--graceful-timeout", "2",
                    ]),
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
            )
        with varnish_log.open("w") as out:
            site.processes.append(
                subprocess.Popen(
                    _bounded([
                        VARNISHD, "-F", "-n", str(workdir / "varnish"),
                        "-a", f"127.0.0.1:{varnish_port}", "-T", "none",
                        "-f", str(workdir / "default.vcl"), "-s", "malloc,32m",
                    ]),
                    cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                )
            )
        _wait_for(app_port, "/healthz", site.processes[0], app_log)
        try:
            _wait_for(varnish_port, "/healthz", site.processes[1], varnish_log)
        except AssertionError:
            if re.search(r"(?i)vmod.*xkey|xkey.*vmod", varnish_log.read_text()):
                pytest.skip("Varnish has no xkey vmod (scripts/test.sh installs varnish-modules)")
            raise
        yield site
    finally:
        _stop(site.processes)
        shutil.rmtree(workdir, ignore_errors=True)


# --- Real pages: the overdue switch first, since its instant was fixed when seeding --------


def test_the_overdue_switch_of_a_real_page_arrives_on_time_through_the_cache(stack):
    path = "/articles/lapsing-page/"
    first = stack.get(path)
    assert time.time() < stack.due - 1, "the servers took too long to start"
    assert first.status == 200 and 'data-review-status="due-soon"' in first.body
    max_age = int(re.search(r"s-maxage=(\d+)", first.headers["cache-control"]).group(1))
    assert time.time() + max_age <= stack.due + WITHIN
    second = stack.get(path)
    assert second.cache == "HIT" and 'data-review-status="due-soon"' in second.body
    time.sleep(max(0.0, stack.due - time.time()))
    overdue = stack.until(
        lambda a: 'data-review-status="overdue"' in a.body, path, since=time.monotonic()
    )
    assert 'data-review-status="overdue"' in overdue.body


# --- The machinery, on the test pages (passes whatever the views do) ----------------------


def test_a_second_get_is_a_hit_and_surrogate_keys_stay_inside_the_cache(stack):
    first = stack.get("/_fresh/1001/")
    second = stack.get("/_fresh/1001/")
    assert first.status == second.status == 200
    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert second.body == first.body
    assert second.headers["cache-control"] == "public, max-age=0, s-maxage=300"
    assert "xkey" not in second.headers
    assert second.headers["etag"] == first.headers["etag"]
    not_modified = stack.get("/_fresh/1001/", {"If-None-Match": first.headers["etag"]})
    assert not_modified.status == 304 and not_modified.cache == "HIT"


def test_private_pages_and_signed_in_requests_are_never_served_from_the_cache(stack):
    assert [stack.get("/_plain/").cache for _ in range(2)] == ["MISS", "MISS"]
    stack.get("/_fresh/1002/")
    signed_in = stack.get("/_fresh/1002/", {"Cookie": "sessionid=abc"})
    assert signed_in.cache == "MISS"
    assert stack.get("/_fresh/1002/", {"Cookie": "csrftoken=abc"}).cache == "HIT"


def test_a_purge_from_the_real_services_reaches_varnish_and_only_for_its_keys(stack):
    probe, other = f"/_fresh/{stack.ids['probe']}/", "/_fresh/1003/"
    for path in (probe, other):
        stack.get(path)
        assert stack.get(path).cache == "HIT"
    done = stack.act("request_changes", "probe-page")
    assert stack.until(lambda a: a.cache == "MISS", probe, since=done).cache == "MISS"
    assert stack.get(other).cache == "HIT", "a purge forgets only the article's keys"


def test_a_purge_by_key_from_the_app_servers_address_forgets_the_tagged_page(stack):
    stack.get("/_fresh/1004/")
    answer = stack.request("PURGE", "/", {"xkey-purge": "article-1004"})
    assert answer.status == 200 and "Purged 1 objects" in answer.body
    assert stack.get("/_fresh/1004/").cache == "MISS"


def test_the_switch_arrives_on_time_through_the_cache(stack):
    switch = time.time() + 2.5
    path = f"/_fresh/1005/?switch={switch}"
    first = stack.get(path)
    assert 'data-review-status="current"' in first.body
    max_age = int(re.search(r"s-maxage=(\d+)", first.headers["cache-control"]).group(1))
    assert max_age <= 2
    assert stack.get(path).cache == "HIT"
    time.sleep(max(0.0, switch - time.time()))
    after = stack.get(path)
    assert 'data-review-status="overdue"' in after.body
    assert after.headers["cache-control"] == "public, max-age=0, s-maxage=300"


# --- Real pages ---------------------------------------------------------------------------


def test_a_real_article_page_and_the_home_page_are_cache_hits(stack):
    for path in ("/articles/steady-page/", "/"):
        stack.get(path)
        again = stack.get(path)
        assert again.status == 200 and again.cache == "HIT", path


def test_publishing_shows_on_the_cached_home_page_within_a_second(stack):
    stack.get("/")
    assert stack.get("/").cache == "HIT"
    done = stack.act("publish", "waiting-page")
    home = stack.until(lambda a: "Waiting page" in a.body, "/", since=done)
    assert "Waiting page" in home.body
    assert stack.get("/articles/waiting-page/").status == 200


def test_unpublishing_takes_the_cached_page_down_within_a_second(stack):
    path = "/articles/steady-page/"
    stack.get(path)
    assert stack.get(path).cache == "HIT"
    stack.get("/")
    done = stack.act("unpublish", "steady-page")
    assert stack.until(lambda a: a.status == 404, path, since=done).status == 404
    assert "Steady page" not in stack.get("/").body


def test_changes_requested_takes_the_stamp_off_the_cached_page_within_a_second(stack):
    path = "/articles/contested-page/"
    stack.get(path)
    cached = stack.get(path)
    assert cached.cache == "HIT" and 'data-review-status="current"' in cached.body
    done = stack.act("request_changes", "contested-page")
    page = stack.until(lambda a: "review-notice-taken-back" in a.body, path, since=done)
    assert "review-notice-taken-back" in page.body
    assert 'data-review-status="current"' not in page.body
