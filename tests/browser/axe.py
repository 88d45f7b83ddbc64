"""axe-core (from package.json) in a Playwright page: WCAG 2.1 AA checks."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """
    Run axe-core on the page and return the violations of the given impacts.

    The page must come from a browser context created with `bypass_csp=True`: the public
    pages' CSP forbids injected scripts, which is exactly what axe is.
    """
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make test` (it installs package.json's tools).")
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]
