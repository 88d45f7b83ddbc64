"""
Test settings: the real settings with what tests need changed, nothing more.

DATABASE_URL picks the database exactly as in production (unset: SQLite), so the same suite
runs on SQLite and on PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")

from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES  # noqa: E402

# Hashing passwords at full strength makes the suite slow; the algorithm is not under test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before tests: serve from the finders with plain storage.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PUBMED_EMAIL = "tests@example.invalid"
# Persistent connections from live_server threads would keep the test database open at
# teardown on PostgreSQL.
for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = 0
