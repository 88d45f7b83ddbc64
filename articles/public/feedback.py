"""
Readers' "Report a problem with this page": the form, its spam defences, and storing a report.

Defences, cheapest first:

- a request body larger than `MAX_BODY_BYTES` is refused with 413 before Django reads it
  (the form's own limits are then checked on what is read: 2,000 characters of message);
- a honeypot field, `website`, hidden from people by CSS and from assistive technology by
  `aria-hidden`, that bots fill in: such a post is thanked and dropped, so the bot learns
  nothing;
- rate limits, counted in the shared cache (Redis in production: one count for all workers and
  servers; `config.checks` refuses a process-local cache under several workers): at most
  `RATE_LIMIT` reports an hour per sender, under a keyed hash of the address, and at most
  PROBLEM_REPORTS_PER_ARTICLE_HOUR an hour per article, whoever sends them. Each report is
  checked and counted in one atomic increment (django-ratelimit), so parallel posts cannot all
  pass a check made before any of them was counted.

The sender's address is never stored, only `ip_hash()`: an HMAC with the site's secret key, so
the stored value cannot be reversed by hashing every IPv4 address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from articles.content.models import Article
from articles.public.models import ProblemReport
from articles.publishing.notifications import notify_report
from config.middleware import CONTROL_CHARACTERS

MAX_MESSAGE_LENGTH = 2000
# The form's fields at their limits, URL-encoded, fit well within this.
MAX_BODY_BYTES = 16 * 1024
RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 3600

logger = logging.getLogger(__name__)

# Why a report was refused, as the reader is told.
LIMIT_SENDER = (
    "You have sent several reports in the last hour. Thank you; please try again later."
)
LIMIT_ARTICLE = (
    "This page has had many reports in the last hour and our editors are looking at it. "
    "Thank you; please try again later."
)
LIMIT_UNAVAILABLE = "Reports cannot be accepted just now. Please try again in a few minutes."


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

    def clean_message(self) -> str:
        # Control characters (pasted from elsewhere) are dropped: editors read reports in the
        # admin and in e-mails, where they show as garbage. Django already refuses a NUL.
        return CONTROL_CHARACTERS.sub("", self.cleaned_data["message"])

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


def report_refusal(*, sender_hash: str, article_id: int) -> str | None:
    """
    Count one report against the sender's and the article's hourly limits; the reason to
    refuse it (what the reader is told), or None to accept it.

    Checking and counting are one atomic increment per limit, shared by every worker and
    server. A refused report still counts against its sender. If the cache cannot count, the
    report is refused (a flood must not get through while the limit is blind).
    """
    limits = (
        ("articles.problem-report.sender", sender_hash, RATE_LIMIT, LIMIT_SENDER),
        (
            "articles.problem-report.article",
            str(article_id),
            settings.PROBLEM_REPORTS_PER_ARTICLE_HOUR,
            LIMIT_ARTICLE,
        ),
    )
    for group, value, limit, refusal in limits:
        try:
            usage = get_usage(
                None,
                group=group,
                key=lambda group, request, value=value: value,
                rate=(limit, RATE_WINDOW_SECONDS),
                increment=True,
            )
        except Exception:  # the cache is down
            logger.exception("Problem reports: the rate-limit cache did not answer")
            return LIMIT_UNAVAILABLE
        if usage is None:  # RATELIMIT_ENABLE is off
            continue
        if usage["limit"] == 0:  # the cache could not count
            return LIMIT_UNAVAILABLE
        if usage["should_limit"]:
            return refusal
    return None


@transaction.atomic
def problem_report_create(
    *, article: Article, message: str, email: str, sender_hash: str
) -> ProblemReport:
    """Store a reader's report on the live revision of `article` (counted by `report_refusal`)."""
    report = ProblemReport(
        article=article,
        revision_id=article.live_revision_id,
        message=message,
        email=email,
        ip_hash=sender_hash,
    )
    report.full_clean()
    report.save()
    notify_report(report=report)
    return report
