"""
The content checks measured on the labelled corpus in tests/data/claims/ (issue 11): at least
90% of the sentences that must be flagged are, and at most 5% of those that must not be are.

Each sentence is checked as a page with one paragraph and no citation mark, through the public
entry point `check_snapshot`; page-level findings (no references, readability) do not count.
The figures are printed per file and in all (README, "Content checks").
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reviews.checks import check_snapshot

CORPUS = Path(__file__).resolve().parents[1] / "data" / "claims"
PAGE_LEVEL = {"no_references", "readability", "retracted_citation"}
MIN_RECALL = 0.90
MAX_FALSE_POSITIVES = 0.05


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _flagged(sentence: str) -> bool:
    snapshot = {
        "title": "",
        "body": f"<p>{sentence}</p>",
        "citations": [{"pmid": "1", "text": "A reference."}],
    }
    return any(f.code not in PAGE_LEVEL for f in check_snapshot(snapshot))


def _measure(rows):
    must = [row for row in rows if row["label"] == "flag"]
    must_not = [row for row in rows if row["label"] == "ok"]
    missed = [row for row in must if not _flagged(row["sentence"])]
    wrong = [row for row in must_not if _flagged(row["sentence"])]
    recall = 1 - len(missed) / len(must)
    false_positives = len(wrong) / len(must_not)
    return recall, false_positives, missed, wrong, len(must), len(must_not)


def _line(name, recall, fp, flags, oks):
    return f"  {name:14} recall {recall:6.1%} of {flags:3}   false positives {fp:5.1%} of {oks:3}"


def test_the_corpus_is_large_enough_and_covers_every_category():
    rows = [row for path in sorted(CORPUS.glob("*.tsv")) for row in _rows(path)]
    flags = [row for row in rows if row["label"] == "flag"]
    oks = [row for row in rows if row["label"] == "ok"]
    assert len(flags) >= 80 and len(oks) >= 50
    categories = {row["category"] for row in flags}
    assert categories == {"absolute", "unnamed_evidence", "promotional", "statistic", "dosing"}
    assert len({row["sentence"] for row in rows}) == len(rows), "a sentence appears twice"


def test_recall_and_false_positives_on_the_labelled_corpus(capsys):
    files = sorted(CORPUS.glob("*.tsv"))
    every = []
    lines = []
    for path in files:
        rows = _rows(path)
        every += rows
        recall, fp, _, _, flags, oks = _measure(rows)
        lines.append(_line(path.name, recall, fp, flags, oks))
    recall, fp, missed, wrong, flags, oks = _measure(every)
    lines.append(_line("all", recall, fp, flags, oks))
    with capsys.disabled():
        print("\nContent checks on tests/data/claims/:\n" + "\n".join(lines))
    assert recall >= MIN_RECALL, "missed:\n" + "\n".join(r["sentence"] for r in missed)
    assert fp <= MAX_FALSE_POSITIVES, "wrongly flagged:\n" + "\n".join(r["sentence"] for r in wrong)


@pytest.mark.parametrize(
    "category", ["absolute", "unnamed_evidence", "promotional", "statistic", "dosing"]
)
def test_each_category_is_caught_on_its_own(category):
    rows = [row for path in sorted(CORPUS.glob("*.tsv")) for row in _rows(path)]
    in_category = [row for row in rows if row["label"] == "flag" and row["category"] == category]
    caught = sum(_flagged(row["sentence"]) for row in in_category)
    assert caught / len(in_category) >= MIN_RECALL
