# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test serve lint bench venv clean

# Create .venv with Python 3.12 and install the package (and the dev extra for tests).
venv:
	@scripts/bootstrap.sh

# Development site on http://127.0.0.1:8000/ with SQLite, demo content and demo logins.
run:
	@scripts/bootstrap.sh
	@DJANGO_DEBUG=1 $(PY) manage.py signing_key_create var/keys/signing-dev.pem --if-missing
	@DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	@DJANGO_DEBUG=1 $(PY) manage.py setup_site --demo
	@DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# Lint, then the whole suite on SQLite and on a throwaway PostgreSQL 15 cluster.
test:
	@scripts/test.sh

# Production-style serving: gunicorn, DEBUG off, collected static files, on loopback.
serve:
	@scripts/serve.sh

lint:
	@scripts/bootstrap.sh --dev
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports

bench:
	@scripts/bootstrap.sh --dev
	@$(PY) bench/bench_parse.py
	@$(PY) bench/bench_public.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
