"""Project-level views that belong to no app."""

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """
    Report whether the app can reach its database, for load balancers and monitors.

    Always JSON: 200 when the database answers a query on a migrated table, 503 when not. The
    error is logged, never shown, so a probe can't learn connection details from it.
    """
    try:
        with connection.cursor() as cursor:
            # A table every migrated database has: `SELECT 1` alone would pass on an empty
            # SQLite file created where the real one went missing.
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse(
            {"status": "error", "database": "unavailable", "vendor": connection.vendor},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def database_unreachable(error: BaseException | None) -> bool:
    """
    Whether `error` means the database cannot be used right now (down, restarting, refusing
    connections, a lost connection, SQLite locked or missing), rather than a bug in a query.
    """
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request):
    """
    The 500 handler (`handler500`): 503 with Retry-After when the database is unreachable.

    Django calls it while handling the uncaught exception, so `sys.exc_info()` is that
    exception. An outage is not a bug: clients, caches and monitors are told to come back
    (503 with Retry-After, never stored by a cache), and readers get a plain page that needs
    neither the database nor a template context. Anything else is Django's own 500 page.
    """
    if not database_unreachable(sys.exc_info()[1]):
        return defaults.server_error(request)
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
