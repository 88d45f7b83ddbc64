"""
The review policy's settings: the documented defaults when a setting is absent, and a start-up
check that names the setting at fault and accepts every coherent value. No database.
"""

from datetime import UTC, datetime, timedelta

import pytest

from reviews import policy

DUE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
REVIEW_SETTINGS = (
    "REVIEW_INTERVAL_DAYS",
    "REVIEW_DUE_SOON_DAYS",
    "REVIEW_WITHDRAW_OVERDUE",
    "REVIEW_OVERDUE_GRACE_DAYS",
)


def errors():
    return {message.id: message for message in policy.check_review_settings()}


@pytest.fixture
def no_review_settings(settings):
    """A settings module that sets none of the REVIEW_* settings."""
    for name in REVIEW_SETTINGS:
        delattr(settings, name)
    return settings


def test_without_any_review_setting_the_documented_defaults_apply_and_pass_the_check(
    no_review_settings,
):
    assert policy.default_interval_days() == 365
    assert policy.default_due_soon_days() == 30
    assert policy.default_overdue_grace_days() == 30
    assert policy.withdraw_overdue_enabled() is False
    assert errors() == {}


def test_without_the_grace_setting_an_overdue_page_is_withdrawn_30_days_after_the_due_date(
    no_review_settings,
):
    assert policy.withdrawal_at(next_due=DUE) == DUE + timedelta(days=30)
    end = DUE + timedelta(days=30)
    assert not policy.is_withdrawn_for_overdue(
        next_due=DUE, now=end - timedelta(seconds=1), withdraw=True
    )
    assert policy.is_withdrawn_for_overdue(next_due=DUE, now=end, withdraw=True)


@pytest.mark.parametrize(
    ("name", "eid"),
    [("REVIEW_INTERVAL_DAYS", "reviews.E001"), ("REVIEW_DUE_SOON_DAYS", "reviews.E002")],
)
def test_a_bad_interval_or_window_is_reported_alone_naming_the_setting_and_the_fix(
    settings, name, eid
):
    setattr(settings, name, 0)
    found = errors()
    # Zero days is only "not positive": not also "the window is not shorter than the interval".
    assert list(found) == [eid]
    assert found[eid].msg == f"{name} must be a positive whole number of days, not 0."
    assert found[eid].hint == f"Set {name} in the environment, e.g. {name}=365."


def test_a_one_day_window_is_a_valid_due_soon_window(settings):
    settings.REVIEW_DUE_SOON_DAYS = 1
    assert errors() == {}


def test_a_window_as_long_as_a_one_day_interval_is_reported(settings):
    settings.REVIEW_INTERVAL_DAYS = 1
    settings.REVIEW_DUE_SOON_DAYS = 1
    found = errors()
    assert list(found) == ["reviews.E003"]
    assert found["reviews.E003"].msg.startswith(
        "REVIEW_DUE_SOON_DAYS (1) must be smaller than REVIEW_INTERVAL_DAYS (1)"
    )


def test_no_grace_period_is_a_valid_setting_and_a_negative_one_is_reported_by_name(settings):
    settings.REVIEW_OVERDUE_GRACE_DAYS = 0
    assert errors() == {}
    settings.REVIEW_OVERDUE_GRACE_DAYS = -1
    assert errors()["reviews.E004"].msg == (
        "REVIEW_OVERDUE_GRACE_DAYS must be zero or a positive whole number of days, not -1."
    )


def test_a_withdraw_switch_that_is_not_a_boolean_is_reported_by_name(settings):
    settings.REVIEW_WITHDRAW_OVERDUE = "yes"
    assert errors()["reviews.E005"].msg == (
        "REVIEW_WITHDRAW_OVERDUE must be True or False, not 'yes'."
    )
