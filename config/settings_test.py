"""
Test settings: the real settings with what tests need changed, nothing more.

DATABASE_URL picks the database exactly as in production (unset: SQLite), so the same suite
runs on SQLite and on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
if not os.environ.get("SIGNING_KEY") and not os.environ.get("SIGNING_KEY_FILE"):
    # A fresh Ed25519 key for each test run, held in memory only (as production holds its key
    # outside the database).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    os.environ["SIGNING_KEY"] = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )

from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES  # noqa: E402

# Hashing passwords at full strength makes the suite slow; the algorithm is not under test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before tests: serve from the finders with plain storage.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Figure files a test uploads go to a throwaway folder, never into the working tree.
    "figures": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="figures-tests-"), "base_url": None},
    },
}
# Notifications are sent at once in tests; the worker's retries are tested with the database
# queue explicitly (tests/notifications).
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# django-axes stays on, configured as in production, so the lockout is tested for real. Its
# backend needs the request, which `Client.login()` does not pass (axes then raises
# "requires a request"): tests sign in with `client.force_login(user)`, or with
# `client.login(request=HttpRequest(), ...)`, or by posting the login form.
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PUBMED_EMAIL = "tests@example.invalid"
# No test reaches NCBI or Crossref: a client a test forgot to replace is refused at once by the
# discard port on loopback instead of asking the internet.
PUBMED_EFETCH_URL = os.environ.get("PUBMED_EFETCH_URL", "http://127.0.0.1:9/efetch.fcgi")
CROSSREF_WORKS_URL = os.environ.get("CROSSREF_WORKS_URL", "http://127.0.0.1:9/works/")
# Persistent connections from live_server threads would keep the test database open at
# teardown on PostgreSQL.
for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = 0

# Tests that exercise the log head written outside the database point this at a temporary file.
SIGNOFF_LOG_HEAD_FILE = ""
