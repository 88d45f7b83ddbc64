"""
Deployment checks that belong to no single app: configuration that would fail quietly.

`manage.py check` (and every management command that runs checks) reports them; `make serve`'s
gunicorn configuration (deploy/gunicorn.conf.py) also refuses to start on the shared-cache
error, because gunicorn itself runs no Django checks.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core import checks

# Cache backends whose counts are not shared between processes, or not atomic across them.
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its counts in each process",
    "django.core.cache.backends.dummy.DummyCache": "counts nothing",
    "django.core.cache.backends.filebased.FileBasedCache": "cannot count atomically",
    "django.core.cache.backends.db.DatabaseCache": "cannot count atomically",
}


def workers_from_environment() -> int:
    """The number of web workers this deployment runs: WEB_CONCURRENCY, as gunicorn reads it."""
    try:
        return max(int(os.environ.get("WEB_CONCURRENCY", "1")), 1)
    except ValueError:
        return 1


def shared_cache_problem(workers: int) -> str | None:
    """Why rate limits would not hold with `workers` processes on this cache (None: they hold)."""
    backend = settings.CACHES["default"]["BACKEND"]
    reason = PROCESS_LOCAL_CACHES.get(backend)
    if workers <= 1 or reason is None:
        return None
    return (
        f"{workers} web workers would each count readers' reports and PubMed requests on their "
        f"own: the cache ({backend.rsplit('.', 1)[-1]}) {reason}. Set REDIS_URL to a Redis "
        "shared by every worker and server, or run one worker."
    )


@checks.register(checks.Tags.caches)
def check_shared_cache(app_configs=None, **kwargs):
    problem = shared_cache_problem(workers_from_environment())
    if problem is None:
        return []
    return [checks.Error(problem, id="healthpages.E001")]


@checks.register()
def check_pubmed_email(app_configs=None, **kwargs):
    if (getattr(settings, "PUBMED_EMAIL", "") or "").strip():
        return []
    return [
        checks.Warning(
            "PUBMED_EMAIL is empty: NCBI asks every E-utilities caller for a contact address, "
            "and may block a tool that sends none instead of writing to it first.",
            hint="Set PUBMED_EMAIL to the address of whoever runs this site.",
            id="healthpages.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_passkey_origin(app_configs=None, **kwargs):
    """`check --deploy`: passkeys are bound to a domain, which production must name."""
    if settings.WEBAUTHN_RP_ID and settings.WEBAUTHN_ORIGIN.startswith("https://"):
        return []
    return [
        checks.Warning(
            "WEBAUTHN_RP_ID or WEBAUTHN_ORIGIN is not set (or the origin is not HTTPS): "
            "physicians' passkeys would be bound to whatever host name a request carries.",
            hint="Set WEBAUTHN_RP_ID=health.example.org and "
            "WEBAUTHN_ORIGIN=https://health.example.org (your site's domain).",
            id="healthpages.W002",
        )
    ]
