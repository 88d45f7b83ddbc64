"""
A readable diff between two revision snapshots, for editors and reviewers.

Each snapshot is flattened into labelled lines (the body split at block elements, so one
paragraph or list item is one line) and compared with difflib. Removed lines are wrapped in
`<del>`, added ones in `<ins>`; a changed line also marks the changed words inside it. All
content is escaped: a diff shows markup as text and never renders it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BLOCK_START = re.compile(
    r"(?=<(?:p|h[1-6]|li|ul|ol|table|thead|tbody|tr|blockquote|figure|figcaption|hr)\b)", re.I
)
_WORDS = re.compile(r"\s+|[^\s]+")


def snapshot_lines(snapshot: dict[str, Any]) -> list[str]:
    """The snapshot as a list of lines, each prefixed with the part of the page it is from."""
    lines = [f"Title: {snapshot.get('title', '')}", f"Standfirst: {snapshot.get('standfirst', '')}"]
    lines += [f"Key takeaway: {text}" for text in snapshot.get("takeaways", [])]
    body = _BLOCK_START.sub("\n", snapshot.get("body", ""))
    lines += [f"Body: {line.strip()}" for line in body.splitlines() if line.strip()]
    for item in snapshot.get("comparisons", []):
        lines.append(f"Comparison: {item.get('term', '')}: {item.get('explanation', '')}")
    for entry in snapshot.get("faq", []):
        lines.append(f"FAQ question: {entry.get('question', '')}")
        lines.append(f"FAQ answer: {entry.get('answer', '')}")
    for number, citation in enumerate(snapshot.get("citations", []), start=1):
        pmid = citation.get("pmid") or "none"
        lines.append(f"Reference {number}: {citation.get('text', '')} (PMID {pmid})")
    return lines


@dataclass(frozen=True)
class DiffLine:
    """One line of the rendered diff: kind is "equal", "removed" or "added"."""

    kind: str
    html: SafeString


def _word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    old_out, new_out = [], []
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old_text = escape("".join(old_words[i1:i2]))
        new_text = escape("".join(new_words[j1:j2]))
        if op == "equal":
            old_out.append(old_text)
            new_out.append(new_text)
            continue
        if old_text:
            old_out.append(f"<del>{old_text}</del>")
        if new_text:
            new_out.append(f"<ins>{new_text}</ins>")
    return mark_safe("".join(old_out)), mark_safe("".join(new_out))  # noqa: S308 - escaped


def _unchanged(lines: list[str], *, context: int | None, first: bool, last: bool) -> list[DiffLine]:
    """
    An unchanged run: all of it, or with `context` only its edges next to a change, the rest
    folded into one "skipped" line, so a reviewer's eye goes to what changed.
    """
    keep_before = 0 if first else (context or 0)
    keep_after = 0 if last else (context or 0)
    if context is None or len(lines) <= keep_before + keep_after + 1:
        return [DiffLine("equal", escape(line)) for line in lines]
    shown_head = lines[:keep_before]
    shown_tail = lines[len(lines) - keep_after :] if keep_after else []
    hidden = len(lines) - len(shown_head) - len(shown_tail)
    noun = "line" if hidden == 1 else "lines"
    return (
        [DiffLine("equal", escape(line)) for line in shown_head]
        + [DiffLine("skipped", mark_safe(f"… {hidden} unchanged {noun} …"))]  # noqa: S308
        + [DiffLine("equal", escape(line)) for line in shown_tail]
    )


def diff_snapshots(
    old: dict[str, Any], new: dict[str, Any], *, context: int | None = None
) -> list[DiffLine]:
    """
    The line-by-line diff from `old` to `new`.

    With `context=None` every unchanged line is included; with a number, only that many
    unchanged lines are kept around each change and longer unchanged runs are folded into a
    "skipped" line ("… 12 unchanged lines …").
    """
    a, b = snapshot_lines(old), snapshot_lines(new)
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            result += _unchanged(
                a[i1:i2], context=context, first=index == 0, last=index == len(opcodes) - 1
            )
        elif op == "replace" and i2 - i1 == j2 - j1:
            # Line for line: show which words changed inside each pair.
            for old_line, new_line in zip(a[i1:i2], b[j1:j2], strict=True):
                removed, added = _word_diff(old_line, new_line)
                result += [DiffLine("removed", removed), DiffLine("added", added)]
        else:
            result += [
                DiffLine("removed", mark_safe(f"<del>{escape(line)}</del>"))  # noqa: S308
                for line in a[i1:i2]
            ]
            result += [
                DiffLine("added", mark_safe(f"<ins>{escape(line)}</ins>"))  # noqa: S308
                for line in b[j1:j2]
            ]
    return result
