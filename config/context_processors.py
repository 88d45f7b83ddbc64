"""Template context shared by every page."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# The links every public page carries (header, footer): the same for every request.
_SITE_LINKS = ("home", "search", "feed", "review_board", "editorial_policy")


@functools.cache
def _site_links(urlconf, script_prefix) -> dict[str, str]:
    # Keyed by what `reverse()` depends on, so a test's own URLconf gets its own answer.
    return {name: reverse(f"articles:{name}") for name in _SITE_LINKS}


def site(request):
    """
    The site's name and canonical address (titles, Open Graph, JSON-LD), and its navigation
    links, reversed once per URLconf rather than on every page.
    """
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "site_links": _site_links(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()),
    }
