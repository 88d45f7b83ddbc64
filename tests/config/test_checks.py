"""The project's deployment checks (config/checks.py): quiet misconfiguration speaks up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config.checks import check_passkey_origin, check_pubmed_email, check_shared_cache

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_an_empty_pubmed_email_is_a_warning(settings):
    settings.PUBMED_EMAIL = "  "
    (warning,) = check_pubmed_email()
    assert warning.id == "healthpages.W001" and "PUBMED_EMAIL is empty" in warning.msg
    settings.PUBMED_EMAIL = "editors@example.org"
    assert check_pubmed_email() == []


def test_passkeys_without_the_sites_domain_are_a_deploy_warning(settings):
    settings.WEBAUTHN_RP_ID, settings.WEBAUTHN_ORIGIN = "", ""
    (warning,) = check_passkey_origin()
    assert warning.id == "healthpages.W002"
    settings.WEBAUTHN_RP_ID, settings.WEBAUTHN_ORIGIN = (
        "health.example.org",
        "http://health.example.org",
    )
    assert [w.id for w in check_passkey_origin()] == ["healthpages.W002"]  # not HTTPS
    settings.WEBAUTHN_ORIGIN = "https://health.example.org"
    assert check_passkey_origin() == []


@pytest.mark.django_db
def test_several_workers_on_a_process_local_cache_are_refused(settings, monkeypatch):
    settings.CACHES = LOCMEM
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    (error,) = check_shared_cache()
    assert error.id == "healthpages.E001"
    assert "3 web workers" in error.msg and "REDIS_URL" in error.msg
    # It stops management commands that run checks, as `make serve`'s migrate.
    try:
        call_command("check")
    except SystemCheckError as refused:
        assert "healthpages.E001" in str(refused)
    else:
        raise AssertionError("manage.py check passed with 3 workers on local memory")


def test_one_worker_or_a_shared_cache_is_fine(settings, monkeypatch):
    settings.CACHES = LOCMEM
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert check_shared_cache() == []
    settings.CACHES = REDIS
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert check_shared_cache() == []
