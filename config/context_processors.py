"""Template context shared by every page."""

from django.conf import settings


def site(request):
    """The site's name and canonical address, for titles, Open Graph and JSON-LD."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
