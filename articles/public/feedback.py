"""
Readers' "Report a problem with this page": the form, its spam defences, and storing a report.

Defences, cheapest first:

- a request body larger than `MAX_BODY_BYTES` is refused with 413 before Django reads it
  (the form's own limits are then checked on what is read: 2,000 characters of message);
- a honeypot field, `website`, hidden from people by CSS and from assistive technology by
  `aria-hidden`, that bots fill in: such a post is thanked and dropped, so the bot learns
  nothing;
- a rate limit of `RATE_LIMIT` reports per `RATE_WINDOW_SECONDS` per sender, counted in the
  cache under a keyed hash of the address (with Redis, across all app servers).

The sender's address is never stored, only `ip_hash()`: an HMAC with the site's secret key, so
the stored value cannot be reversed by hashing every IPv4 address.
"""

from __future__ import annotations

import hashlib
import hmac

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from articles.content.models import Article
from articles.public.models import ProblemReport

MAX_MESSAGE_LENGTH = 2000
# The form's fields at their limits, URL-encoded, fit well within this.
MAX_BODY_BYTES = 16 * 1024
RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 3600


class ProblemReportForm(forms.Form):
    """What is wrong (required), an optional address for an answer, and the honeypot."""

    message = forms.CharField(
        label="What is wrong with this page?",
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_MESSAGE_LENGTH}),
        help_text="For example a mistake, something out of date or unclear, or a broken link. "
        f"At most {MAX_MESSAGE_LENGTH:,} characters. Please do not include personal medical "
        "details.",
    )
    email = forms.EmailField(
        label="Your email address (optional)",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Only if you would like a reply. We never publish it.",
    )
    # The honeypot: people never see or fill it in.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_spam(self) -> bool:
        """Whether the honeypot was filled in (call after `is_valid()`)."""
        return bool(self.cleaned_data.get("website"))


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request declares (or, read, has) a body over `MAX_BODY_BYTES`."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return declared > MAX_BODY_BYTES


def ip_hash(request: HttpRequest) -> str:
    """
    A keyed hash of the sender's address (REMOTE_ADDR).

    Behind a proxy, REMOTE_ADDR is the proxy's unless the proxy is configured to pass the
    client's address through (gunicorn `--forwarded-allow-ips`); an X-Forwarded-For header
    is not read here, because any client can set it.
    """
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), address.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _rate_key(sender_hash: str) -> str:
    return f"problem-report-rate:{sender_hash}"


def rate_limited(sender_hash: str) -> bool:
    """Whether this sender has sent `RATE_LIMIT` reports in the current window."""
    return (cache.get(_rate_key(sender_hash)) or 0) >= RATE_LIMIT


def _count_report(sender_hash: str) -> None:
    key = _rate_key(sender_hash)
    # add() starts the window; incr() counts within it without moving its end.
    if not cache.add(key, 1, RATE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, RATE_WINDOW_SECONDS)


@transaction.atomic
def problem_report_create(
    *, article: Article, message: str, email: str, sender_hash: str
) -> ProblemReport:
    """Store a reader's report on the live revision of `article` and count it for the limit."""
    report = ProblemReport(
        article=article,
        revision_id=article.live_revision_id,
        message=message,
        email=email,
        ip_hash=sender_hash,
    )
    report.full_clean()
    report.save()
    _count_report(sender_hash)
    return report
