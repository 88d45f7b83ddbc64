"""Project middleware."""

from django.conf import settings


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
