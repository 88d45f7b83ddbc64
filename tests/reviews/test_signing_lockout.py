"""Signing lockout: wrong signing passwords lock signing for a while; the lock is announced once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from articles.content.services import revision_create
from articles.management.commands.setup_site import SITE_ADMINS
from reviews.models import AuditEvent, SignOff
from reviews.services import SignOffRefused, signoff_create
from reviews.services.audit import audit_record
from reviews.services.lockout import (
    SITE_ADMINS_GROUP,
    check_signing_lockout_settings,
    signing_failure_after,
    signing_locked_until,
    signing_lockout_refusal_message,
)
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import PASSWORD, AdminUserFactory, ReviewerProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def refuse(user, at, code="wrong_password", action=AuditEvent.Action.SIGNATURE_FAILED):
    """Record a refused signature as the signing service does (the real audit function)."""
    return audit_record(
        action=action,
        actor=user,
        message="Signature refused: The password is not correct; nothing was signed.",
        data={"code": code, "decision": "approved"},
        now=at,
    )


def wrong_password(user, at) -> bool:
    """A wrong password at ``at``, then what the signing service calls right after it."""
    refuse(user, at)
    return signing_failure_after(user=user, now=at)


@pytest.fixture
def admin():
    return AdminUserFactory(email="ada.admin@example.org")


@pytest.fixture
def physician(admin):
    return ReviewerProfileFactory(printed_name="Jane Roe", credentials="DO", verified_by=admin)


@pytest.fixture
def locks():
    return AuditEvent.objects.filter(action=AuditEvent.Action.SIGNING_LOCKED)


def test_below_the_limit_signing_is_not_locked(
    physician, locks, django_capture_on_commit_callbacks
):
    user = physician.user
    with django_capture_on_commit_callbacks(execute=True):
        announced = [wrong_password(user, T + n * MINUTE) for n in range(4)]
    assert announced == [False] * 4
    assert signing_locked_until(user=user, now=T + 4 * MINUTE) is None
    assert not locks.exists()
    assert mail.outbox == []


def test_the_fifth_wrong_password_locks_for_15_minutes_from_it_announced_once(
    physician, admin, locks, django_capture_on_commit_callbacks
):
    user = physician.user
    group_admin = UserFactory(email="sam.siteadmin@example.org")
    group_admin.groups.add(Group.objects.get_or_create(name=SITE_ADMINS_GROUP)[0])
    UserFactory(email="former@example.org", is_superuser=True, is_active=False)
    UserFactory(email="", is_superuser=True)
    UserFactory(email="SAM.SITEADMIN@example.org", is_superuser=True)  # same inbox, once
    UserFactory(email="editor@example.org", is_staff=True)  # staff, not a site admin

    with django_capture_on_commit_callbacks(execute=True):
        announced = [wrong_password(user, T + n * MINUTE) for n in range(5)]

    assert announced == [False, False, False, False, True]
    until = T + 4 * MINUTE + timedelta(minutes=15)
    assert signing_locked_until(user=user, now=T + 5 * MINUTE) == until
    assert signing_locked_until(user=user, now=until - timedelta(seconds=1)) == until
    # Asked about a moment before the fifth failure, the answer ignores what came later.
    assert signing_locked_until(user=user, now=T + 3 * MINUTE) is None

    event = locks.get()
    assert event.actor == user
    assert event.at == T + 4 * MINUTE
    assert event.data == {"failures": 5, "locked_until": until.isoformat()}
    assert "Jane Roe, DO" in event.message and "09:19 (UTC)" in event.message

    [message] = mail.outbox
    assert message.subject == "Signing locked for Jane Roe, DO"
    # The physician first, then each site admin's inbox once (addresses ignore case).
    assert message.to[0] == user.email
    assert [address.lower() for address in message.to[1:]] == [
        "ada.admin@example.org",
        "sam.siteadmin@example.org",
    ]
    assert "incorrectly 5 times within 15 minutes" in message.body
    assert "Signing is possible again after 09:19 (UTC)" in message.body
    assert "If this was not you, tell a site administrator" in message.body

    # A sixth wrong password (had the service let one through) neither re-announces nor mails.
    with django_capture_on_commit_callbacks(execute=True):
        assert wrong_password(user, T + 6 * MINUTE) is False
    assert locks.count() == 1
    assert len(mail.outbox) == 1


def test_failures_older_than_the_window_do_not_count(physician):
    user = physician.user
    for n in range(4):
        refuse(user, T + n * MINUTE)
    # Exactly 15 minutes after the first, the first no longer counts: 4 within the window.
    assert wrong_password(user, T + 15 * MINUTE) is False
    assert signing_locked_until(user=user, now=T + 15 * MINUTE) is None
    # Half a minute later minutes 1, 2, 3, 15 and 15.5 are five within 15 minutes.
    fifth = T + 15 * MINUTE + timedelta(seconds=30)
    assert wrong_password(user, fifth) is True
    assert signing_locked_until(user=user, now=fifth) == fifth + 15 * MINUTE


def test_other_users_failures_and_other_refusals_do_not_count(physician, locks):
    user, colleague = physician.user, ReviewerProfileFactory().user
    for n in range(4):
        refuse(user, T + n * MINUTE)
    for n in range(5):
        refuse(colleague, T + n * MINUTE)
        refuse(user, T + n * MINUTE, code="not_attested")
        refuse(user, T + n * MINUTE, code="locked")
        refuse(user, T + n * MINUTE, action=AuditEvent.Action.TAMPER_DETECTED)
    now = T + 5 * MINUTE
    assert signing_locked_until(user=user, now=now) is None
    assert signing_failure_after(user=user, now=now) is False
    assert signing_locked_until(user=colleague, now=now) == T + 19 * MINUTE
    assert not locks.filter(actor=user).exists()


def test_when_the_lock_ends_the_physician_may_sign_and_has_five_tries_again(physician, locks):
    user = physician.user
    for n in range(5):
        wrong_password(user, T + n * MINUTE)
    until = T + 19 * MINUTE
    assert signing_locked_until(user=user, now=until) is None
    assert signing_locked_until(user=user, now=T + 2 * 60 * MINUTE) is None
    # The first mistake after the lock is the first of a new count.
    assert [wrong_password(user, until + n * MINUTE) for n in range(4)] == [False] * 4
    assert signing_locked_until(user=user, now=until + 4 * MINUTE) is None
    assert wrong_password(user, until + 5 * MINUTE) is True
    assert locks.count() == 2


def test_the_limit_and_the_minutes_come_from_settings(settings, physician):
    settings.SIGNING_FAILURE_LIMIT = 3
    settings.SIGNING_LOCKOUT_MINUTES = 60
    user = physician.user
    assert [wrong_password(user, T + n * 25 * MINUTE) for n in range(3)] == [False, False, True]
    assert signing_locked_until(user=user, now=T + 51 * MINUTE) == T + 110 * MINUTE
    assert AuditEvent.objects.get(action="signing_locked").data["failures"] == 3


def test_checking_the_lock_is_one_query(physician, django_assert_num_queries):
    for n in range(7):
        refuse(physician.user, T + n * MINUTE)
    with django_assert_num_queries(1):
        assert signing_locked_until(user=physician.user, now=T + 7 * MINUTE) is not None


@time_machine.travel(datetime(2026, 1, 15, 15, 30, tzinfo=UTC), tick=False)
def test_the_refusal_message_names_the_limit_and_the_local_time_rounded_up(settings):
    until = datetime(2026, 1, 15, 15, 41, 20, tzinfo=UTC)
    assert signing_lockout_refusal_message(until) == (
        "Signing is locked after 5 incorrect passwords. Try again after 15:42 (UTC), or ask a "
        "site administrator."
    )
    assert "after 15:41 (UTC)" in signing_lockout_refusal_message(until.replace(second=0))
    settings.TIME_ZONE = "America/Chicago"
    assert "Try again after 09:42 (CST)," in signing_lockout_refusal_message(until)
    settings.TIME_ZONE = "UTC"
    settings.SIGNING_FAILURE_LIMIT = 3
    tomorrow = datetime(2026, 1, 16, 0, 5, tzinfo=UTC)
    assert signing_lockout_refusal_message(tomorrow) == (
        "Signing is locked after 3 incorrect passwords. Try again after 16 January 2026 "
        "00:05 (UTC), or ask a site administrator."
    )


def test_a_login_without_a_reviewer_profile_is_named_by_username(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(username="jroe")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            wrong_password(user, T + n * MINUTE)
    assert mail.outbox[0].subject == "Signing locked for jroe"


def test_a_mail_failure_never_reaches_the_signing_service_and_the_mail_is_kept_to_retry(
    physician, locks, settings, django_capture_on_commit_callbacks
):
    from notifications.models import Notification
    from tests.mail import FAILING, FlakyBackend

    settings.MAILERS = FAILING
    FlakyBackend.failures = 1
    for n in range(4):
        refuse(physician.user, T + n * MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        assert wrong_password(physician.user, T + 4 * MINUTE) is True
    assert locks.count() == 1
    notification = Notification.objects.get(kind="lockout")
    assert notification.sent_at is None and "SMTPException" in notification.last_error
    assert mail.outbox == []


def test_the_site_admins_group_is_the_one_setup_site_creates():
    assert SITE_ADMINS_GROUP == SITE_ADMINS


@pytest.mark.parametrize("value", [0, -1, True, "5"])
@pytest.mark.parametrize(
    ("name", "error_id"),
    [("SIGNING_FAILURE_LIMIT", "reviews.E010"), ("SIGNING_LOCKOUT_MINUTES", "reviews.E011")],
)
def test_the_system_check_refuses_a_limit_that_would_lock_everyone_or_no_one(
    settings, name, error_id, value
):
    assert check_signing_lockout_settings() == []
    setattr(settings, name, value)
    assert [error.id for error in check_signing_lockout_settings()] == [error_id]


# --- Through the signing service ----------------------------------------------------------


def test_300_wrong_signing_passwords_then_locked_even_with_the_right_one_until_it_ends(
    locks, django_capture_on_commit_callbacks
):
    with time_machine.travel(T, tick=False) as clock:
        revision = revision_create(article=ArticleFactory(), user=EditorFactory())
        physician = ReviewerProfileFactory()

        def sign(password: str):
            return signoff_create(
                revision=revision,
                user=physician.user,
                password=password,
                decision=SignOff.Decision.APPROVED,
                attested=True,
                expected_hash=revision.content_hash,
            )

        def refusal_code(password: str) -> str:
            with pytest.raises(SignOffRefused) as refused:
                sign(password)
            return refused.value.code

        with django_capture_on_commit_callbacks(execute=True):
            codes = [refusal_code("wrong") for _ in range(300)]
        assert codes == ["wrong_password"] * 5 + ["locked"] * 295
        assert locks.count() == 1
        assert len(mail.outbox) == 1

        clock.shift(timedelta(minutes=14))
        assert refusal_code(PASSWORD) == "locked"
        clock.shift(timedelta(minutes=1, seconds=1))
        assert sign(PASSWORD).signer == physician.user
