"""
The W3C Nu HTML checker (vnu.jar from package.json), run once over many documents.

Starting the JVM costs a second or two, so tests gather every page first and check them in a
single run. `make test` installs the checker; run `npm install --ignore-scripts` by hand otherwise.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_check(documents: dict[str, str]) -> dict[str, list[str]]:
    """
    Check HTML documents; return the error messages of each, keyed by the given name.

    Warnings and info messages are ignored; errors (including fatal ones) are returned as
    "line N: message" strings. A document with no errors maps to an empty list.
    """
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.fail("The Nu HTML checker needs java and node_modules/vnu-jar (run `make test`).")
    errors: dict[str, list[str]] = {name: [] for name in documents}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for index, (name, html) in enumerate(documents.items()):
            path = Path(tmp) / f"page{index}.html"
            path.write_text(html, encoding="utf-8")
            paths[path.resolve().as_uri()] = name
        result = subprocess.run(
            [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *[
                str(Path(tmp) / f"page{i}.html") for i in range(len(documents))
            ]],
            capture_output=True,
            text=True,
            timeout=300,
        )
    report = json.loads(result.stdout or "{}")
    for message in report.get("messages", []):
        if message.get("type") not in {"error", "non-document-error"} and message.get(
            "subType"
        ) != "fatal":
            continue
        url = message.get("url", "")
        name = paths.get(url) or paths.get(url.replace("file:/", "file:///", 1), url)
        errors.setdefault(name, []).append(
            f"line {message.get('lastLine', '?')}: {message.get('message', '').strip()}"
        )
    return errors
