"""
Settings of the app server that `test_varnish.py` runs behind a real Varnish: the production
settings, read from the environment as `make serve` sets it (DEBUG off), with two test-only
changes: the test pages of `http_cache_urls` beside the real site, and static files named
without a manifest (no collectstatic in a test).
"""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

ROOT_URLCONF = "tests.public.http_cache_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Seeding signs as several physicians, each re-entering a password: hashing at full strength
# would cost seconds, and the algorithm is not under test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
