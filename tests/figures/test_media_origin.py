"""A separate media origin: figure addresses use it, and the CSP's img-src allows exactly it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from articles.publishing.presentation import figure_html
from tests.figures.conftest import make_figure

ROOT = Path(__file__).resolve().parents[2]
PRINT_CSP = (
    "import json; from config import settings_test as s; "
    "print(json.dumps([s.SECURE_CSP['img-src'], s.ADMIN_CSP['img-src']]))"
)


def _settings_with(origin: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FIGURES_MEDIA_ORIGIN"}
    return subprocess.run(
        [sys.executable, "-c", PRINT_CSP],
        cwd=ROOT,
        env={**env, "FIGURES_MEDIA_ORIGIN": origin},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_csp_allows_the_configured_media_origin_exactly_and_nothing_by_default():
    default = _settings_with("")
    assert json.loads(default.stdout) == [["'self'", "data:"], ["'self'", "data:", "blob:"]]
    cdn = _settings_with("https://media.example.org/")
    assert json.loads(cdn.stdout) == [
        ["'self'", "data:", "https://media.example.org"],
        ["'self'", "data:", "https://media.example.org", "blob:"],
    ]
    wrong = _settings_with("https://media.example.org/figures")
    assert wrong.returncode != 0
    assert "FIGURES_MEDIA_ORIGIN must be an origin" in wrong.stderr


@pytest.mark.django_db
def test_figure_addresses_use_the_media_origin(settings):
    figure = make_figure()
    settings.FIGURES_MEDIA_ORIGIN = "https://media.example.org"
    html = figure_html(figure.snapshot())
    assert 'src="https://media.example.org/figures/' in html
    assert 'src="/figures/' not in html and " /figures/" not in html
