"""The review policy: pure functions, explicit `now`, exact boundaries. No database."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from reviews import policy
from reviews.policy import ReviewStatus

SIGNED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_next_review_due_defaults_to_the_setting_interval():
    assert policy.next_review_due(last_reviewed_at=SIGNED) == SIGNED + timedelta(days=365)


@override_settings(REVIEW_INTERVAL_DAYS=180)
def test_next_review_due_reads_the_interval_setting():
    assert policy.next_review_due(last_reviewed_at=SIGNED) == SIGNED + timedelta(days=180)


def test_next_review_due_uses_the_override_passed_in():
    assert policy.next_review_due(last_reviewed_at=SIGNED, interval_days=90) == SIGNED + timedelta(
        days=90
    )


def test_next_review_due_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        policy.next_review_due(last_reviewed_at=datetime(2025, 3, 1))


def test_next_review_due_refuses_a_non_positive_interval():
    with pytest.raises(ValueError, match="positive"):
        policy.next_review_due(last_reviewed_at=SIGNED, interval_days=0)


@override_settings(REVIEW_INTERVAL_DAYS=365)
def test_per_topic_interval_smallest_override_wins_and_unset_topics_do_not_count():
    assert policy.effective_interval_days([None, 180, 90, None]) == 90
    assert policy.effective_interval_days([None, None]) == 365
    assert policy.effective_interval_days([]) == 365
    # An override may also lengthen the interval for a slow-moving topic.
    assert policy.effective_interval_days([730]) == 730


def test_re_review_of_unchanged_content_moves_the_due_date_from_the_new_sign_off():
    first_due = policy.next_review_due(last_reviewed_at=SIGNED, interval_days=365)
    re_reviewed = SIGNED + timedelta(days=350)
    assert policy.next_review_due(last_reviewed_at=re_reviewed, interval_days=365) == (
        re_reviewed + timedelta(days=365)
    )
    assert first_due < re_reviewed + timedelta(days=365)


class TestReviewStatusBoundaries:
    """Each stage starts inclusively at its boundary instant."""

    due = SIGNED + timedelta(days=365)

    def status(self, now, **kwargs):
        return policy.review_status(next_due=self.due, now=now, **kwargs)

    def test_current_right_after_signing(self):
        assert self.status(SIGNED) is ReviewStatus.CURRENT

    def test_current_one_second_before_the_due_soon_window(self):
        assert self.status(self.due - timedelta(days=30) - SECOND) is ReviewStatus.CURRENT

    def test_due_soon_exactly_at_the_start_of_the_window(self):
        assert self.status(self.due - timedelta(days=30)) is ReviewStatus.DUE_SOON

    def test_due_soon_one_second_before_the_due_instant(self):
        assert self.status(self.due - SECOND) is ReviewStatus.DUE_SOON

    def test_overdue_exactly_at_the_due_instant(self):
        assert self.status(self.due) is ReviewStatus.OVERDUE

    def test_overdue_long_after(self):
        assert self.status(self.due + timedelta(days=400)) is ReviewStatus.OVERDUE

    @override_settings(REVIEW_DUE_SOON_DAYS=7)
    def test_window_reads_the_setting(self):
        assert self.status(self.due - timedelta(days=7) - SECOND) is ReviewStatus.CURRENT
        assert self.status(self.due - timedelta(days=7)) is ReviewStatus.DUE_SOON

    def test_window_passed_in(self):
        assert self.status(self.due - timedelta(days=10), due_soon_days=5) is ReviewStatus.CURRENT

    def test_other_timezones_compare_as_instants(self):
        from zoneinfo import ZoneInfo

        local = self.due.astimezone(ZoneInfo("America/New_York"))
        assert self.status(local) is ReviewStatus.OVERDUE
        assert self.status(local - SECOND) is ReviewStatus.DUE_SOON

    def test_values_are_the_public_data_attribute(self):
        assert [s.value for s in ReviewStatus] == ["current", "due-soon", "overdue"]
        assert ReviewStatus.OVERDUE.label == "Review overdue"


class TestWithdrawal:
    due = SIGNED + timedelta(days=365)

    def test_never_withdrawn_by_default_even_long_overdue(self):
        assert (
            policy.is_withdrawn_for_overdue(next_due=self.due, now=self.due + timedelta(days=999))
            is False
        )

    @override_settings(REVIEW_WITHDRAW_OVERDUE=True, REVIEW_OVERDUE_GRACE_DAYS=30)
    def test_with_the_setting_withdrawn_exactly_at_the_end_of_the_grace_period(self):
        end = self.due + timedelta(days=30)
        assert policy.is_withdrawn_for_overdue(next_due=self.due, now=end - SECOND) is False
        assert policy.is_withdrawn_for_overdue(next_due=self.due, now=end) is True

    @override_settings(REVIEW_WITHDRAW_OVERDUE=True, REVIEW_OVERDUE_GRACE_DAYS=0)
    def test_zero_grace_withdraws_at_the_due_instant(self):
        assert policy.is_withdrawn_for_overdue(next_due=self.due, now=self.due - SECOND) is False
        assert policy.is_withdrawn_for_overdue(next_due=self.due, now=self.due) is True

    def test_values_passed_in_win_over_settings(self):
        now = self.due + timedelta(days=3)
        assert policy.is_withdrawn_for_overdue(
            next_due=self.due, now=now, withdraw=True, grace_days=2
        )
        assert not policy.is_withdrawn_for_overdue(
            next_due=self.due, now=now, withdraw=True, grace_days=4
        )

    def test_withdrawal_at(self):
        assert policy.withdrawal_at(next_due=self.due, grace_days=5) == self.due + timedelta(days=5)


class TestSettingsCheck:
    def ids(self):
        return [message.id for message in policy.check_review_settings()]

    def test_the_project_defaults_pass(self):
        assert self.ids() == []

    @pytest.mark.parametrize("value", [0, -5, "365", 1.5, True])
    @pytest.mark.parametrize(
        ("name", "eid"),
        [("REVIEW_INTERVAL_DAYS", "reviews.E001"), ("REVIEW_DUE_SOON_DAYS", "reviews.E002")],
    )
    def test_interval_and_window_must_be_positive_whole_numbers(self, name, eid, value):
        with override_settings(**{name: value}):
            assert eid in self.ids()

    @override_settings(REVIEW_INTERVAL_DAYS=30, REVIEW_DUE_SOON_DAYS=30)
    def test_due_soon_window_must_be_smaller_than_the_interval(self):
        assert self.ids() == ["reviews.E003"]

    @override_settings(REVIEW_OVERDUE_GRACE_DAYS=-1)
    def test_grace_period_cannot_be_negative(self):
        assert self.ids() == ["reviews.E004"]

    @override_settings(REVIEW_WITHDRAW_OVERDUE="yes")
    def test_withdraw_switch_must_be_boolean(self):
        assert self.ids() == ["reviews.E005"]

    def test_registered_with_djangos_check_framework(self):
        from django.core.checks.registry import registry

        assert policy.check_review_settings in registry.get_checks()
