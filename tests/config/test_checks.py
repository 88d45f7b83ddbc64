"""The project's deployment checks (config/checks.py): quiet misconfiguration speaks up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config.checks import check_pubmed_email, check_shared_cache

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
