"""
A reviewing physician's private calendar feed (iCalendar) of the re-reviews that fall to them.

Calendar apps subscribe to a feed by its address and cannot sign in, so the address itself is
the secret: it carries the profile's id and a token, an HMAC keyed by `SECRET_KEY` over the
profile, its login and the login's password hash, as Django's password-reset tokens are. No
model field or migration holds it; it is worked out again on each request, and it stops working
when the physician changes their password (then they copy the new address from the "Due
reviews" page), when their login is deactivated or their credentials are no longer verified.
During a `SECRET_KEY` rotation, addresses made with a key in `SECRET_KEY_FALLBACKS` still work.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from icalendar import Calendar, Event, vDuration

from articles.publishing.selectors import DUE_HORIZON_DAYS, reviews_due_for_reviewer
from articles.publishing.structured_data import absolute_url
from reviews.models import ReviewerProfile

# The HMAC's purpose, so the token cannot be confused with any other value keyed by SECRET_KEY.
_KEY_SALT = "articles.publishing.review_feed"
# How far ahead the feed looks: as far as the "Due reviews" page its events link to.
FEED_HORIZON_DAYS = DUE_HORIZON_DAYS
# How often calendar apps are asked to fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=6)


def review_feed_token(profile: ReviewerProfile, *, secret: str | None = None) -> str:
    """
    The secret part of `profile`'s feed address (64 hex digits).

    Over the profile, its login and the login's password hash: a new password (which re-salts
    the hash) makes a new token, so the physician can revoke an address they shared by mistake.
    """
    value = f"{profile.pk}:{profile.user_id}:{profile.user.password}"
    return salted_hmac(_KEY_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def review_feed_path(profile: ReviewerProfile) -> str:
    """The path of `profile`'s feed, token included."""
    return reverse(
        "articles:review_feed",
        kwargs={"profile_id": profile.pk, "token": review_feed_token(profile)},
    )


def review_feed_profile(*, profile_id: int, token: str) -> ReviewerProfile | None:
    """
    The verified physician, with an active login, whose feed address is `profile_id` and
    `token`; None for any other address (one query).
    """
    profile = (
        ReviewerProfile.objects.verified()
        .select_related("user")
        .filter(pk=profile_id, user__is_active=True)
        .first()
    )
    if profile is None:
        return None
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(review_feed_token(profile, secret=secret), token):
            return profile
    return None


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localdate(moment), "j F Y")


def review_feed_ics(*, profile: ReviewerProfile, now: datetime) -> bytes:
    """
    The feed of `profile`: an all-day event on the due date of each live page whose approval
    in force they signed and whose review is overdue or due within `FEED_HORIZON_DAYS`.

    The calendar's UID names the physician and each event's UID the article and the due date,
    so both stay the same from one fetch to the next, and a re-review (which moves the date)
    replaces the event with a new one. An event's stamp is the approval's signing time, when
    what it says last changed. Dates are the days of the site's time zone.
    """
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    due_page = absolute_url(reverse("admin:articles_article_due_reviews"))
    calendar = Calendar.new(
        uid=f"review-feed-{profile.pk}@{host}",
        prodid=f"-//{settings.SITE_NAME}//Medical reviews due//EN",
        name=f"Reviews due: {profile.display_name}",
        description=f"Pages on {settings.SITE_NAME} that {profile.display_name} approved "
        "and whose medical review is due.",
        refresh_interval=REFRESH_INTERVAL,
    )
    # Outlook reads this older name of the refresh interval.
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    rows = reviews_due_for_reviewer(reviewer_id=profile.pk, now=now, horizon_days=FEED_HORIZON_DAYS)
    for row in rows:
        article, signoff, due = row["article"], row["signoff"], row["next_review_due"]
        day = timezone.localdate(due)
        url = f"{due_page}#due-article-{article.pk}"
        calendar.add_component(
            Event.new(
                uid=f"review-due-{article.pk}-{day:%Y%m%d}@{host}",
                summary=f"Review due: {article.title}",
                start=day,
                end=day + timedelta(days=1),
                stamp=signoff.signed_at,
                url=url,
                description=f"Next medical review of “{article.title}” due on {_day(due)} "
                f"(you approved revision {article.live_revision.number} on "
                f"{_day(signoff.signed_at)}). Due reviews: {url}",
                transparency="TRANSPARENT",
            )
        )
    return calendar.to_ical()
