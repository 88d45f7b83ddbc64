#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. install the dev extra into .venv, and Chromium / PostgreSQL / Java / Varnish with apt
#      if missing;
#   2. ruff check;
#   3. pytest on SQLite;
#   4. pytest on PostgreSQL: DATABASE_URL when the caller set one, otherwise a throwaway
#      PostgreSQL 15 cluster started here on a free loopback port and removed afterwards,
#      also when tests fail or the run is interrupted. In the throwaway cluster the suite runs
#      as production does (docs/database-roles.md): the owner (the cluster's superuser)
#      creates and migrates the test database, and the tests connect as the restricted role
#      healthpages_app, which owns nothing and cannot switch the append-only triggers off.
# Extra arguments are passed to both pytest runs (e.g. `scripts/test.sh -x tests/articles`).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $*" >&2; return 1; fi
}

apt_updated=0
apt_install() {
  if [[ $apt_updated -eq 0 ]]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- 1. dependencies -----------------------------------------------------------------------
scripts/bootstrap.sh --dev

if [[ ! -x /usr/bin/chromium ]]; then
  log "Installing Debian's Chromium for the browser tests"
  apt_install chromium
fi
if ! command -v java >/dev/null; then
  log "Installing a Java runtime for the HTML checker"
  apt_install default-jre-headless
fi
if ! command -v npm >/dev/null; then
  log "Installing Node.js and npm for the HTML checker and axe-core"
  apt_install nodejs npm
fi
if [[ ! -f node_modules/vnu-jar/build/dist/vnu.jar || ! -f node_modules/axe-core/axe.min.js \
      || package.json -nt node_modules ]]; then
  log "Installing the Nu HTML checker and axe-core (package.json)"
  # Exact versions are pinned in package.json; install scripts are skipped because the jar
  # ships in the package and the checker needs nothing downloaded.
  npm install --no-package-lock --no-audit --no-fund --ignore-scripts --silent
  touch node_modules
fi
# The Varnish test (tests/public/test_varnish.py) runs Debian's varnishd with the xkey vmod.
if ! command -v varnishd >/dev/null && [[ ! -x /usr/sbin/varnishd ]] \
    || ! compgen -G "/usr/lib/*/varnish/vmods/libvmod_xkey.so" >/dev/null; then
  log "Installing Varnish and varnish-modules (xkey) for the shared-cache tests"
  apt_install varnish varnish-modules
fi
# The withdrawal test (tests/public/test_withdrawal_servers.py) runs Debian's redis-server.
if ! command -v redis-server >/dev/null; then
  log "Installing Redis for the two-server withdrawal test"
  apt_install redis-server
fi
pg_bin=""
find_pg_bin() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
}
if [[ -z "${DATABASE_URL:-}" ]]; then
  find_pg_bin
  if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
    log "Installing PostgreSQL"
    apt_install postgresql
    find_pg_bin
  fi
fi

export DJANGO_ALLOW_ASYNC_UNSAFE=true  # Playwright's sync API with pytest-django's live_server
PYTEST=(.venv/bin/pytest -p no:cacheprovider)

# --- 2. lint -------------------------------------------------------------------------------
log "ruff check"
.venv/bin/ruff check .
log "lint-imports (imports flow one way: pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports

# --- 3. SQLite -----------------------------------------------------------------------------
external_db="${DATABASE_URL:-}"
# Both runs always happen; the script fails if either did. With two or more CPUs the SQLite
# pass runs in the background while PostgreSQL starts and its pass runs (the two share
# nothing: every server a test starts takes a free loopback port); its output is printed when
# both have ended. TEST_PASSES_IN_SEQUENCE=1 runs them one after the other.
sqlite_status=0
sqlite_log=""
sqlite_pid=""
run_sqlite() {
  DATABASE_URL="" TEST_DB_OWNER_URL="" TEST_EXPECT_APP_ROLE="" TEST_EXPECT_DB_VENDOR=sqlite \
    "${PYTEST[@]}" "$@"
}
if [[ "${TEST_PASSES_IN_SEQUENCE:-0}" != 1 && $(nproc 2>/dev/null || echo 1) -ge 2 ]]; then
  sqlite_log=$(mktemp /tmp/healthpages-sqlite.XXXXXX)
  log "pytest on SQLite, in the background (output follows the PostgreSQL pass)"
  run_sqlite "$@" >"$sqlite_log" 2>&1 &
  sqlite_pid=$!
  # An interrupted or failed script does not leave the background pass running.
  trap 'stop_sqlite' EXIT
  trap 'exit 130' INT TERM
else
  log "pytest on SQLite"
  run_sqlite "$@" || sqlite_status=$?
fi

stop_sqlite() {
  if [[ -n "$sqlite_pid" ]] && kill -0 "$sqlite_pid" 2>/dev/null; then
    kill "$sqlite_pid" 2>/dev/null || true
  fi
  [[ -z "$sqlite_log" ]] || rm -f "$sqlite_log"
}

finish() {
  local pg_status=$1
  if [[ -n "$sqlite_pid" ]]; then
    wait "$sqlite_pid" || sqlite_status=$?
    log "pytest on SQLite (ran in the background)"
    cat "$sqlite_log"
    sqlite_pid=""
  fi
  log "Results: SQLite exit $sqlite_status, PostgreSQL exit $pg_status"
  if [[ $sqlite_status -ne 0 || $pg_status -ne 0 ]]; then exit 1; fi
  exit 0
}

# --- 4. PostgreSQL -------------------------------------------------------------------------
if [[ -n "$external_db" ]]; then
  log "pytest on PostgreSQL (DATABASE_URL from the environment)"
  pg_status=0
  DATABASE_URL="$external_db" TEST_EXPECT_DB_VENDOR=postgresql "${PYTEST[@]}" "$@" || pg_status=$?
  finish $pg_status
fi

cluster=$(mktemp -d /tmp/healthpages-pg.XXXXXX)
pg_user=$(id -un)
run_pg() { "$@"; }
if [[ $(id -u) -eq 0 ]]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  pg_user=postgres
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown postgres "$cluster"
  run_pg() { runuser -u postgres -- "$@"; }
fi

stop_cluster() {
  if [[ -f "$cluster/data/postmaster.pid" ]]; then
    run_pg "$pg_bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$cluster"
  stop_sqlite
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "Starting a throwaway PostgreSQL ($("$pg_bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port"
run_pg "$pg_bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
pg_options="-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
run_pg "$pg_bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 -o "$pg_options" \
  start >/dev/null
# The outage test (tests/public/test_faults_servers.py) stops this cluster mid-test and starts
# it again with the same options.
export TEST_PG_CTL_BIN="$pg_bin" TEST_PG_CTL_DATA="$cluster/data" TEST_PG_CTL_USER="$pg_user" \
  TEST_PG_CTL_LOG="$cluster/server.log" TEST_PG_CTL_OPTIONS="$pg_options"

# The application role: it may log in and nothing more; tests/conftest.py has the owner
# grant it what production grants (db_grant_app_role), plus TRUNCATE for the test flushes.
app_role=healthpages_app
"$pg_bin/psql" "postgres://postgres@127.0.0.1:$port/postgres" -q -v ON_ERROR_STOP=1 -c \
  "CREATE ROLE $app_role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"

log "pytest on PostgreSQL (as $app_role; the test database made by its owner)"
pg_status=0
DATABASE_URL="postgres://$app_role@127.0.0.1:$port/postgres" \
  TEST_DB_OWNER_URL="postgres://postgres@127.0.0.1:$port/postgres" \
  TEST_EXPECT_APP_ROLE="$app_role" TEST_EXPECT_DB_VENDOR=postgresql \
  "${PYTEST[@]}" "$@" || pg_status=$?
finish $pg_status
