"""Project middleware."""

import re

from django.conf import settings
from django.http import HttpResponseBadRequest

# C0 control characters and DEL, except tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RejectControlCharactersMiddleware:
    """
    Answer 400 to a query string that carries control characters (a NUL byte, an escape ...).

    No reader types them; PostgreSQL refuses a NUL in any query, and XML (feeds, sitemaps)
    cannot carry most of them. Refusing them here, before any view, gives one clear answer
    everywhere (public search, admin lists) instead of a 500 in whichever view meets one
    first. Posted forms are left to their fields: Django's text fields refuse a NUL with a
    message, and the report form strips the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if CONTROL_CHARACTERS.search(key) or any(
                CONTROL_CHARACTERS.search(value) for value in values
            ):
                return HttpResponseBadRequest(
                    "The address contains control characters that cannot be read. "
                    "Please check the link or search again.",
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)


class AdminContentSecurityPolicyMiddleware:
    """
    Give admin responses the relaxed CSP that CKEditor 4 needs.

    Django's CSP middleware uses `response._csp_config` when a view set one (this is what the
    `csp_override` decorator does). Setting it here, by URL prefix, keeps the relaxation to the
    admin without decorating every admin view, and leaves the strict policy everywhere else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.ADMIN_URL_PREFIX) and not hasattr(
            response, "_csp_config"
        ):
            response._csp_config = settings.ADMIN_CSP
        return response
