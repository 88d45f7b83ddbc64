# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test serve lint bench mutation venv clean

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

# Mutation testing of the modules that decide what the public sees and who may sign
# (docs/mutation.md): a clean mutmut run on SQLite with MUTATION_CHILDREN workers, then the
# figures and the survivors; fails below 90% killed. Not part of `make test` (about half an hour).
MUTATION_CHILDREN ?= 2
mutation:
	@scripts/bootstrap.sh --dev
	@rm -rf mutants
	@DATABASE_URL= $(VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN)
	@$(PY) scripts/mutation_report.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache mutants
