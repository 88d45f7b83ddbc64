"""
The review policy refuses input that would make a due date mean different things to different
callers, and says which argument is wrong: naive datetimes and intervals of no days. No database.
"""

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from reviews import policy

AWARE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NAIVE = datetime(2026, 3, 1, 9, 30)


class NoOffset(tzinfo):
    """A time zone that does not know its offset: Python counts such datetimes as naive."""

    def utcoffset(self, dt):
        return None


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: policy.next_review_due(last_reviewed_at=NAIVE), "last_reviewed_at"),
        (lambda: policy.review_status(next_due=NAIVE, now=AWARE), "next_due"),
        (lambda: policy.review_status(next_due=AWARE, now=NAIVE), "now"),
        (lambda: policy.withdrawal_at(next_due=NAIVE), "next_due"),
        (lambda: policy.is_withdrawn_for_overdue(next_due=AWARE, now=NAIVE), "now"),
    ],
    ids=["next_review_due", "status-due", "status-now", "withdrawal_at", "withdrawn-now"],
)
def test_a_naive_datetime_is_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must be a timezone-aware datetime, got"):
        call()


def test_a_topic_interval_of_no_days_is_refused_and_one_day_is_a_valid_interval():
    with pytest.raises(
        ValueError, match=r"^A topic review interval must be a positive number of days: 0\.$"
    ):
        policy.effective_interval_days([0, None, 90])
    assert policy.effective_interval_days([1, None, 90]) == 1


def test_a_datetime_whose_zone_has_no_offset_counts_as_naive():
    with pytest.raises(ValueError, match="^now must be a timezone-aware datetime"):
        policy.review_status(next_due=AWARE, now=AWARE.replace(tzinfo=NoOffset()))


def test_a_one_day_interval_is_valid_and_no_days_is_refused():
    assert policy.next_review_due(last_reviewed_at=AWARE, interval_days=1) == AWARE + timedelta(
        days=1
    )
    with pytest.raises(ValueError, match="^interval_days must be a positive number of days"):
        policy.next_review_due(last_reviewed_at=AWARE, interval_days=0)
