"""
A reviewing physician's private calendar feed (`articles.publishing.review_feed`).

Not a public page: its address is the secret, so it is never cached or indexed, and any
address but a physician's current one answers 404, with nothing to say whether the profile
exists.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.publishing.review_feed import review_feed_ics, review_feed_profile


@require_safe
def review_feed(request, profile_id: int, token: str):
    """The iCalendar feed of the reviews due on the pages this physician approved."""
    profile = review_feed_profile(profile_id=profile_id, token=token)
    if profile is None:
        raise Http404("No such calendar feed")
    response = HttpResponse(
        review_feed_ics(profile=profile, now=timezone.now()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="reviews-due.ics"'
    # The address is a credential: no cache may keep the response, no search engine list it.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
