"""
HTTP caching of public pages (`articles.public.http_cache`) and purging shared caches
(`articles.public.purge`), without a real cache: validators and 304s, a Cache-Control that never
outlives the next review-status change, gzip only where it is safe, and purges after commit.
"""

from __future__ import annotations

import gzip
import http.server
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils.http import http_date

from articles.content.models import Article
from articles.public import freshness, http_cache, purge
from articles.publishing.signals import publication_changed
from tests.factories.articles import ArticleFactory, EditorFactory, StaffUserFactory
from tests.public.http_cache_urls import LAST_MODIFIED, SWITCH

URLS = "tests.public.http_cache_urls"
ROOT = Path(__file__).resolve().parents[2]
# A quiet instant well before the test page's switch (the cap, 300 s, decides its max-age).
BEFORE = SWITCH - timedelta(days=10)


def _cache_control(response) -> dict[str, str | bool]:
    parts = [p.strip() for p in response["Cache-Control"].split(",")]
    return {k: v for k, _, v in (p.partition("=") for p in parts)} | {
        p: True for p in parts if "=" not in p
    }


@pytest.fixture(autouse=True)
def _browsers_keep_pages_as_long_as_shared_caches(settings):
    """Most tests here check the arithmetic of N; browsers get the same N for them."""
    settings.PUBLIC_BROWSER_CACHE_SECONDS = 300


def test_by_default_browsers_revalidate_and_shared_caches_keep_the_page(settings):
    settings.PUBLIC_BROWSER_CACHE_SECONDS = 0
    assert http_cache.cache_control_value(300) == "public, max-age=0, s-maxage=300"
    settings.PUBLIC_BROWSER_CACHE_SECONDS = 60
    assert http_cache.cache_control_value(300) == "public, max-age=60, s-maxage=300"
    assert http_cache.cache_control_value(20) == "public, max-age=20, s-maxage=20"


def _max_age(response) -> int:
    directives = _cache_control(response)
    assert directives["max-age"] == directives["s-maxage"]
    return int(directives["max-age"])


@pytest.fixture
def site(settings):
    settings.ROOT_URLCONF = URLS
    settings.PUBLIC_CACHE_SECONDS = 300


# --- Validators and conditional GET -----------------------------------------------------


def test_a_page_with_freshness_gets_a_strong_etag_last_modified_and_public_cache_control(
    client, site
):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/_fresh/7/")
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    assert response["Last-Modified"] == http_date(LAST_MODIFIED.timestamp())
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=300"
    assert response[http_cache.SURROGATE_KEY_HEADER] == "article-7 test-pages"
    assert "Accept-Encoding" in response["Vary"]


def test_the_etag_follows_the_bytes_not_only_the_version(client, site):
    with time_machine.travel(BEFORE, tick=False):
        seven, again, eight = (client.get(u) for u in ("/_fresh/7/", "/_fresh/7/", "/_fresh/8/"))
    assert seven["ETag"] == again["ETag"] != eight["ETag"]


def test_if_none_match_answers_304_with_the_validators_and_no_body(client, site):
    with time_machine.travel(BEFORE, tick=False):
        etag = client.get("/_fresh/7/")["ETag"]
        response = client.get("/_fresh/7/", headers={"if-none-match": etag})
        weak = client.get("/_fresh/7/", headers={"if-none-match": f"W/{etag}"})
        other = client.get("/_fresh/7/", headers={"if-none-match": '"something-else"'})
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=300"
    assert response[http_cache.SURROGATE_KEY_HEADER] == "article-7 test-pages"
    assert weak.status_code == 304, "If-None-Match compares weakly (a gzipped copy's ETag)"
    assert other.status_code == 200


def test_if_modified_since_answers_304_unless_the_page_changed_since(client, site):
    with time_machine.travel(BEFORE, tick=False):
        same = client.get(
            "/_fresh/7/", headers={"if-modified-since": http_date(LAST_MODIFIED.timestamp())}
        )
        older = client.get(
            "/_fresh/7/",
            headers={"if-modified-since": http_date(LAST_MODIFIED.timestamp() - 60)},
        )
    assert same.status_code == 304
    assert older.status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, site):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get(
            "/_fresh/7/",
            headers={
                "if-none-match": '"stale-copy"',
                "if-modified-since": http_date(LAST_MODIFIED.timestamp()),
            },
        )
    assert response.status_code == 200


def test_a_template_response_is_rendered_before_its_etag_is_made(client, site):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/_lazy/", headers={"accept-encoding": "gzip"})
    assert response["Cache-Control"] == "public, max-age=300, s-maxage=300"
    assert b'data-review-status="current"' in gzip.decompress(response.content)


def test_last_modified_is_never_in_the_future(client, site):
    with time_machine.travel(LAST_MODIFIED - timedelta(hours=1), tick=False):
        response = client.get("/_fresh/7/")
    assert response["Last-Modified"] == http_date(
        (LAST_MODIFIED - timedelta(hours=1)).timestamp()
    )


# --- Cache-Control never outlives the next status change ----------------------------------


@pytest.mark.parametrize(
    ("seconds_left", "expected"),
    [(86400, 300), (301, 300), (300, 300), (299.5, 299), (42.9, 42), (1.0, 1), (0.999, 0),
     (0, 0), (-5, 0)],
)
def test_max_age_is_the_cap_or_the_whole_seconds_left_before_the_switch(seconds_left, expected):
    now = SWITCH - timedelta(seconds=seconds_left)
    assert http_cache.max_age(stale_at=SWITCH, now=now, cap=300) == expected
    assert http_cache.max_age(stale_at=None, now=now, cap=300) == 300


@pytest.mark.parametrize("seconds_left", [3600, 300, 120.25, 61, 2.5, 1.0])
def test_the_page_is_never_cacheable_past_its_switch(client, site, seconds_left):
    at = SWITCH - timedelta(seconds=seconds_left)
    with time_machine.travel(at, tick=False):
        response = client.get("/_fresh/7/")
    age = _max_age(response)
    assert age <= 300
    assert at + timedelta(seconds=age) <= SWITCH
    assert response["Cache-Control"].startswith("public, ")


def test_one_second_before_the_switch_then_after_it_the_overdue_page_is_served(client, site):
    with time_machine.travel(SWITCH - timedelta(seconds=1), tick=False):
        before = client.get("/_fresh/7/")
    assert _max_age(before) <= 1
    assert b'data-review-status="current"' in before.content
    with time_machine.travel(SWITCH - timedelta(milliseconds=300), tick=False):
        last_moment = client.get("/_fresh/7/")
    assert last_moment["Cache-Control"] == "public, max-age=0, s-maxage=0, must-revalidate"
    with time_machine.travel(SWITCH, tick=False):
        after = client.get("/_fresh/7/", headers={"if-none-match": before["ETag"]})
    assert after.status_code == 200, "the old copy is not revalidated past the switch"
    assert b'data-review-status="overdue"' in after.content
    assert _max_age(after) == 300, "nothing switches after overdue: the cap applies again"


def test_a_cap_of_zero_makes_every_page_private(client, site, settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/_fresh/7/")
    assert response["Cache-Control"] == "private, no-cache"
    assert http_cache.SURROGATE_KEY_HEADER not in response


# --- Private responses --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_plain/", "/_csrf/", "/_message/", "/_cookie/"])
def test_pages_without_freshness_or_with_a_token_message_or_cookie_are_private(
    client, site, path
):
    response = client.get(path, headers={"accept-encoding": "gzip"})
    assert response["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response and http_cache.SURROGATE_KEY_HEADER not in response
    assert "Content-Encoding" not in response, "only public responses are compressed"


def test_a_page_with_a_csrf_token_is_never_compressed_even_with_its_cookie_set(client, site):
    response = client.get("/_csrf/", headers={"accept-encoding": "gzip"})
    assert "csrftoken" in response.cookies
    assert "Content-Encoding" not in response
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_a_signed_in_staff_user_gets_a_private_page(client, site):
    with time_machine.travel(BEFORE, tick=False):
        client.force_login(StaffUserFactory())
        response = client.get("/_fresh/7/", headers={"accept-encoding": "gzip"})
    assert response["Cache-Control"] == "private, no-cache"
    assert "Content-Encoding" not in response


def test_post_is_private(client, site):
    response = client.post("/_plain/")
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_the_admin_keeps_its_own_never_cache_headers(client):
    staff = StaffUserFactory(is_superuser=True)
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


# --- Gzip ---------------------------------------------------------------------------------


def test_public_html_is_gzipped_when_the_client_accepts_it(client, site):
    with time_machine.travel(BEFORE, tick=False):
        plain = client.get("/_fresh/7/")
        zipped = client.get("/_fresh/7/", headers={"accept-encoding": "gzip, br"})
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content)
    assert zipped["ETag"] == "W/" + plain["ETag"]
    assert "Accept-Encoding" in zipped["Vary"] and "Accept-Encoding" in plain["Vary"]
    with time_machine.travel(BEFORE, tick=False):
        again = client.get("/_fresh/7/", headers={"accept-encoding": "gzip"})
        revalidated = client.get(
            "/_fresh/7/", headers={"accept-encoding": "gzip", "if-none-match": zipped["ETag"]}
        )
    assert again.content == zipped.content, "compression is deterministic"
    assert revalidated.status_code == 304


# --- Purging shared caches ----------------------------------------------------------------


class FakePurgeBackend(purge.PurgeBackend):
    """Records the keys it was asked to purge (class-level, as settings build a new one)."""

    purged: list[tuple[str, ...]] = []

    def purge_keys(self, keys):
        if self.params.get("FAIL"):
            raise OSError("cache unreachable")
        FakePurgeBackend.purged.append(tuple(keys))


FAKE = {"BACKEND": f"{__name__}.FakePurgeBackend"}


@pytest.fixture
def fake_purge(settings):
    FakePurgeBackend.purged = []
    settings.PUBLIC_CACHE_PURGE = [FAKE]
    return FakePurgeBackend.purged


@pytest.mark.django_db
def test_a_publication_change_purges_the_article_and_the_lists_after_commit_only(
    fake_purge, django_capture_on_commit_callbacks
):
    article = Article(pk=41)
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, transaction.atomic():
        publication_changed.send(sender=None, article=article)
        assert fake_purge == [], "nothing is purged before the change commits"
    assert len(callbacks) == 1
    assert fake_purge == [("article-41", freshness.LISTS_KEY)]


@pytest.mark.django_db
def test_a_rolled_back_change_purges_nothing(fake_purge, django_capture_on_commit_callbacks):
    article = Article(pk=41)
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        publication_changed.send(sender=None, article=article)
        raise RuntimeError("the change fails")
    assert callbacks == [] and fake_purge == []


@pytest.mark.django_db
def test_no_backend_configured_registers_nothing(settings, django_capture_on_commit_callbacks):
    settings.PUBLIC_CACHE_PURGE = []
    with django_capture_on_commit_callbacks() as callbacks:
        publication_changed.send(sender=None, article=Article(pk=3))
    assert callbacks == []


@pytest.mark.django_db
def test_publishing_and_unpublishing_through_the_services_purge_the_article(
    fake_purge, django_capture_on_commit_callbacks
):
    from articles.publishing.workflow import article_unpublish
    from tests.public.conftest import publish

    article = ArticleFactory()
    editor = EditorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        publish(article, editor=editor)
    assert (freshness.article_key(article.pk), freshness.LISTS_KEY) in fake_purge
    fake_purge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        article_unpublish(article=article, user=editor, reason="Outdated advice.")
    assert set(fake_purge) == {(freshness.article_key(article.pk), freshness.LISTS_KEY)}


def test_a_failing_backend_is_logged_and_the_others_still_purge(settings, caplog):
    FakePurgeBackend.purged = []
    settings.PUBLIC_CACHE_PURGE = [{**FAKE, "FAIL": True}, FAKE]
    purge.purge_keys(("article-1", "lists"))
    assert FakePurgeBackend.purged == [("article-1", "lists")]
    assert "Purging keys article-1 lists from FakePurgeBackend failed" in caplog.text


def test_a_misconfigured_backend_is_logged_not_raised(settings, caplog):
    settings.PUBLIC_CACHE_PURGE = [{"BACKEND": "articles.public.purge.VarnishXkeyBackend"}]
    purge.purge_keys(("lists",))
    assert "misconfigured" in caplog.text


class _PurgeRecorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, str | None]] = []

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        _PurgeRecorder.received.append((self.command, self.path, self.headers["xkey-purge"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_varnish_backend_sends_purge_with_the_keys_in_xkey_purge(settings, caplog):
    # The recorder is shared by the class: start empty, also when the suite runs twice in one
    # process (mutmut runs it again after collecting its stats).
    _PurgeRecorder.received.clear()
    server = http.server.HTTPServer(("127.0.0.1", 0), _PurgeRecorder)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        settings.PUBLIC_CACHE_PURGE = [
            {
                "BACKEND": "articles.public.purge.VarnishXkeyBackend",
                "LOCATION": f"http://127.0.0.1:{server.server_port}",
            }
        ]
        purge.purge_keys(("article-9", "lists"))
        thread.join(5)
    finally:
        server.server_close()
    assert _PurgeRecorder.received == [("PURGE", "/", "article-9 lists")]
    assert "failed" not in caplog.text


def test_an_unreachable_varnish_is_logged_within_the_timeout(settings, caplog):
    server = http.server.HTTPServer(("127.0.0.1", 0), _PurgeRecorder)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    settings.PUBLIC_CACHE_PURGE = [
        {
            "BACKEND": "articles.public.purge.VarnishXkeyBackend",
            "LOCATION": f"http://127.0.0.1:{port}",
            "TIMEOUT": 0.5,
        }
    ]
    purge.purge_keys(("lists",))
    assert "Purging keys lists from VarnishXkeyBackend failed" in caplog.text


def test_settings_build_one_varnish_backend_per_purge_url():
    import os
    import subprocess
    import sys

    code = (
        "from django.conf import settings; from articles.public import purge; "
        "print([b.location for b in purge.backends()])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "PUBLIC_CACHE_PURGE_URLS": "http://127.0.0.1:6081, http://10.0.0.2:6081/",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env, capture_output=True, text=True, timeout=60, check=True, cwd=ROOT,
    )
    assert result.stdout.strip() == "['http://127.0.0.1:6081/', 'http://10.0.0.2:6081/']"


# --- The real public pages ----------------------------------------------------------------



@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "home",
        "topic",
        "article",
        "contributor",
        "reviewer",
        "review history",
        "search results",
        "feed",
        "sitemap",
        "review.json",
        "revision.json",
    ],
)
def test_every_public_page_is_cacheable_with_validators_and_surrogate_keys(client, name):
    from tests.public.site import build_public_site

    paths = build_public_site()
    article_path = paths["article"]
    paths |= {
        "feed": reverse("articles:feed"),
        "sitemap": reverse("sitemap"),
        "review.json": article_path + "review.json",
        "revision.json": article_path + "revision.json",
    }
    response = client.get(paths[name], headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age="), response["Cache-Control"]
    keys = response[http_cache.SURROGATE_KEY_HEADER].split()
    # Pages that list articles carry the lists key; pages about one article carry its key.
    assert freshness.LISTS_KEY in keys or any(key.startswith("article-") for key in keys)
    assert response["Last-Modified"]
    again = client.get(paths[name], headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


@pytest.mark.django_db
def test_the_report_form_and_the_preview_stay_private(client):
    from tests.public.site import build_public_site

    paths = build_public_site()
    form = client.get(paths["report form"], headers={"accept-encoding": "gzip"})
    assert form.status_code == 200 and "csrftoken" in form.cookies
    assert "public" not in form.get("Cache-Control", "")
    assert "Content-Encoding" not in form


@pytest.mark.django_db
def test_the_real_article_page_is_never_cached_past_due_soon_nor_past_overdue(client, settings):
    from tests.public.conftest import publish

    article = ArticleFactory(title="Switching page")
    signoff = publish(article)
    due = signoff.signed_at + timedelta(days=settings.REVIEW_INTERVAL_DAYS)
    soon = due - timedelta(days=settings.REVIEW_DUE_SOON_DAYS)
    url = article.get_absolute_url()
    key = freshness.article_key(article.pk)
    expectations = [
        (soon - timedelta(seconds=1), "current", lambda age: age <= 1),
        (soon, "due-soon", lambda age: 0 < age <= 300),
        (due - timedelta(seconds=1), "due-soon", lambda age: age <= 1),
        (due - timedelta(milliseconds=200), "due-soon", lambda age: age == 0),
        (due, "overdue", lambda age: 0 < age <= 300),
    ]
    for at, status, age_ok in expectations:
        with time_machine.travel(at, tick=False):
            response = client.get(url)
        assert f'data-review-status="{status}"' in response.content.decode(), at
        assert age_ok(_max_age(response)), (at, response["Cache-Control"])
        assert key in response[http_cache.SURROGATE_KEY_HEADER].split()


@pytest.mark.django_db
def test_if_modified_since_does_not_hide_a_status_switch_on_the_real_article_page(
    client, settings
):
    from tests.public.conftest import publish

    article = ArticleFactory(title="Switching page")
    signoff = publish(article)
    due = signoff.signed_at + timedelta(days=settings.REVIEW_INTERVAL_DAYS)
    soon = due - timedelta(days=settings.REVIEW_DUE_SOON_DAYS)
    with time_machine.travel(soon - timedelta(seconds=1), tick=False):
        before = client.get(article.get_absolute_url())
    with time_machine.travel(soon, tick=False):
        after = client.get(
            article.get_absolute_url(), headers={"if-modified-since": before["Last-Modified"]}
        )
    assert after.status_code == 200
    assert 'data-review-status="due-soon"' in after.content.decode()
