"""
A test-only URL configuration: small views that attach a `Freshness`, as the public views do,
for the HTTP caching tests (`test_http_cache.py`, `test_varnish.py`), plus the real site.

`/_fresh/<article_id>/` models one article's page whose review status switches at `SWITCH`, or
at the instant `?switch=<Unix time>` names: "current" before, "overdue" from then on, with
`stale_at` at the switch while it is ahead. It reads no database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path
from django.utils import timezone

from articles.public import freshness
from articles.public.http_cache import public_cache

SWITCH = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
LAST_MODIFIED = datetime(2031, 1, 1, 9, 30, 0, tzinfo=UTC)
FILLER = "<p>Paracetamol and ibuprofen work in different ways.</p>" * 20


def _page(status: str) -> str:
    return f'<!doctype html><title>t</title><p data-review-status="{status}">{status}</p>{FILLER}'


@public_cache
def fresh(request, article_id: int):
    """A page of article `article_id` that turns overdue at `SWITCH` (or `?switch=`)."""
    now = timezone.now()
    switch = SWITCH
    if "switch" in request.GET:
        switch = datetime.fromtimestamp(float(request.GET["switch"]), tz=UTC)
    status = "current" if now < switch else "overdue"
    response = HttpResponse(_page(status))
    return freshness.attach(
        response,
        freshness.Freshness(
            version=f"{article_id}.{status}",
            last_modified=LAST_MODIFIED,
            stale_at=switch if now < switch else None,
            # Not the lists key: a purge of another article's pages must leave this one.
            keys=(freshness.article_key(article_id), "test-pages"),
        ),
    )


@public_cache
def with_csrf_token(request):
    """A page with a form: it renders a CSRF token."""
    response = HttpResponse(_page(f"current {get_token(request)}"))
    return freshness.attach(response, freshness.Freshness("csrf", LAST_MODIFIED))


@public_cache
def with_message(request):
    """A page shown with a flash message waiting."""
    messages.info(request, "Thanks for your report.")
    return freshness.attach(HttpResponse(_page("current")), freshness.Freshness("m", LAST_MODIFIED))


@public_cache
def with_cookie(request):
    """A page that sets a cookie of its own."""
    response = HttpResponse(_page("current"))
    response.set_cookie("seen", "1")
    return freshness.attach(response, freshness.Freshness("c", LAST_MODIFIED))


@public_cache
def lazy_template(request):
    """A response rendered after the view returns, as the sitemap's `TemplateResponse` is."""
    template = engines["django"].from_string(_page("{{ status }}"))
    response = TemplateResponse(request, template, {"status": "current"})
    return freshness.attach(response, freshness.Freshness("lazy", LAST_MODIFIED))


@public_cache
def without_freshness(request):
    """A page that says nothing about its freshness."""
    return HttpResponse(_page("current"))


urlpatterns = [
    path("_fresh/<int:article_id>/", fresh, name="test_fresh"),
    path("_csrf/", with_csrf_token, name="test_csrf"),
    path("_message/", with_message, name="test_message"),
    path("_cookie/", with_cookie, name="test_cookie"),
    path("_plain/", without_freshness, name="test_plain"),
    path("_lazy/", lazy_template, name="test_lazy"),
    path("", include("config.urls")),
]
