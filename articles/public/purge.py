"""
Telling shared caches (Varnish, a CDN) that public pages changed: purge by surrogate key.

Public responses carry surrogate keys (`articles.public.http_cache`, ``xkey`` header): the
article's own key for its pages, `freshness.LISTS_KEY` for every list page. When what the
public may see of an article changes, the publishing code sends `publication_changed` inside
the transaction of the change; `on_publication_changed` then purges the article's key and the
lists key from every configured backend **after the commit** (`transaction.on_commit`), so a
cache can never fetch the old page again after the purge, and a rolled-back change purges
nothing.

The backends are chosen in settings, as Wagtail's ``WAGTAILFRONTENDCACHE`` chooses its own::

    PUBLIC_CACHE_PURGE = [
        {"BACKEND": "articles.public.purge.VarnishXkeyBackend",
         "LOCATION": "http://127.0.0.1:6081"},
    ]

(`config/settings.py` builds this from ``PUBLIC_CACHE_PURGE_URLS``.) Optional keys: ``TIMEOUT``
(seconds, default 2) and ``METHOD`` (default ``PURGE``). A purge that fails is logged and
never raised: the change is committed by then, and the cap on ``max-age`` bounds how long a
cache that missed the purge can lag.
"""

from __future__ import annotations

import functools
import logging
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from articles.public import freshness

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0
# The request header deploy/varnish/default.vcl reads the keys to purge from.
PURGE_HEADER = "xkey-purge"


class PurgeBackend:
    """A shared cache that can forget every response tagged with some surrogate keys."""

    def __init__(self, params: dict[str, Any]):
        self.params = params

    def purge_keys(self, keys: Sequence[str]) -> None:
        """Forget every response tagged with any of `keys`; raise on failure."""
        raise NotImplementedError


class VarnishXkeyBackend(PurgeBackend):
    """
    Varnish with vmod-xkey (`deploy/varnish/default.vcl`): ``PURGE /`` with the keys,
    space-separated, in the ``xkey-purge`` header.
    """

    def __init__(self, params: dict[str, Any]):
        super().__init__(params)
        location = params.get("LOCATION", "")
        if urlsplit(location).scheme not in ("http", "https"):
            raise ImproperlyConfigured(
                f"A Varnish purge LOCATION must be an http(s) URL, not {location!r}."
            )
        self.location = location.rstrip("/") + "/"
        self.timeout = float(params.get("TIMEOUT", DEFAULT_TIMEOUT))
        self.method = params.get("METHOD", "PURGE")
        # Straight to the cache: a proxy from the environment (http_proxy) has no business
        # relaying purges to an internal Varnish.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def purge_keys(self, keys: Sequence[str]) -> None:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.location, method=self.method, headers={PURGE_HEADER: " ".join(keys)}
        )
        with self._opener.open(request, timeout=self.timeout) as response:
            response.read()


def backends() -> list[PurgeBackend]:
    """The backends ``PUBLIC_CACHE_PURGE`` configures (none by default)."""
    return [
        import_string(config["BACKEND"])(config)
        for config in getattr(settings, "PUBLIC_CACHE_PURGE", [])
    ]


def purge_keys(keys: Sequence[str]) -> None:
    """Purge `keys` from every configured backend now; failures are logged, not raised."""
    try:
        configured = backends()
    except Exception:
        logger.exception("PUBLIC_CACHE_PURGE is misconfigured; keys %s not purged", keys)
        return
    for backend in configured:
        try:
            backend.purge_keys(keys)
        except Exception:
            logger.exception(
                "Purging keys %s from %s failed", " ".join(keys), type(backend).__name__
            )


def on_publication_changed(sender, article, **kwargs) -> None:
    """Purge the article's pages and every list from the shared caches once the change commits."""
    if not getattr(settings, "PUBLIC_CACHE_PURGE", None):
        return
    keys = (freshness.article_key(article.pk), freshness.LISTS_KEY)
    transaction.on_commit(functools.partial(purge_keys, keys), robust=True)


def connect_signals() -> None:
    """Connect the purge receiver (idempotent: it has a dispatch uid)."""
    from articles.publishing.signals import publication_changed

    publication_changed.connect(on_publication_changed, dispatch_uid="public_cache_purge")
