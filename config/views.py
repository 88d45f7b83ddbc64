"""Project-level views that belong to no app."""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """
    Report whether the app can reach its database, for load balancers and monitors.

    Always JSON: 200 when the database answers a trivial query, 503 when it does not. The error
    is logged, never shown, so a probe can't learn connection details from it.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse(
            {"status": "error", "database": "unavailable", "vendor": connection.vendor},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})
