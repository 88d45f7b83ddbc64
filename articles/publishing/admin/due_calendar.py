"""
The month calendar of due reviews and scheduled publications (a staff page of the admin).

Each day of the month lists the live pages whose medical review falls due that day (overdue
ones marked) and the approved revisions scheduled to go live that day. Days are the days of
the site's time zone; the grid comes from Python's `calendar` module, starting on the locale's
first day of the week. On a narrow screen the stylesheet turns the grid into a list of the
days that have something on them.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR

from articles.content.permissions import can_view_due_reviews
from articles.publishing.selectors import reviews_due_between, scheduled_publications_between
from reviews import policy

# ?month=2027-05
MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")


def month_from_query(value: str | None, *, today: date) -> date | None:
    """
    The first day of the month `value` names (``YYYY-MM``): today's month when `value` is
    empty, None when it names no month (one the previous and next links can leave, too).
    """
    if not value:
        return today.replace(day=1)
    match = MONTH.match(value)
    if match is None:
        return None
    year, month = int(match["year"]), int(match["month"])
    if not (MINYEAR < year < MAXYEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _first_weekday() -> int:
    # Django's FIRST_DAY_OF_WEEK counts from Sunday (0); Python's calendar from Monday (0).
    return (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7


def month_grid(*, first: date, due_rows: list[dict], scheduled: list, today: date) -> list:
    """
    The weeks of the month starting `first`, each a list of seven days: {"date", "in_month",
    "today", "due", "scheduled"}, with each due review ({"article", "overdue", "status"}) and
    scheduled publication on its day. Days of the neighbouring months carry nothing.
    """
    due = defaultdict(list)
    for row in due_rows:
        due[timezone.localdate(row["next_review_due"])].append(
            {
                "article": row["article"],
                "status": row["status"],
                "overdue": row["status"] == policy.ReviewStatus.OVERDUE,
            }
        )
    publications = defaultdict(list)
    for item in scheduled:
        publications[timezone.localdate(item.publish_at)].append(item)
    weeks = calendar.Calendar(_first_weekday()).monthdatescalendar(first.year, first.month)
    return [
        [
            {
                "date": day,
                "in_month": day.month == first.month,
                "today": day == today,
                "due": due[day] if day.month == first.month else [],
                "scheduled": publications[day] if day.month == first.month else [],
            }
            for day in week
        ]
        for week in weeks
    ]


def month_view(model_admin, request):
    """The calendar of one month (?month=YYYY-MM, default this month)."""
    if not can_view_due_reviews(request.user):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate(now)
    first = month_from_query(request.GET.get("month"), today=today)
    if first is None:
        messages.warning(
            request,
            "That is not a month the calendar can show (write it as 2027-05): here is this "
            "month instead.",
        )
        first = today.replace(day=1)
    following = _next_month(first)
    start, end = _start_of(first), _start_of(following)
    due_rows = reviews_due_between(start=start, end=end, now=now)
    scheduled = scheduled_publications_between(start=start, end=end)
    order = [(_first_weekday() + offset) % 7 for offset in range(7)]
    site = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Calendar: {formats.date_format(first, 'F Y')}",
        "first": first,
        "weeks": month_grid(first=first, due_rows=due_rows, scheduled=scheduled, today=today),
        "weekdays": [(WEEKDAYS[i], WEEKDAYS_ABBR[i]) for i in order],
        "due_count": len(due_rows),
        "overdue_count": sum(row["status"] == policy.ReviewStatus.OVERDUE for row in due_rows),
        "scheduled_count": len(scheduled),
        "previous_month": _previous_month(first),
        "next_month": following,
        "this_month": today.replace(day=1) if first != today.replace(day=1) else None,
        "due_reviews_url": reverse("admin:articles_article_due_reviews", current_app=site),
    }
    return TemplateResponse(request, "admin/articles/review_calendar.html", context)
