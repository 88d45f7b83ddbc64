"""
Settings of the gunicorn servers that `test_withdrawal_servers.py` starts: the production
settings, read from the environment as `make serve` sets it (DEBUG off; CACHES local memory, or
Redis when REDIS_URL is set), with one test-only change: static files named without a manifest
(no collectstatic in a test).
"""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
