"""
Benchmark the public article page as production serves it: gunicorn, DEBUG off, SQLite demo.

Reports, for one run on this machine:
- SQL queries per uncached article request (Django test client, in process);
- server CPU per request: the gunicorn worker's user+system CPU time over N requests / N,
  uncached (page cache off) and cached;
- requests/second and latency for the article page next to a static file of the same size
  served by the same stack (whitenoise in the same gunicorn), and their ratio;
- the worker's resident memory after 1,000 and after 10,000 requests (it should stay flat).

Run: `.venv/bin/python bench/bench_article.py` (about two minutes). The load generator is wrk
(Debian package) when present, otherwise a small keep-alive Python client; both talk to
127.0.0.1 only, with bounded request counts, and the server is stopped by its process id.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(workdir: Path) -> dict[str, str]:
    """A fresh SQLite database with the demo content, and collected static files."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": "",
        "DJANGO_SQLITE_PATH": str(workdir / "bench.sqlite3"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
    }
    run_manage(env, "migrate", "--no-input")
    demo_env = {**env, "DJANGO_DEBUG": "1"}
    run_manage(demo_env, "loaddemo")
    run_manage(env, "collectstatic", "--no-input")
    return env


def article_path(env) -> str:
    """The URL of the first live demo article, read through the public selector."""
    code = (
        "import django; django.setup();"
        "from articles.public.selectors import article_list_public;"
        "print(article_list_public()[0].get_absolute_url())"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def count_queries(env, path: str) -> int:
    code = (
        "import django; django.setup();"
        "from django.conf import settings; settings.ALLOWED_HOSTS=['testserver'];"
        "from django.test import Client; from django.db import connection;"
        "from django.test.utils import CaptureQueriesContext;"
        "from django.core.cache import cache;"
        f"c=Client(); c.get({path!r}); cache.clear();"
        "ctx=CaptureQueriesContext(connection);\n"
        "with ctx: r=c.get(" + repr(path) + ")\n"
        "assert r.status_code==200, r.status_code; print(len(ctx.captured_queries))"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env={**env, "ARTICLE_CACHE_SECONDS": "0"},
                         check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


class Server:
    """gunicorn with one sync worker on loopback; stopped by its process id."""

    def __init__(self, env, *, cache_seconds: int):
        self.port = free_port()
        self.env = {**env, "ARTICLE_CACHE_SECONDS": str(cache_seconds)}
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--worker-class", "sync", "--log-level", "warning",
             "--timeout", "60"],
            cwd=ROOT, env=self.env, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0])

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.worker_pid()}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def python_load(port: int, path: str, requests: int) -> dict:
    """Sequential keep-alive requests; returns rps and latency percentiles in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    start = time.perf_counter()
    for _ in range(requests):
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - start
    conn.close()
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
    }


def wrk_load(port: int, path: str, seconds: int = 8) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    if "Non-2xx" in out:
        raise RuntimeError(f"{path}: non-2xx responses under load")
    return {"rps": rps, "p50": ms("50"), "p99": ms("99")}


def load(port, path):
    return wrk_load(port, path) if shutil.which("wrk") else python_load(port, path, 2000)


def warm(port, path, n):
    python_load(port, path, n)


def main():
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print("Preparing a demo database and static files ...", flush=True)
        env = prepare(workdir)
        path = article_path(env)
        queries = count_queries(env, path)

        # A static file of the same size as the article page, served by the same stack.
        with Server(env, cache_seconds=0) as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            conn.request("GET", path)
            page = conn.getresponse().read()
        static_root = Path(env["DJANGO_STATIC_ROOT"])
        static_file = static_root / "bench-same-size.html"
        static_file.write_bytes(page)
        static_path = "/static/bench-same-size.html"

        results = {}
        with Server(env, cache_seconds=0) as server:
            warm(server.port, path, 50)
            cpu0 = server.cpu_seconds()
            python_load(server.port, path, 1000)
            results["uncached_cpu_ms"] = (server.cpu_seconds() - cpu0) / 1000 * 1000
            results["uncached"] = load(server.port, path)
        with Server(env, cache_seconds=300) as server:
            warm(server.port, path, 50)
            cpu0 = server.cpu_seconds()
            python_load(server.port, path, 1000)
            results["cached_cpu_ms"] = (server.cpu_seconds() - cpu0) / 1000 * 1000
            results["cached"] = load(server.port, path)
            results["static"] = load(server.port, static_path)
        with Server(env, cache_seconds=0) as server:
            python_load(server.port, path, 1000)
            rss_1k = server.rss_mib()
            python_load(server.port, path, 9000)
            rss_10k = server.rss_mib()

    ratio = results["cached"]["rps"] / results["static"]["rps"]
    tool = "wrk -t1 -c4 -d8s" if shutil.which("wrk") else "sequential Python client"
    print()
    print(f"Article page {path} ({len(page):,} bytes), gunicorn 1 sync worker, load: {tool}")
    print(f"  SQL queries per uncached request : {queries}")
    print(f"  server CPU per request, uncached : {results['uncached_cpu_ms']:.2f} ms")
    print(f"  server CPU per request, cached   : {results['cached_cpu_ms']:.2f} ms")
    for name in ("uncached", "cached", "static"):
        r = results[name]
        print(f"  {name:<9} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms")
    print(f"  cached article / static file     : {ratio:.2f} of the static file's req/s")
    print(f"  worker RSS after 1k / 10k reqs   : {rss_1k:.1f} MiB / {rss_10k:.1f} MiB")
    print(f"  (benchmark took {time.monotonic() - started:.0f} s)")
    targets = [
        ("uncached CPU <= 3 ms", results["uncached_cpu_ms"] <= 3),
        ("queries <= 5", queries <= 5),
        ("cached >= 0.5 x static req/s", ratio >= 0.5),
        ("memory flat (< 5 MiB growth)", rss_10k - rss_1k < 5),
    ]
    for label, ok in targets:
        print(f"  target {label:<32} {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
