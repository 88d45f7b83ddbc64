"""
A pytest plugin for `make mutation` only (loaded by `[tool.mutmut] pytest_add_cli_args`): the
SQLite test database is migrated once per mutation run, not once per mutant.

mutmut runs pytest once for every mutant, and building the test database from the migrations
costs seconds each time, more than most mutants' tests. Here the first session migrates a
database file and keeps a copy of it (the template, named after a hash of the migrations);
every later session starts from its own copy of the template (`--reuse-db` keeps Django from
building it again) and deletes it when it ends. Same engine, same schema and triggers, same
rows seeded by the migrations. The tests that run the W3C HTML checker are left out: it needs
a JVM and node_modules/, which mutants/ does not have, and valid HTML is not what the mutated
modules decide. The normal suite (`make test`) never loads this plugin.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

DIRECTORY = Path(".mutation-db")


def _migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path().glob("*/migrations/*.py")):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _template() -> Path:
    return DIRECTORY / f"template-{_migrations_hash()}.sqlite3"


def _own_database() -> Path:
    return DIRECTORY / f"session-{os.getpid()}.sqlite3"


def _calls(code, name: str) -> bool:
    """Whether `code` (or a function or comprehension defined in it) refers to `name`."""
    return name in code.co_names or any(
        _calls(const, name) for const in code.co_consts if hasattr(const, "co_names")
    )


def pytest_collection_modifyitems(config, items):
    checker = [
        item
        for item in items
        if hasattr(item, "function") and _calls(item.function.__code__, "nu_check")
    ]
    if checker:
        config.hook.pytest_deselected(items=checker)
        items[:] = [item for item in items if item not in checker]


def pytest_configure(config):
    if not config.getoption("reuse_db"):
        raise pytest.UsageError("tests.mutation_db needs --reuse-db (see pyproject.toml).")


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    from django.db import connections

    if connections["default"].vendor != "sqlite":
        raise pytest.UsageError("tests.mutation_db is for SQLite (DATABASE_URL unset).")
    DIRECTORY.mkdir(exist_ok=True)
    own, template = _own_database(), _template()
    own.unlink(missing_ok=True)
    if template.exists():
        shutil.copyfile(template, own)
    # Absent, the session migrates it from scratch and `_keep_template` saves the result.
    connections["default"].settings_dict["TEST"]["NAME"] = str(own.resolve())


@pytest.fixture(scope="session", autouse=True)
def _keep_template(django_db_setup):
    """Right after the database is built, before any test touches it: save it as the template."""
    template = _template()
    if not template.exists():
        partial = template.with_suffix(f".{os.getpid()}.partial")
        source, copy = sqlite3.connect(_own_database()), sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        os.replace(partial, template)


def pytest_sessionfinish(session):
    _own_database().unlink(missing_ok=True)
