"""
HTTP caching of public pages: what a browser or a shared cache (Varnish, a CDN) may keep.

`public_cache` wraps a public view. When the view attached a `Freshness`
(`articles.public.freshness`) and nothing about the request or response is personal, the
response gets:

- ``ETag``: strong, a digest of the Freshness ``version`` and the uncompressed body, so it
  changes whenever a byte does, including a review status that switched with no write (a
  version alone would not see that). Gzip makes it weak (``W/"..."``), as Django's
  `GZipMiddleware` does: the compressed bytes are another representation of the same content,
  and ``If-None-Match`` compares weakly, so either form revalidates.
- ``Last-Modified`` from the Freshness (never later than now);
- a 304 for a matching ``If-None-Match``, or for ``If-Modified-Since`` when there is no
  ``If-None-Match`` (Django's `get_conditional_response`, RFC 9110 order). The second trusts
  the view: ``last_modified`` must be the last instant the page changed, a status switch
  already passed or an article leaving a list included, or a client holding only a date
  would keep the old page;
- ``Cache-Control: public, max-age=B, s-maxage=N`` with N the smaller of the cap
  ``PUBLIC_CACHE_SECONDS`` (default 300) and the whole seconds left until ``stale_at``, the
  page's next review-status change, rounded down: no cache keeps it past that instant. Under a
  second left (or ``stale_at`` passed) gives ``max-age=0, s-maxage=0, must-revalidate``;
- ``xkey``: the surrogate keys, space-separated, for purging shared caches by key
  (`articles.public.purge`). Always sent; `deploy/varnish/default.vcl` removes it before
  delivery;
- gzip (``Content-Encoding: gzip``, ``Vary: Accept-Encoding``) when the client accepts it and
  the body is text worth compressing. Only public responses are compressed: they carry no
  secret, no CSRF token and no cookie, so BREACH-style attacks find nothing to guess, and the
  compression is deterministic (no random padding), which keeps the bytes stable for caches.

Anything else gets ``Cache-Control: private, no-cache`` (``no-store`` kept when the view said
it): a response without Freshness, with a cap of 0, to another method than GET/HEAD, of
another status than 200, streaming, that sets a cookie, rendered a CSRF token (the cookie
itself is added later by `CsrfViewMiddleware`, so the request's flag is checked), shows or
leaves flash messages, changed the session, or was made for a signed-in user.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
from datetime import datetime

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date
from django.utils.regex_helper import _lazy_re_compile

from articles.public import freshness as freshness_contract

DEFAULT_CAP_SECONDS = 300
# The header vmod-xkey reads the keys from (space-separated); Varnish strips it on delivery.
SURROGATE_KEY_HEADER = "xkey"
PRIVATE = "private, no-cache"

_accepts_gzip = _lazy_re_compile(r"\bgzip\b")
_COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/javascript")
# Below this, gzip's header costs more than it saves (Django's GZipMiddleware uses the same).
_MIN_COMPRESS_LENGTH = 200
# Django's compress_string uses 6: about 0.75 ms for a 45 kB page here, against 0.37 ms at 4
# for output 5% larger. Shared caches keep the compressed copy, so this is paid once per miss.
GZIP_LEVEL = 4


def cap_seconds() -> int:
    """The longest a public response may be cached (``PUBLIC_CACHE_SECONDS``; 0 turns it off)."""
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", DEFAULT_CAP_SECONDS))


def max_age(*, stale_at: datetime | None, now: datetime, cap: int) -> int:
    """
    Seconds a response may be kept: the cap, or fewer when ``stale_at`` comes sooner.

    Whole seconds rounded down, never negative, so a cache that honours it never serves the
    page past ``stale_at``.
    """
    if stale_at is None:
        return max(0, cap)
    remaining = math.floor((stale_at - now).total_seconds())
    return max(0, min(cap, remaining))


def _may_be_public(request: HttpRequest, response: HttpResponse, fresh, cap: int) -> bool:
    if fresh is None or cap <= 0:
        return False
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return False
    if getattr(response, "streaming", False) or response.cookies:
        return False
    if "no-store" in response.get("Cache-Control", "") or "private" in response.get(
        "Cache-Control", ""
    ):
        return False
    # The CSRF cookie, the session cookie and the messages cookie are all added after the view
    # returns, by middleware: what will cause them is visible on the request now.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False
    if len(get_messages(request)) > 0:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    # Without a session cookie nobody is signed in; not touching `request.user` then keeps
    # `Vary: Cookie` off responses that never looked at the session.
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return False
    return True


def _make_private(response: HttpResponse) -> HttpResponse:
    if "no-store" in response.get("Cache-Control", ""):
        patch_cache_control(response, private=True)
    else:
        response["Cache-Control"] = PRIVATE
    return response


def browser_seconds() -> int:
    """
    The longest a browser may keep a public page without asking again
    (``PUBLIC_BROWSER_CACHE_SECONDS``, default 0). Shared caches are purged when a page is
    withdrawn or its approval taken back; a reader's browser cannot be, so by default it
    revalidates every time (a cheap 304 while nothing changed).
    """
    return int(getattr(settings, "PUBLIC_BROWSER_CACHE_SECONDS", 0))


def cache_control_value(seconds: int, *, browser: int | None = None) -> str:
    """
    The ``Cache-Control`` of a public response that shared caches may keep ``seconds``, and
    browsers at most ``browser`` seconds of that.
    """
    if seconds <= 0:
        return "public, max-age=0, s-maxage=0, must-revalidate"
    browser = browser_seconds() if browser is None else browser
    return f"public, max-age={max(0, min(browser, seconds))}, s-maxage={seconds}"


def _etag(version: str, content: bytes) -> str:
    digest = hashlib.sha256(version.encode("utf-8") + b"\0" + content).hexdigest()[:32]
    return f'"{digest}"'


def _compress(request: HttpRequest, response: HttpResponse) -> None:
    patch_vary_headers(response, ("Accept-Encoding",))
    if not _accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        return
    if response.has_header("Content-Encoding") or len(response.content) < _MIN_COMPRESS_LENGTH:
        return
    content_type = response.get("Content-Type", "").lower()
    if not (content_type.startswith(_COMPRESSIBLE) or "+xml" in content_type):
        return
    # mtime=0 and no random file name: the same page always compresses to the same bytes.
    compressed = gzip.compress(response.content, compresslevel=GZIP_LEVEL, mtime=0)
    if len(compressed) >= len(response.content):
        return
    response.content = compressed
    response["Content-Length"] = str(len(compressed))
    response["Content-Encoding"] = "gzip"
    response["ETag"] = "W/" + response["ETag"]


def apply(request: HttpRequest, response: HttpResponse, *, now: datetime | None = None):
    """Give `response` the caching headers it deserves (see the module docstring)."""
    fresh = freshness_contract.of(response)
    cap = cap_seconds()
    if not _may_be_public(request, response, fresh, cap):
        return _make_private(response)
    if not getattr(response, "is_rendered", True):
        response.render()  # a TemplateResponse (the sitemap): its bytes make the ETag
    now = now or timezone.now()
    last_modified = min(fresh.last_modified, now)
    seconds = max_age(stale_at=fresh.stale_at, now=now, cap=cap)
    response["ETag"] = _etag(fresh.version, response.content)
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = cache_control_value(seconds)
    if fresh.keys:
        response[SURROGATE_KEY_HEADER] = " ".join(fresh.keys)
    patch_vary_headers(response, ("Accept-Encoding",))
    conditional = get_conditional_response(
        request,
        etag=response["ETag"],
        last_modified=int(last_modified.timestamp()),
        response=response,
    )
    if conditional is not response:
        if SURROGATE_KEY_HEADER in response:
            # A shared cache revalidating its copy keeps it under the same keys.
            conditional[SURROGATE_KEY_HEADER] = response[SURROGATE_KEY_HEADER]
        return conditional
    _compress(request, response)
    return response


def public_cache(view):
    """
    Decorate a public view (a function or a callable such as a `Feed`): its responses get
    validators, a bounded ``Cache-Control``, surrogate keys and gzip when it attached a
    Freshness, and ``private, no-cache`` otherwise.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        return apply(request, view(request, *args, **kwargs))

    return wrapped
