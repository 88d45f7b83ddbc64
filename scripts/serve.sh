#!/usr/bin/env bash
# Serve the site as production would: gunicorn, DEBUG off, compressed hashed static files.
# Listens on loopback only. Plain HTTP on loopback, so HTTPS hardening is turned off here
# (DJANGO_HTTPS=0); a real deployment sits behind TLS and leaves it on (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export DJANGO_DEBUG=0
# A local trial runs no task worker: e-mails are sent at once (production runs `db_worker`).
export TASKS_IMMEDIATE="${TASKS_IMMEDIATE:-1}"
export DJANGO_HTTPS="${DJANGO_HTTPS:-0}"
export DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}"
if [[ -z "${DJANGO_SECRET_KEY:-}" ]] && ! grep -qs '^DJANGO_SECRET_KEY=.' .env; then
  echo "DJANGO_SECRET_KEY is not set: using a random key for this run (logins end on restart)."
  DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
  export DJANGO_SECRET_KEY
fi

if [[ -z "${SIGNING_KEY_FILE:-}" && -z "${SIGNING_KEY:-}" ]] && ! grep -qs '^SIGNING_KEY' .env; then
  # A local trial only: a real deployment keeps its key outside the repository (see README).
  echo "SIGNING_KEY_FILE is not set: using the development key in var/keys/ for this run."
  DJANGO_DEBUG=1 .venv/bin/python manage.py signing_key_create var/keys/signing-dev.pem --if-missing
  export SIGNING_KEY_FILE="$PWD/var/keys/signing-dev.pem"
fi

.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py collectstatic --no-input --verbosity 0
# Several workers need a cache they share (REDIS_URL) for the rate limits to hold: without one,
# one worker (deploy/gunicorn.conf.py refuses more).
if [[ -z "${WEB_CONCURRENCY:-}" ]]; then
  if [[ -n "${REDIS_URL:-}" ]] || grep -qs '^REDIS_URL=.' .env; then WEB_CONCURRENCY=2; else WEB_CONCURRENCY=1; fi
  export WEB_CONCURRENCY
fi
exec .venv/bin/gunicorn config.wsgi -c deploy/gunicorn.conf.py --bind "127.0.0.1:${PORT:-8000}"
