#!/usr/bin/env bash
# Create .venv with Python 3.12 if missing and install the project into it.
# Usage: scripts/bootstrap.sh [--dev]   (--dev also installs the test and lint tools)
# Installs again only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=""
[[ "${1:-}" == "--dev" ]] && extra="[dev]"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.12 2>/dev/null)/bin/python" python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [[ ! -x .venv/bin/python ]]; then
  python=$(find_python) || {
    echo "Python 3.12 is required (see .python-version). Install it (e.g. pyenv install 3.12) and retry." >&2
    exit 1
  }
  echo "Creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi

stamp=".venv/.installed${extra:+-dev}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
  echo "Installing the project${extra:+ with the dev extra} into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
  touch "$stamp"
fi
