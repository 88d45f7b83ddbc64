"""The ground every feature stands on: database, health endpoint, security headers."""

import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_suite_runs_on_the_database_the_test_script_selected():
    """`make test` runs the suite twice; each run must really be on the vendor it claims."""
    expected = os.environ.get("TEST_EXPECT_DB_VENDOR")
    if not expected:
        pytest.skip("run outside scripts/test.sh: no vendor was selected")
    assert connection.vendor == expected
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) >= 150000


@pytest.mark.django_db
def test_healthz_reports_a_reachable_database(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "vendor": connection.vendor}


@pytest.mark.django_db
def test_healthz_returns_503_json_when_the_database_is_unreachable(client):
    """Connecting fails as it does with the server down: the answer is JSON, no traceback."""
    with mock.patch.object(
        connection,
        "ensure_connection",
        side_effect=OperationalError("could not connect to server"),
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "unavailable"
    assert "Traceback" not in response.content.decode()
    assert "could not connect" not in response.content.decode()


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.strip().split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_public_pages_get_a_strict_csp_without_unsafe_inline(client):
    response = client.get(reverse("healthz"))
    policy = _csp_directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_admin_gets_the_relaxed_csp_ckeditor_needs(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    policy = _csp_directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    # Relaxed for CKEditor only, not opened to other origins.
    assert policy["object-src"] == ["'none'"]
    assert all(source in {"'self'", "'unsafe-inline'"} for source in policy["script-src"])


@pytest.mark.django_db
def test_security_headers_are_set(client):
    response = client.get(reverse("healthz"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-like-secret-key-" + "x7Qp2" * 10,
    "DJANGO_ALLOWED_HOSTS": "health.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://health.example.org",
    "DATABASE_URL": "",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.org",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def _run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_only_warnings_the_readme_explains():
    """Every warning `check --deploy` gives with production settings is explained in README."""
    result = _run_manage("check", "--deploy", "--fail-level", "ERROR", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "ERRORS:" not in output
    warning_ids = set(re.findall(r"\(([\w.]+\.W\d{3})\)", output))
    readme = (ROOT / "README.md").read_text()
    unexplained = {wid for wid in warning_ids if f"`{wid}`" not in readme}
    assert not unexplained, f"check --deploy warnings not explained in README: {unexplained}"
    # The known HTTPS checks are satisfied, not merely explained.
    for satisfied in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert satisfied not in warning_ids


def test_missing_secret_key_with_debug_off_is_a_clear_start_up_error():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}
    result = _run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "required when DJANGO_DEBUG is off" in result.stderr


def test_no_signing_key_with_debug_off_is_a_clear_start_up_error(tmp_path):
    """Production never runs without the signing key held outside the database."""
    env = {**PRODUCTION_ENV, "SIGNING_KEY": "", "SIGNING_KEY_FILE": ""}
    result = _run_manage("check", env=env)
    assert result.returncode != 0
    assert "No signing key: SIGNING_KEY_FILE (or SIGNING_KEY) is required" in result.stderr
    missing = {**env, "SIGNING_KEY_FILE": str(tmp_path / "absent.pem")}
    result = _run_manage("check", env=missing)
    assert result.returncode != 0 and "names no readable file" in result.stderr
    key_file = tmp_path / "signing.pem"
    created = _run_manage(
        "signing_key_create", str(key_file), env={**env, "DJANGO_DEBUG": "1"}
    )
    assert created.returncode == 0, created.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert _run_manage("check", env={**env, "SIGNING_KEY_FILE": str(key_file)}).returncode == 0
    again = _run_manage("signing_key_create", str(key_file), env={**env, "DJANGO_DEBUG": "1"})
    assert again.returncode != 0 and "never overwritten" in again.stderr


def test_every_setting_read_from_the_environment_is_documented_in_env_example():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r"env_(?:bool|list|int)\(\s*\"([A-Z_]+)\"", settings_source))
    names |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z_]+)\"", settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert names - documented == set()

