"""
Faults on real servers (issue 14): limits shared by every worker and server, a start-up that
refuses a cache the workers cannot share, and a database outage that answers 503 with
Retry-After and heals without a restart.

The demo site on a database of its own, served by gunicorn as `make serve` runs it
(tests/servers.py). The outage is real: on SQLite the database file is moved away and back; on
the suite's PostgreSQL pass the cluster itself is stopped and started again with the options
`scripts/test.sh` started it with (TEST_PG_CTL_*), so every connection really drops.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.servers import (
    ON_POSTGRESQL,
    ROOT,
    _bounded,
    _free_port,
    demo_site,
    get,
    needs_gunicorn,
    needs_redis,
    request,
    start_redis,
)

pytestmark = [pytest.mark.servers, needs_gunicorn]

REPORTED_BY_ONE = "what-is-chronic-pain"
REPORTED_BY_MANY = "multimodal-care-for-chronic-pain"
ARTICLE_CAP = 10
OUTAGE_PAGE = "/articles/ketamine-for-chronic-pain-evidence/"


@pytest.fixture(scope="module")
def site():
    yield from demo_site()


@pytest.fixture(scope="module")
def redis_servers(site):
    url = start_redis(site)
    return [
        site.gunicorn(
            name, workers=2, REDIS_URL=url, PROBLEM_REPORTS_PER_ARTICLE_HOUR=str(ARTICLE_CAP)
        )
        for name in ("limits-a", "limits-b")
    ]


# --- readers' reports ---------------------------------------------------------------------


def _form(port: int, slug: str) -> tuple[str, str]:
    """The report form's CSRF cookie and token (a pair any later POST may reuse)."""
    page = get(port, f"/articles/{slug}/report-a-problem/")
    assert page.status == 200, page.body[:500]
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["set-cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    return cookie, token


def _report(port: int, slug: str, csrf: tuple[str, str], message: str, source: str) -> int:
    cookie, token = csrf
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "message": message}).encode()
    answer = request(
        port,
        "POST",
        f"/articles/{slug}/report-a-problem/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            # Any client may send this header; the limit must not believe it.
            "X-Forwarded-For": f"198.51.100.{len(message) % 250}",
        },
        source=source,
    )
    return answer.status


def _stored_reports(site, slug: str) -> int:
    out = site.manage(
        "shell", "-c",
        "from articles.models import ProblemReport; "
        f"print(ProblemReport.objects.filter(article__slug={slug!r}).count())",
    )
    return int(out.strip().splitlines()[-1])


@needs_redis
def test_one_sender_gets_five_reports_an_hour_across_all_workers_and_servers(
    site, redis_servers
):
    csrf = _form(redis_servers[0].port, REPORTED_BY_ONE)
    ports = [redis_servers[n % 2].port for n in range(40)]
    statuses = [
        _report(port, REPORTED_BY_ONE, csrf, f"Report {n} " + "x" * n, "127.0.0.1")
        for n, port in enumerate(ports)
    ]
    assert statuses.count(302) == 5, statuses
    assert statuses.count(429) == 35
    assert _stored_reports(site, REPORTED_BY_ONE) == 5


@needs_redis
def test_one_page_takes_at_most_its_cap_from_many_senders(site, redis_servers):
    csrf = _form(redis_servers[0].port, REPORTED_BY_MANY)
    statuses = [
        _report(redis_servers[n % 2].port, REPORTED_BY_MANY, csrf, f"Report {n}", f"127.0.1.{n}")
        for n in range(1, 31)
    ]
    assert statuses.count(302) == ARTICLE_CAP, statuses
    assert _stored_reports(site, REPORTED_BY_MANY) == ARTICLE_CAP


# --- start-up -----------------------------------------------------------------------------


def _start(site, **env: str) -> tuple[subprocess.Popen, int, Path]:
    port = _free_port()
    log = site.workdir / f"startup-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _bounded([
                sys.executable, "-m", "gunicorn", "config.wsgi",
                "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            ]),
            cwd=ROOT, env={**site.env, **env}, stdout=out, stderr=subprocess.STDOUT,
        )
    site.processes.append(process)
    return process, port, log


def test_the_server_refuses_several_workers_on_a_cache_they_cannot_share(site):
    process, _, log = _start(site, WEB_CONCURRENCY="3", REDIS_URL="")
    assert process.wait(timeout=60) != 0
    assert "3 web workers would each count" in log.read_text()


@needs_redis
def test_the_server_starts_several_workers_on_a_shared_cache(site, redis_servers):
    process, port, log = _start(site, WEB_CONCURRENCY="2", REDIS_URL=site.redis_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        with contextlib.suppress(OSError):
            if get(port, "/healthz").status == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer:\n{log.read_text()[-2000:]}")


# --- the database stops -------------------------------------------------------------------


def _pg_ctl(*args: str) -> None:
    user = os.environ["TEST_PG_CTL_USER"]
    command = [f"{os.environ['TEST_PG_CTL_BIN']}/pg_ctl", "-D", os.environ["TEST_PG_CTL_DATA"]]
    if user != os.environ.get("USER", "") and os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    subprocess.run([*command, *args], check=True, capture_output=True, timeout=90)


@contextlib.contextmanager
def _database_down(site):
    if not ON_POSTGRESQL:
        path = Path(site.env["DJANGO_SQLITE_PATH"])
        away = path.with_name(path.name + ".away")
        path.rename(away)
        try:
            yield
        finally:
            # Connections made meanwhile created an empty file in its place.
            for leftover in path.parent.glob(path.name + "*"):
                if leftover != away:
                    leftover.unlink()
            away.rename(path)
        return
    if not os.environ.get("TEST_PG_CTL_DATA"):
        pytest.skip("the PostgreSQL server is not this run's own (scripts/test.sh starts one)")
    from django.db import connections

    _pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
    try:
        yield
    finally:
        _pg_ctl(
            "start", "-w", "-t", "60", "-l", os.environ["TEST_PG_CTL_LOG"],
            "-o", os.environ["TEST_PG_CTL_OPTIONS"],
        )
        # This test process's own connections died with the server: later tests reconnect.
        connections.close_all()


def test_a_database_outage_answers_503_with_retry_after_and_the_site_recovers(site):
    server = site.gunicorn("outage", workers=2, OUTAGE_RETRY_AFTER_SECONDS="20")
    assert get(server.port, OUTAGE_PAGE).status == 200
    with _database_down(site):
        paths = (OUTAGE_PAGE, "/", OUTAGE_PAGE, "/search/?q=pain")
        answers = [get(server.port, path) for path in paths]
        health = get(server.port, "/healthz")
    for answer in answers:
        assert answer.status == 503, (answer.status, answer.body[:300])
        assert answer.headers["retry-after"] == "20"
        assert "This site is temporarily unavailable" in answer.body
        assert "Traceback" not in answer.body
    assert health.status == 503
    # Back without restarting gunicorn: every worker reconnects by itself.
    deadline = time.monotonic() + 20
    recovered = []
    while time.monotonic() < deadline and len(recovered) < 6:
        answer = get(server.port, OUTAGE_PAGE)
        recovered = recovered + [answer] if answer.status == 200 else []
        time.sleep(0.05)
    assert len(recovered) == 6, "the site did not recover without a restart"
    assert get(server.port, "/healthz").status == 200
