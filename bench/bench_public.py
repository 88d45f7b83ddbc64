"""
Benchmark the public read model: every public page served from its publication record.

    .venv/bin/python bench/bench_public.py [--reseed] [--no-server] [--profile PAGE]

Reports, for one run on this machine (issue 10, items 7 and 8):

- a long patient page (body about 1,700 words / 15 kB of HTML with 3 internal links,
  5 takeaways, 4 FAQ entries and 20 references) and its size;
- in process, through Django's WSGI handler with DEBUG off (the full middleware stack, as
  gunicorn calls it, without HTTP): server CPU per request (`time.process_time_ns`, median of
  300 requests after 50 warm-up requests, fewer for pages slower than 20 ms; the better of two
  rounds that alternate the two sizes), wall time, and SQL queries per request, for the
  article page, home, topic page 1, search page 1 and the admin article list (a superuser),
  with 200 and with 10,000 live articles;
- under gunicorn (2 sync workers, DEBUG off, `scripts/serve.sh`'s environment) on loopback:
  requests/second for the article page and home with `wrk` (Debian's package, installed
  with apt-get when missing), or a Python client (4 connections) when wrk cannot be had.

Every article is made through the real services, as an editor and a physician would make it
(`article_create`, `revision_create`, `review_request_create`, `signoff_create` with the
reviewer's password, `article_publish`), so every sign-off is signed and chained and every
publication record is written by the publishing code. Seeding 10,000 takes several minutes;
the two databases (and the bench signing key they were signed with) are kept under
bench/results/ (ignored by git), keyed by the migrations, and reused while those do not
change (`--reseed` rebuilds them); records written by older publishing code are brought up to
date with `manage.py publications_render`, as a deploy does. A measurement run takes about
three minutes. `--profile PAGE` prints a cProfile of one page (10,000 articles) instead.

Figures and targets are printed and written to bench/results/public.json. Servers listen on
127.0.0.1 only, are stopped by their process id, and load is sent to loopback only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))  # run from anywhere without installing the project

# Bump when the seeded content changes, so cached databases are rebuilt.
SEED_VERSION = 1
SIZES = (200, 10_000)
LONG_SLUG = "living-with-chronic-low-back-pain"
TOPIC_SLUG = "back-pain"  # the long article's first topic: page 1 of a topic with many pages
SEARCH_WORD = "pain"  # in every article: page 1 of the largest result set
BENCH_SECRET_KEY = "bench-only-secret-key-" + "s" * 40  # the seal's key; never a real key
ADMIN_USERNAME = "bench-admin"
WARMUP, MEASURED = 50, 300
ROUNDS = 2
WRK_SECONDS = 10

TARGETS = {
    "article_queries": 2,
    "article_cpu_ms": 2.2,
    "home_cpu_ms": 3.0,
    "growth": 1.2,  # 10,000 articles against 200: home, topic page 1, article page
    "admin_wall_ms": 150.0,
}


# --- Environment ---------------------------------------------------------------------------


def seed_key() -> str:
    """
    What a seeded database depends on: the migrations and this seed. (Records written by an
    older version of the publishing code are re-written by `publications_render`, the command
    deploys run, rather than seeded again: see `freshen`.)
    """
    digest = hashlib.sha256(f"seed-{SEED_VERSION}".encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("*/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def base_env(*, db: Path, key_file: Path, workdir: Path, settings: str) -> dict[str, str]:
    """`scripts/serve.sh`'s environment: DEBUG off, plain HTTP, loopback, the bench keys."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "SIGNING_KEY": "",
        "SIGNING_KEY_FILE": str(key_file),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "PUBLIC_CACHE_PURGE_URLS": "",
        "DJANGO_SQLITE_PATH": str(db),
        "DJANGO_LOG_LEVEL": "WARNING",
        "SIGNOFF_LOG_HEAD_FILE": "",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
    }


def run_child(env: dict[str, str], *args: str, capture: bool = False) -> str:
    out = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    return out.stdout or ""


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (the backup API, not a file copy)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


# --- Seeding (runs in a child process, Django set up) ---------------------------------------

_WORD_TEXT = (
    "pain back muscle spine nerve disc joint movement exercise sleep stress posture walking "
    "stretching strength physiotherapy treatment medicine doctor symptoms months weeks daily "
    "activity rest heat cold massage therapy recovery flare relief evidence trial research "
    "people body brain signals tissue healing support work family routine habits goals "
    "gentle gradual pacing confidence fear avoidance stiffness ache sitting standing lifting"
)
WORDS = _WORD_TEXT.split()
TOPICS = [
    ("Back pain", "back-pain", True),
    ("Pain management", "pain-management", False),
    ("Neck pain", "neck-pain", True),
    ("Arthritis", "arthritis", True),
    ("Headache", "headache", True),
    ("Sleep", "sleep", False),
    ("Exercise", "exercise", False),
    ("Medicines", "medicines", False),
    ("Mental health", "mental-health", False),
    ("Nerve pain", "nerve-pain", True),
]
CONTRIBUTORS = ["Sam Patel", "Robin Okafor", "Lee Tanaka", "Alex Moreno", "Kim Novak"]
REVIEWERS = ["Dr. Jane Roe", "Dr. Marcus Lee", "Dr. Ana Silva", "Dr. Omar Haddad"]
# Bench-only logins in a bench database.
BENCH_PASSWORD = "bench correct horse battery staple"  # noqa: S105
FIRST_PMID = 39_100_001


def _sentence(rng, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng, sentences: int, marker: str = "") -> str:
    parts = [_sentence(rng, rng.randint(10, 16)) for _ in range(sentences)]
    if marker:
        parts[-1] = parts[-1][:-1] + f" {marker}."
    return "<p>" + " ".join(parts) + "</p>"


def long_body(rng, links: list[str]) -> str:
    """About 1,700 words / 15 kB: 10 sections, 20 citation markers, 3 internal links."""
    pmids = [str(FIRST_PMID + i) for i in range(20)]
    sections = []
    for index in range(10):
        html = [f"<h2>{_sentence(rng, 5)[:-1]}</h2>"]
        for paragraph in range(3):
            cited = pmids[index * 2 + paragraph] if paragraph < 2 else ""
            html.append(_paragraph(rng, 4, f"[PMID:{cited}]" if cited else ""))
        if index in (2, 5, 8):
            slug = links[(2, 5, 8).index(index)]
            html.append(
                f'<p>Read more in <a href="/articles/{slug}/">{_sentence(rng, 4)[:-1]}</a>.</p>'
            )
        if index in (0, 6):
            html.append("<ul>" + "".join(f"<li>{_sentence(rng, 7)}</li>" for _ in range(4))
                        + "</ul>")
        sections.append("".join(html))
    return "\n".join(sections)


def short_body(rng, pmid: str) -> str:
    """A short page (about 300 words) citing one source."""
    return "\n".join(
        f"<h2>{_sentence(rng, 4)[:-1]}</h2>"
        + _paragraph(rng, 6, f"[PMID:{pmid}]" if section == 0 else "")
        for section in range(3)
    )


class Seeder:
    """Makes live articles the way editors and physicians do, through the services."""

    def __init__(self):
        import random

        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from articles.content.models import Contributor, Topic
        from reviews.models import ReviewerProfile

        self.User = get_user_model()
        self.rng = random.Random(10)
        self.topics = list(Topic.objects.filter(slug__in=[t[1] for t in TOPICS]).order_by("pk"))
        self.authors = list(Contributor.objects.order_by("pk"))
        self.reviewers = list(ReviewerProfile.objects.select_related("user").order_by("pk"))
        self.editor = self.User.objects.filter(username="bench-editor").first()
        self.Group = Group

    def people(self):
        """Roles, an editor, a superuser, four verified physicians, topics, authors, sources."""
        from datetime import date, timedelta

        from django.utils import timezone
        from django.utils.text import slugify

        from articles.content.models import Contributor, Topic
        from articles.management.commands.setup_site import EDITORS, roles_update
        from articles.management.commands.setup_site import REVIEWERS as REVIEWER_ROLE
        from references.models import Citation
        from reviews.models import ReviewerProfile
        from reviews.services import reviewer_verify

        roles_update()
        self.editor = self.User.objects.create_user(
            "bench-editor", "editor@example.invalid", BENCH_PASSWORD, is_staff=True,
            first_name="Eddie", last_name="Editor",
        )
        self.editor.groups.add(self.Group.objects.get(name=EDITORS))
        admin = self.User.objects.create_superuser(
            ADMIN_USERNAME, "admin@example.invalid", BENCH_PASSWORD
        )
        for name, slug, condition in TOPICS:
            topic = Topic(name=name, slug=slug, is_condition=condition,
                          description=f"Pages about {name.lower()}.")
            topic.full_clean()
            topic.save()
            self.topics.append(topic)
        for name in CONTRIBUTORS:
            author = Contributor(name=name, slug=slugify(name), credentials="MPH",
                                 bio=f"{name} is a fictional health writer (benchmark data).")
            author.full_clean()
            author.save()
            self.authors.append(author)
        for number, printed_name in enumerate(REVIEWERS, start=1):
            user = self.User.objects.create_user(
                f"bench-reviewer{number}", f"reviewer{number}@example.invalid", BENCH_PASSWORD,
                is_staff=True,
            )
            user.groups.add(self.Group.objects.get(name=REVIEWER_ROLE))
            profile = ReviewerProfile(
                user=user, printed_name=printed_name, credentials="MD",
                specialty="Pain medicine", licence_number=f"MD-{900000 + number}",
                licensing_body="Benchmark Medical Board",
                licence_expires_on=date.today() + timedelta(days=730),
                bio="A fictional physician (benchmark data).",
                slug=slugify(printed_name.removeprefix("Dr. ")),
            )
            profile.full_clean()
            profile.save()
            reviewer_verify(profile=profile, admin_user=admin,
                            evidence="Benchmark data: fictional licence.",
                            checked_on=timezone.localdate())
            self.reviewers.append(profile)
        for index in range(20):
            citation = Citation(
                pmid=str(FIRST_PMID + index),
                title=f"A randomised trial of treatment {index + 1} for chronic low back pain",
                authors=[{"last_name": "Smith", "initials": "J"},
                         {"last_name": "Okafor", "initials": "R"}],
                journal_abbrev="Pain Med", year=2015 + index % 10, volume=str(20 + index),
                pages=f"{100 + index}-{109 + index}", doi=f"10.1000/bench.{index + 1}",
                publication_types=["Randomized Controlled Trial"], evidence_label="rct",
            )
            citation.full_clean()
            citation.save()

    def publish(self, data: dict, reviewer) -> None:
        """Write, send for review, approve (signed) and publish one article."""
        from articles.content.services import article_create, revision_create
        from articles.publishing.workflow import article_publish
        from reviews.services import review_request_create, signoff_create

        article = article_create(data=data, user=self.editor)
        revision = revision_create(article=article, user=self.editor)
        review_request_create(revision=revision, user=self.editor)
        signoff_create(
            revision=revision, user=reviewer.user, password=BENCH_PASSWORD,
            decision="approved", attested=True, expected_hash=revision.content_hash,
        )
        article_publish(article=article, revision=revision, user=self.editor)

    def short(self, number: int) -> dict:
        rng = self.rng
        topics = [self.topics[number % len(self.topics)]]
        if number % 3 == 0:
            topics.append(self.topics[(number + 1) % len(self.topics)])
        return {
            "title": f"{_sentence(rng, 5)[:-1]} ({number})",
            "slug": f"bench-page-{number}",
            "standfirst": _sentence(rng, 18),
            "body": short_body(rng, str(FIRST_PMID + number % 20)),
            "article_type": "explainer",
            "featured": number % 50 == 0,
            "topics": topics,
            "authors": [self.authors[number % len(self.authors)]],
            "takeaways": [_sentence(rng, 10), _sentence(rng, 12)],
            "faq": [{"question": _sentence(rng, 8)[:-1] + "?",
                     "answer": f"<p>{_sentence(rng, 20)}</p>"}],
        }

    def long(self) -> dict:
        rng = self.rng
        links = ["bench-page-0", "bench-page-1", "bench-page-2"]
        return {
            "title": "Living with chronic low back pain: causes, treatments and self-care",
            "slug": LONG_SLUG,
            "standfirst": "Most low back pain settles, but for some people it lasts for months. "
            "What causes it, which treatments the evidence supports, and what you can do.",
            "body": long_body(rng, links),
            "article_type": "condition_overview",
            "featured": True,
            "topics": [self.topics[0], self.topics[1]],
            "authors": [self.authors[0], self.authors[1]],
            "takeaways": [_sentence(rng, 16) for _ in range(5)],
            "faq": [{"question": _sentence(rng, 9)[:-1] + "?",
                     "answer": "<p>" + " ".join(_sentence(rng, 14) for _ in range(3)) + "</p>"}
                    for _ in range(4)],
        }


def seed_child(target: int) -> None:
    """Bring the database in DJANGO_SQLITE_PATH up to `target` live articles (resumable)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.backends.signals import connection_created

    from articles.content.models import Article

    def fast_sqlite(sender, connection, **kwargs):
        # Seeding only: a crash loses the seed, which is rebuilt; the rows are the same.
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous = OFF")

    connection_created.connect(fast_sqlite)
    call_command("migrate", "--no-input", verbosity=0, skip_checks=True)
    seeder = Seeder()
    if seeder.editor is None:
        with transaction.atomic():
            seeder.people()
    done = Article.objects.filter(slug__startswith="bench-page-").count()
    done += Article.objects.filter(slug=LONG_SLUG).count()
    started = time.monotonic()
    for first in range(done, target, 100):
        last = min(first + 100, target)
        with transaction.atomic():  # one commit per 100 articles; each is its own savepoint
            for number in range(first, last):
                reviewer = seeder.reviewers[number % len(seeder.reviewers)]
                # The long page comes fourth, once the pages it links to exist.
                data = seeder.long() if number == 3 else seeder.short(number)
                seeder.publish(data, reviewer)
        rate = (last - done) / (time.monotonic() - started)
        print(f"  seeded {last:,} / {target:,} live articles ({rate:.0f}/s)", flush=True)


def ensure_seeds(*, reseed: bool, workdir: Path) -> tuple[Path, dict[int, Path]]:
    """The seeded databases for every size, built (or resumed) when missing."""
    key = seed_key()
    seed_dir = RESULTS / f"public-seed-{key}"
    if reseed and seed_dir.exists():
        shutil.rmtree(seed_dir)
    for stale in RESULTS.glob("public-seed-*"):
        if stale != seed_dir:
            shutil.rmtree(stale)
    seed_dir.mkdir(parents=True, exist_ok=True)
    key_file = seed_dir / "signing-bench.pem"
    dbs = {size: seed_dir / f"articles-{size}.sqlite3" for size in SIZES}
    if not key_file.exists():
        env = base_env(db=dbs[SIZES[0]], key_file=key_file, workdir=workdir,
                       settings="config.settings")
        subprocess.run([PYTHON, "manage.py", "signing_key_create", str(key_file)],
                       cwd=ROOT, env={**env, "DJANGO_DEBUG": "1", "SIGNING_KEY_FILE": ""},
                       check=True, stdout=subprocess.DEVNULL)
    previous = None
    for size in SIZES:
        done = dbs[size].with_suffix(".done")
        if done.exists():
            previous = dbs[size]
            continue
        print(f"Seeding {size:,} live articles through the services (cached afterwards) ...",
              flush=True)
        if previous is not None and not dbs[size].exists():
            sqlite_copy(previous, dbs[size])
        # The test settings hash passwords with MD5: checking the physician's password at
        # every one of 10,000 signatures at full PBKDF2 strength would take an hour.
        env = base_env(db=dbs[size], key_file=key_file, workdir=workdir,
                       settings="config.settings_test")
        run_child(env, "--seed-child", str(size))
        done.write_text(str(size))
        previous = dbs[size]
    return key_file, dbs


# --- In process (runs in a child process, Django set up) -----------------------------------

PAGES = [
    # name, path, query string, as the superuser
    ("article", f"/articles/{LONG_SLUG}/", "", False),
    ("home", "/", "", False),
    ("topic p1", f"/topics/{TOPIC_SLUG}/", "", False),
    ("search p1", "/search/", f"q={SEARCH_WORD}", False),
    ("admin list", "/admin/articles/article/", "", True),
]


class InProcess:
    """Requests through Django's WSGI handler, as gunicorn makes them, minus the socket."""

    def __init__(self):
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.handlers.wsgi import WSGIHandler
        from django.test import Client

        self.handler = WSGIHandler()
        client = Client()
        client.force_login(get_user_model().objects.get(username=ADMIN_USERNAME))
        self.admin_cookie = (
            f"{settings.SESSION_COOKIE_NAME}="
            f"{client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    def environ(self, path, query="", *, admin=False, gzip=False) -> dict:
        import io

        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "text/html",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if admin:
            environ["HTTP_COOKIE"] = self.admin_cookie
        if gzip:
            environ["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br"
        return environ

    def get(self, path, query="", *, admin=False, gzip=False) -> tuple[str, bytes]:
        status = []
        result = self.handler(
            self.environ(path, query, admin=admin, gzip=gzip),
            lambda s, headers, exc_info=None: status.append(s),
        )
        try:
            body = b"".join(result)
        finally:
            result.close()  # request_finished: what gunicorn does (closes the connection)
        return status[0], body

    def queries(self, path, query="", *, admin=False) -> tuple[int, list[str]]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            status, _ = self.get(path, query, admin=admin)
        assert status.startswith("200"), (path, status)
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    def timing(self, path, query="", *, admin=False, gzip=False, budget_s=6.0) -> dict:
        """Median CPU and wall ms per request after warm-up; fewer requests for slow pages."""
        started = time.perf_counter()
        warmup = 0
        while warmup < WARMUP and (warmup < 3 or time.perf_counter() - started < budget_s / 6):
            status, body = self.get(path, query, admin=admin, gzip=gzip)
            assert status.startswith("200"), (path, status)
            warmup += 1
        cpu, wall = [], []
        started = time.perf_counter()
        while len(cpu) < MEASURED and (len(cpu) < 15 or time.perf_counter() - started < budget_s):
            c0, w0 = time.process_time_ns(), time.perf_counter_ns()
            self.get(path, query, admin=admin, gzip=gzip)
            wall.append((time.perf_counter_ns() - w0) / 1e6)
            cpu.append((time.process_time_ns() - c0) / 1e6)
        return {
            "cpu_ms": statistics.median(cpu),
            "wall_ms": statistics.median(wall),
            "cpu_p90_ms": sorted(cpu)[int(len(cpu) * 0.9) - 1],
            "requests": len(cpu),
            "bytes": len(body),
        }


def measure_child() -> None:
    """Print the in-process figures of the database in DJANGO_SQLITE_PATH as JSON."""
    import gzip as gzip_module

    bench = InProcess()
    from articles.publishing.models import Publication

    out = {"live_articles": Publication.objects.count(), "pages": {}}
    for name, path, query, admin in PAGES:
        figures = bench.timing(path, query, admin=admin)
        figures["queries"], sql = bench.queries(path, query, admin=admin)
        if name == "article":
            figures["sql"] = sql
        out["pages"][name] = figures
    _, home = bench.get("/")
    assert home.count(b'class="card"') >= 10, "home lists no articles: are the records sound?"
    _, page = bench.get(f"/articles/{LONG_SLUG}/")
    out["article_gzip"] = bench.timing(f"/articles/{LONG_SLUG}/", gzip=True)
    out["article_bytes"] = len(page)
    out["article_gzip_bytes"] = len(gzip_module.compress(page))
    record = Publication.objects.get(slug=LONG_SLUG)
    body = record.revision.snapshot["body"]
    out["long_article"] = {
        "body_words": len(re.sub(r"<[^>]+>", " ", body).split()),
        "body_html_bytes": len(body.encode()),
        "internal_links": body.count('href="/articles/'),
        "takeaways": len(record.revision.snapshot["takeaways"]),
        "faq": len(record.revision.snapshot["faq"]),
        "references": len(record.revision.snapshot["citations"]),
        "page_bytes": len(page),
    }
    print("BENCH-JSON " + json.dumps(out))


def profile_child(page: str, requests: int) -> None:
    """cProfile `requests` requests of one page (after warm-up); print the top costs."""
    import cProfile
    import pstats

    bench = InProcess()
    _, path, query, admin = next(p for p in PAGES if p[0] == page)
    for _ in range(20):
        bench.get(path, query, admin=admin)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        bench.get(path, query, admin=admin)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


# --- Under gunicorn ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on loopback, as `make serve`; stopped by its process id."""

    def __init__(self, env):
        self.port = free_port()
        self.env = env
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--worker-class", "sync", "--log-level", "warning",
             "--timeout", "60", "--graceful-timeout", "5"],
            cwd=ROOT, env=self.env, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited") from None
                time.sleep(0.1)
        else:
            self.__exit__()
            raise RuntimeError("gunicorn did not start")
        return self

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def ensure_wrk() -> str | None:
    """wrk, installed from Debian's packages when missing (root only); None if unavailable."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("Installing wrk (Debian package) ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
        if subprocess.run(install, env=env, **quiet).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet)
            subprocess.run(install, env=env, **quiet)
    return shutil.which("wrk")


def python_load(port: int, path: str, seconds: float, connections: int = 4) -> dict:
    """Fallback: `connections` threads, each sequential requests, for `seconds`."""
    import threading

    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def loop():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{path} answered {response.status}")
                break
            mine.append((time.perf_counter() - t0) * 1000)
        conn.close()
        latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(errors[0])
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
    }


def wrk_load(wrk: str, port: int, path: str, seconds: int) -> dict:
    out = subprocess.run(
        [wrk, "-t1", "-c4", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{path}: errors under load:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99")}


def served(env: dict, wrk: str | None, seconds: int) -> dict:
    """Requests/second for the article page and home under gunicorn (2 workers)."""
    paths = {"article": f"/articles/{LONG_SLUG}/", "home": "/"}
    figures = {}
    with Server(env) as server:
        for name, path in paths.items():
            python_load(server.port, path, 1.0)  # warm both workers
            if wrk:
                figures[name] = wrk_load(wrk, server.port, path, seconds)
            else:
                figures[name] = python_load(server.port, path, seconds)
    return figures


def merge_best(store: dict, size: str, new: dict) -> None:
    """Keep, per page, the round with the lower median CPU."""
    old = store.get(size)
    if old is None:
        store[size] = new
        return
    for name, figures in new["pages"].items():
        if figures["cpu_ms"] < old["pages"][name]["cpu_ms"]:
            old["pages"][name] = figures
    if new["article_gzip"]["cpu_ms"] < old["article_gzip"]["cpu_ms"]:
        old["article_gzip"] = new["article_gzip"]


# --- Report --------------------------------------------------------------------------------


def machine_note() -> str:
    cores = os.cpu_count() or 0
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        cpu = platform.processor()
    return f"{cores} cores ({cpu.strip()}), shared; Python {platform.python_version()}, SQLite"


def verdicts(results: dict) -> list[tuple[str, bool, str]]:
    small, large = (results["in_process"][str(size)]["pages"] for size in SIZES)
    out = []
    q = large["article"]["queries"]
    out.append((f"article page <= {TARGETS['article_queries']} SQL queries", q <=
                TARGETS["article_queries"], f"{small['article']['queries']} / {q}"))
    for size, pages in ((SIZES[0], small), (SIZES[1], large)):
        cpu = pages["article"]["cpu_ms"]
        out.append((f"article page <= {TARGETS['article_cpu_ms']} ms CPU ({size:,})",
                    cpu <= TARGETS["article_cpu_ms"], f"{cpu:.2f} ms"))
    for size, pages in ((SIZES[0], small), (SIZES[1], large)):
        cpu = pages["home"]["cpu_ms"]
        out.append((f"home <= {TARGETS['home_cpu_ms']} ms CPU ({size:,})",
                    cpu <= TARGETS["home_cpu_ms"], f"{cpu:.2f} ms"))
    for name in ("home", "topic p1", "article"):
        ratio = large[name]["cpu_ms"] / small[name]["cpu_ms"]
        out.append((f"{name}: {SIZES[1]:,} / {SIZES[0]:,} articles <= {TARGETS['growth']}x",
                    ratio <= TARGETS["growth"], f"{ratio:.2f}x"))
    wall = large["admin list"]["wall_ms"]
    out.append((f"admin list < {TARGETS['admin_wall_ms']:.0f} ms wall ({SIZES[1]:,})",
                wall < TARGETS["admin_wall_ms"], f"{wall:.0f} ms"))
    return out


def report(results: dict) -> None:
    small, large = (results["in_process"][str(size)] for size in SIZES)
    info = small["long_article"]
    print()
    print(f"Long article page /articles/{LONG_SLUG}/: {info['page_bytes']:,} bytes "
          f"({small['article_gzip_bytes']:,} gzipped); body {info['body_words']:,} words, "
          f"{info['body_html_bytes']:,} bytes of HTML, {info['internal_links']} internal links, "
          f"{info['takeaways']} takeaways, {info['faq']} FAQ, {info['references']} references")
    print(f"In process (WSGI handler, DEBUG off): median of up to {MEASURED} requests after up "
          f"to {WARMUP} warm-up (fewer for slow pages), better of {ROUNDS} rounds; CPU = "
          "process_time per request")
    header = f"  {'page':<12}" + "".join(
        f"{f'{size:,}: CPU ms':>17}{'wall ms':>9}{'SQL':>5}" for size in SIZES
    ) + f"{'10k/200':>9}"
    print(header)
    for name, *_ in PAGES:
        row = f"  {name:<12}"
        for data in (small, large):
            page = data["pages"][name]
            row += f"{page['cpu_ms']:>17.2f}{page['wall_ms']:>9.2f}{page['queries']:>5}"
        row += f"{large['pages'][name]['cpu_ms'] / small['pages'][name]['cpu_ms']:>8.2f}x"
        print(row)
    row = f"  {'article gz':<12}"
    for data in (small, large):
        row += f"{data['article_gzip']['cpu_ms']:>17.2f}{data['article_gzip']['wall_ms']:>9.2f}"
        row += f"{'':>5}"
    print(row + "  (Accept-Encoding: gzip)")
    if results.get("served"):
        print(f"gunicorn, 2 sync workers, {results['load_tool']}")
        for size in SIZES:
            for name, figures in results["served"][str(size)].items():
                print(f"  {size:>6,} articles  {name:<8} {figures['rps']:7.0f} req/s  "
                      f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms")
    print(f"Machine: {results['machine']}; load average before/after "
          f"{results['load_average_before'][0]:.1f}/{results['load_average_after'][0]:.1f}")
    for label, ok, value in results["verdicts"]:
        print(f"  target {label:<46} {'met   ' if ok else 'MISSED'} ({value})")
    print(f"  (measurement took {results['seconds']:.0f} s; figures in "
          f"{RESULTS.relative_to(ROOT) / 'public.json'})")


def check_child() -> None:
    """Print how many records the current publishing code would not serve as they are."""
    import django

    django.setup()
    from articles.publishing.models import Publication
    from articles.publishing.publication import RENDER_VERSION, publication_is_sound

    stale = sum(
        1
        for record in Publication.objects.only(*_list_fields()).iterator()
        if record.render_version != RENDER_VERSION
        or not publication_is_sound(record, lists_only=True)
    )
    print(f"BENCH-STALE {stale}")


def _list_fields():
    from articles.public.selectors import LIST_FIELDS

    return LIST_FIELDS


def freshen(env: dict[str, str], db: Path) -> None:
    """
    Re-write the seed's publication records with `manage.py publications_render` when the
    publishing code changed how it renders or seals them since the seed was made.
    """
    env = {**env, "DJANGO_SQLITE_PATH": str(db)}
    out = run_child(env, "--check-child", capture=True)
    stale = int(re.search(r"BENCH-STALE (\d+)", out).group(1))
    if stale:
        print(f"{stale:,} records of {db.name} predate the current publishing code: "
              "re-rendering them (manage.py publications_render) ...", flush=True)
        subprocess.run([PYTHON, "manage.py", "publications_render"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    options.add_argument("--reseed", action="store_true", help="rebuild the seeded databases")
    options.add_argument("--no-server", action="store_true", help="skip the gunicorn part")
    options.add_argument("--profile", metavar="PAGE", choices=[p[0] for p in PAGES],
                         help="cProfile one page with 10,000 articles instead of benchmarking")
    options.add_argument("--seed-child", type=int, help=argparse.SUPPRESS)
    options.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    options.add_argument("--profile-child", metavar="PAGE", help=argparse.SUPPRESS)
    options.add_argument("--check-child", action="store_true", help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.check_child:
        return check_child()
    if args.seed_child:
        return seed_child(args.seed_child)
    if args.measure_child:
        return measure_child()
    if args.profile_child:
        return profile_child(args.profile_child, 300)

    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        workdir = Path(tmp)
        key_file, dbs = ensure_seeds(reseed=args.reseed, workdir=workdir)
        started = time.monotonic()
        envs = {
            size: base_env(db=db, key_file=key_file, workdir=workdir, settings="config.settings")
            for size, db in dbs.items()
        }
        for size, env in envs.items():
            # Migrations that arrived while seeding (the cache is keyed by those at the start).
            subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "--skip-checks"],
                           cwd=ROOT, env={**env, "DJANGO_SQLITE_PATH": str(dbs[size])},
                           check=True, stdout=subprocess.DEVNULL)
            freshen(env, dbs[size])
        # Measure on copies, so a run never changes the cached seed (signing in writes).
        for size, env in envs.items():
            copy = workdir / f"articles-{size}.sqlite3"
            sqlite_copy(dbs[size], copy)
            env["DJANGO_SQLITE_PATH"] = str(copy)
        env = envs[SIZES[0]]
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
                       cwd=ROOT, env=env, check=True)
        if args.profile:
            run_child(envs[SIZES[-1]], "--profile-child", args.profile)
            return
        results = {"machine": machine_note(), "load_average_before": os.getloadavg(),
                   "in_process": {}, "served": {}}
        # Two rounds, sizes alternating, keeping each page's lower median: neighbours on a
        # shared machine slow one round or the other, not the code.
        for round_number in range(1, ROUNDS + 1):
            for size in SIZES:
                print(f"In process, {size:,} live articles (round {round_number}/{ROUNDS}) ...",
                      flush=True)
                out = run_child(envs[size], "--measure-child", capture=True)
                line = next(x for x in out.splitlines() if x.startswith("BENCH-JSON "))
                merge_best(results["in_process"], str(size),
                           json.loads(line.removeprefix("BENCH-JSON ")))
        if not args.no_server:
            wrk = ensure_wrk()
            results["load_tool"] = (
                f"wrk -t1 -c4 -d{WRK_SECONDS}s" if wrk
                else f"Python client, 4 connections, {WRK_SECONDS} s (wrk unavailable)"
            )
            for size in SIZES:
                print(f"gunicorn, {size:,} live articles ...", flush=True)
                results["served"][str(size)] = served(envs[size], wrk, WRK_SECONDS)
        results["verdicts"] = verdicts(results)
        results["seconds"] = time.monotonic() - started
        results["load_average_after"] = os.getloadavg()
    results["targets"] = TARGETS
    results["long_article"] = results["in_process"][str(SIZES[0])]["long_article"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "public.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    report(results)


if __name__ == "__main__":
    main()
