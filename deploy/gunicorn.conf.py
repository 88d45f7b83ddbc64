"""
gunicorn settings for this site (`make serve` uses them; so should production):

    gunicorn config.wsgi -c deploy/gunicorn.conf.py --bind 127.0.0.1:8000

The worker timeout stays above PUBMED_SAVE_DEADLINE (8 s by default), so an editor's save that
waits for PubMed ends with a message, never with a killed worker. gunicorn runs no Django system
checks, so the one that matters at start-up runs here: several workers on a process-local cache
would each count readers' reports and PubMed requests alone (config/checks.py).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
timeout = 30
graceful_timeout = 10
accesslog = "-"


def on_starting(server):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from config.checks import shared_cache_problem

    deadline = int(getattr(settings, "PUBMED_SAVE_DEADLINE", 8))
    if deadline >= server.cfg.timeout:
        raise RuntimeError(
            f"PUBMED_SAVE_DEADLINE ({deadline} s) must be shorter than the worker timeout "
            f"({server.cfg.timeout} s)."
        )
    problem = shared_cache_problem(server.cfg.workers)
    if problem:
        server.log.error("Refusing to start: %s", problem)
        raise RuntimeError(problem)
