"""Admin sign-in lockout (django-axes): guessing a password stops after a few tries, per address."""

import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse

from tests.factories.reviews import PASSWORD, AdminUserFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. For your security this account is locked for 15 minutes "
    "from this address. Try again later or ask a site administrator."
)
HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.20"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"


def sign_in(client, username, password, address=HOME, **headers):
    """One POST to the admin login form, as a browser at ``address`` sends it."""
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
        **headers,
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("admin:index")


@pytest.fixture
def password_checks():
    """Counts real password checks (ModelBackend reaching `check_password`)."""
    user_model = get_user_model()
    with mock.patch.object(
        user_model, "check_password", autospec=True, side_effect=user_model.check_password
    ) as spy:
        yield spy


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_300_wrong_passwords_check_only_5_then_lock_even_the_right_one_until_the_cool_off(
    client, password_checks, clock
):
    """A guessing loop gets five password checks; then 429s, and the real password waits too."""
    user = AdminUserFactory()
    responses = [sign_in(client, user.username, f"guess-{n}") for n in range(300)]

    statuses = [response.status_code for response in responses]
    assert 500 not in statuses
    assert password_checks.call_count == 5
    # The first four get the login form back with its error; the fifth failure locks at once.
    assert statuses[:4] == [200] * 4
    assert all(status == 429 for status in statuses[4:])
    assert LOCKED_MESSAGE in responses[5].content.decode()
    assert LOCKED_MESSAGE in responses[-1].content.decode()

    # While locked the correct password is not even checked.
    clock.shift(timedelta(minutes=14))
    refused = sign_in(client, user.username, PASSWORD)
    assert refused.status_code == 429
    assert password_checks.call_count == 5
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in

    # Every attempt while locked restarts the wait: 15 minutes after the last one it opens.
    clock.shift(timedelta(minutes=14))
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=15, seconds=1))
    assert signed_in(sign_in(client, user.username, PASSWORD))
    assert client.get(reverse("admin:index")).status_code == 200
    # A success clears the counter (AXES_RESET_ON_SUCCESS): the next mistake starts from one.
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_the_lockout_page_is_a_429_in_the_admins_look(client):
    user = AdminUserFactory()
    for n in range(5):
        response = sign_in(client, user.username, f"wrong-{n}")
    assert response.status_code == 429
    # The login view rendered its form; axes' middleware replaced the answer with this page.
    assert "admin/lockout.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert LOCKED_MESSAGE in page
    assert "Health pages: editorial admin" in page
    assert "admin/css/base.css" in page
    # Under /admin/, so it carries the admin's CSP like every other admin page.
    assert "Content-Security-Policy" in response.headers


def test_the_limit_and_the_minutes_come_from_settings(client, settings, password_checks):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=40)
    user = AdminUserFactory()
    statuses = [sign_in(client, user.username, "wrong").status_code for _ in range(10)]
    assert statuses == [200, 200] + [429] * 8
    assert password_checks.call_count == 3
    page = sign_in(client, user.username, PASSWORD).content.decode()
    assert "locked for 40 minutes from this address" in page


def test_the_same_user_from_another_address_is_not_locked(client):
    user = AdminUserFactory()
    for _ in range(6):
        sign_in(client, user.username, "wrong", address=HOME)
    assert sign_in(client, user.username, PASSWORD, address=HOME).status_code == 429

    # A wrong password elsewhere is an ordinary failure, and the right one signs in.
    assert sign_in(client, user.username, "wrong", address=ELSEWHERE).status_code == 200
    assert signed_in(sign_in(client, user.username, PASSWORD, address=ELSEWHERE))


def test_another_username_from_the_same_address_is_not_locked(client):
    victim, colleague = AdminUserFactory(), AdminUserFactory()
    for _ in range(6):
        sign_in(client, victim.username, "wrong")
    assert sign_in(client, victim.username, PASSWORD).status_code == 429
    assert signed_in(sign_in(client, colleague.username, PASSWORD))


def test_attempts_are_recorded_for_site_admins_without_the_passwords(client):
    user = UserFactory(is_staff=True)
    for n in range(7):
        sign_in(client, user.username, f"secret-guess-{n}")

    attempt = AccessAttempt.objects.get(username=user.username, ip_address=HOME)
    # Attempts made while locked count too: they are what restarts the cool-off.
    assert attempt.failures_since_start == 7
    assert "secret-guess" not in attempt.post_data
    failures = AccessFailureLog.objects.filter(username=user.username).order_by("attempt_time")
    assert [f.locked_out for f in failures] == [False] * 4 + [True] * 3
    assert {f.ip_address for f in failures} == {HOME}

    admin = AdminUserFactory()
    client.force_login(admin)
    attempts_page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts_page.status_code == 200
    assert user.username in attempts_page.content.decode()
    failures_page = client.get(reverse("admin:axes_accessfailurelog_changelist"))
    assert user.username in failures_page.content.decode()


def test_a_successful_sign_in_is_logged_and_clears_the_count_of_failures(client):
    """Four typos, a success, then four more typos: nobody is locked (AXES_RESET_ON_SUCCESS)."""
    user = AdminUserFactory()
    assert [sign_in(client, user.username, "typo").status_code for _ in range(4)] == [200] * 4
    assert signed_in(sign_in(client, user.username, PASSWORD))
    assert AccessLog.objects.filter(username=user.username, ip_address=HOME).count() == 1
    client.logout()
    assert [sign_in(client, user.username, "typo").status_code for _ in range(4)] == [200] * 4
    assert sign_in(client, user.username, "typo").status_code == 429


def test_without_a_proxy_a_forged_x_forwarded_for_does_not_give_a_fresh_address(client):
    """Off DJANGO_BEHIND_PROXY the header is the client's own words: REMOTE_ADDR decides."""
    user = AdminUserFactory()
    statuses = [
        sign_in(client, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(6)
    ]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def _apply_address_settings(settings, monkeypatch, *, behind_proxy: str) -> None:
    """Evaluate config/settings.py with DJANGO_BEHIND_PROXY set, and use its address settings."""
    monkeypatch.setenv("DJANGO_BEHIND_PROXY", behind_proxy)
    computed = runpy.run_path(str(SETTINGS_FILE))
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = computed["AXES_IPWARE_META_PRECEDENCE_ORDER"]
    settings.AXES_IPWARE_PROXY_ORDER = computed.get("AXES_IPWARE_PROXY_ORDER", "left-most")
    settings.AXES_IPWARE_PROXY_COUNT = computed.get("AXES_IPWARE_PROXY_COUNT")
    settings.IPWARE_STRICT = computed.get("IPWARE_STRICT")


def test_behind_the_proxy_the_address_it_appended_is_the_client(client, settings, monkeypatch):
    """The right-most X-Forwarded-For entry counts; forged entries before it change nothing."""
    _apply_address_settings(settings, monkeypatch, behind_proxy="1")
    proxy = "10.0.0.2"
    user = AdminUserFactory()
    statuses = [
        sign_in(
            client,
            user.username,
            "wrong",
            address=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {HOME}",
        ).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 4 + [429] * 2
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}

    # Another reader behind the same proxy is another address, so it is not locked.
    other = sign_in(client, user.username, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert signed_in(other)


def test_off_the_proxy_setting_the_address_is_remote_addr_only(settings, monkeypatch):
    _apply_address_settings(settings, monkeypatch, behind_proxy="0")
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)


def test_authenticate_without_a_request_is_refused_so_tests_pass_one_or_force_login(client):
    """
    Axes must see the request to count a failure; Client.login() sends none and is refused.

    Tests sign in with `force_login()`, or `client.login(request=HttpRequest(), ...)`; the
    login views always pass the request.
    """
    user = AdminUserFactory()
    with pytest.raises(ValueError, match="requires a request"):
        client.login(username=user.username, password=PASSWORD)
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_the_password_change_form_counts_wrong_passwords_with_the_signing_lockout(client):
    """A stolen session cannot guess a physician's password on the change-password form."""
    from reviews.models import AuditEvent
    from tests.factories.reviews import PASSWORD, ReviewerProfileFactory

    physician = ReviewerProfileFactory(user__is_staff=True)
    client.force_login(physician.user)
    url = reverse("admin:password_change")
    new = "N3w-pass-2026!"
    wrong = {"old_password": "guess", "new_password1": new, "new_password2": new}
    for _ in range(5):
        assert client.post(url, wrong).status_code == 200
    assert AuditEvent.objects.filter(action="signing_locked", actor=physician.user).exists()
    # Locked now: even the right current password is refused, and nothing changes.
    right = {**wrong, "old_password": PASSWORD}
    response = client.post(url, right, follow=True)
    assert "Signing is locked" in response.text
    physician.user.refresh_from_db()
    assert physician.user.check_password(PASSWORD)
