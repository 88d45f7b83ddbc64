"""
The figures of the last mutation run (`make mutation`), per module and overall, and the
surviving mutants, read from mutmut's records in mutants/.

Exits 1 when fewer than 90% of the mutants were killed, or when no run has been recorded.
Survivors that docs/mutation.md does not name are pointed out (their reason belongs there).
Run from the project root: `.venv/bin/python scripts/mutation_report.py`.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.90
COLUMNS = ("killed", "survived", "timeout", "no tests", "other")


def module_results(path: str) -> dict[str, str]:
    """``{mutant name: status}`` of one mutated module, from mutmut's record of it."""
    meta = ROOT / "mutants" / f"{path}.meta"
    if not meta.exists():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in codes.items()}


def column(status: str) -> str:
    return status if status in COLUMNS else "other"


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    explained = (ROOT / "docs" / "mutation.md").read_text()
    totals: Counter[str] = Counter()
    survivors: list[tuple[str, str]] = []
    print(f"{'module':<40} {'total':>6} " + " ".join(f"{c:>9}" for c in COLUMNS) + "  killed %")
    for path in config["source_paths"]:
        results = module_results(path)
        counts = Counter(column(status) for status in results.values())
        total = len(results)
        totals.update(counts)
        totals["total"] += total
        rate = f"{100 * counts['killed'] / total:7.1f}%" if total else "      -"
        print(f"{path:<40} {total:>6} " + " ".join(f"{counts[c]:>9}" for c in COLUMNS) + rate)
        survivors += [
            (n, s) for n, s in sorted(results.items()) if column(s) in ("survived", "timeout")
        ]
    total = totals["total"]
    if not total:
        print("No mutation run recorded in mutants/: run `make mutation`.")
        return 1
    rate = totals["killed"] / total
    print(
        f"{'all':<40} {total:>6} "
        + " ".join(f"{totals[c]:>9}" for c in COLUMNS)
        + f"{100 * rate:7.1f}%"
    )
    if totals["other"]:
        print(f"\n{totals['other']} mutants not checked yet: the run is not complete.")
    if survivors:
        print("\nSurvived (`.venv/bin/mutmut show NAME` shows the change):")
        for name, status in survivors:
            named = re.search(rf"{re.escape(name)}(?![0-9])", explained)
            note = "" if named else "   <- not yet explained in docs/mutation.md"
            print(f"  {status:<9} {name}{note}")
    if rate < THRESHOLD:
        print(f"\nKilled {100 * rate:.1f}% of the mutants; at least {100 * THRESHOLD:.0f}% needed.")
        return 1
    print(f"\nKilled {100 * rate:.1f}% of the mutants (at least {100 * THRESHOLD:.0f}% needed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
