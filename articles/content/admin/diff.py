"""
A readable diff between two revision snapshots, for editors and reviewers.

Each snapshot is flattened into labelled lines (the body split at block elements, so one
paragraph or list item is one line) and compared with difflib. Removed lines are wrapped in
`<del>`, added ones in `<ins>`; a changed line also marks the changed words inside it. All
content is escaped: a diff shows markup as text and never renders it.

Two flattenings: `snapshot_lines` keeps the body's HTML source (the revision history, where
editors compare markup), `visible_lines` keeps only the text a reader sees, with headings and
list items named as such (the physician's review screen).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.content.blocks import block_kind
from reviews.checks import html_paragraphs

_BLOCK_START = re.compile(
    r"(?=<(?:p|h[1-6]|li|ul|ol|table|thead|tbody|tr|blockquote|figure|figcaption|hr|div)\b)", re.I
)
_WORDS = re.compile(r"\s+|[^\s]+")


def _source_id(citation: dict[str, Any]) -> str:
    """How the diff names a reference's source: its PMID, else its DOI, else its address."""
    if citation.get("pmid"):
        return f"PMID {citation['pmid']}"
    if citation.get("doi"):
        return f"DOI {citation['doi']}"
    return f"web page {citation.get('url') or 'without an address'}"


def snapshot_lines(snapshot: dict[str, Any]) -> list[str]:
    """The snapshot as a list of lines, each prefixed with the part of the page it is from."""
    lines = [f"Title: {snapshot.get('title', '')}", f"Standfirst: {snapshot.get('standfirst', '')}"]
    lines += [f"Key takeaway: {text}" for text in snapshot.get("takeaways", [])]
    body = _BLOCK_START.sub("\n", snapshot.get("body", ""))
    lines += [f"Body: {line.strip()}" for line in body.splitlines() if line.strip()]
    lines += figure_lines(snapshot)
    for item in snapshot.get("comparisons", []):
        lines.append(f"Comparison: {item.get('term', '')}: {item.get('explanation', '')}")
    for entry in snapshot.get("faq", []):
        lines.append(f"FAQ question: {entry.get('question', '')}")
        lines.append(f"FAQ answer: {entry.get('answer', '')}")
    for number, citation in enumerate(snapshot.get("citations", []), start=1):
        lines.append(f"Reference {number}: {citation.get('text', '')} ({_source_id(citation)})")
        if citation.get("note"):
            lines.append(f"Reference {number} note: {citation['note']}")
    if snapshot.get("disclaimer"):
        lines.append(f"Page disclaimer: {snapshot['disclaimer']}")
    if snapshot.get("search_description"):
        lines.append(f"Search description: {snapshot['search_description']}")
    return lines


def figure_lines(snapshot: dict[str, Any]) -> list[str]:
    """
    What the snapshot records of each figure, one line per thing a physician approves: the
    image (its format, size and SHA-256, and a fingerprint of every size made of it, so a
    different image always shows as a changed line), its alt text, caption and credit.
    """
    lines = []
    for figure in snapshot.get("figures") or ():
        number = figure.get("id")
        hashes = [figure.get("sha256", "")]
        hashes += [item.get("sha256", "") for item in figure.get("renditions") or ()]
        sizes = hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16]
        credit = figure.get("credit", "")
        if figure.get("credit_url"):
            credit += f" <{figure['credit_url']}>"
        lines += [
            f"Figure {number} image: {str(figure.get('format', '')).upper()}, "
            f"{figure.get('width')} × {figure.get('height')} px, SHA-256 "
            f"{figure.get('sha256', '')} (all sizes {sizes})",
            f"Figure {number} alt text: {figure.get('alt', '')}",
            f"Figure {number} caption: {figure.get('caption', '')}",
            f"Figure {number} credit: {credit} ({figure.get('licence', '')})",
        ]
    return lines


_LEADING_TAG = re.compile(r"^\s*<([a-z0-9]+)\b", re.I)
_LEADING_CLASS = re.compile(r'^\s*<(?:div|ol) class="([^"]*)"', re.I)
# How a block of the body is shown in the text diff; a paragraph is shown as plain text.
_BLOCK_PREFIX = {
    **{f"h{level}": "Heading: " for level in range(1, 7)},
    "li": "• ",
    "blockquote": "Quote: ",
    "figcaption": "Caption: ",
}


def _visible_text(html: str) -> str:
    """The text a reader sees of an HTML fragment, on one line, without tags."""
    return " ".join(html_paragraphs(html))


def _body_text_lines(html: str) -> list[str]:
    """One line per block of the body: its visible text, prefixed for headings and list items."""
    lines = []
    for block in _BLOCK_START.sub("\n", html or "").split("\n"):
        tag = _LEADING_TAG.match(block)
        classes = _LEADING_CLASS.match(block)
        kind = block_kind(tag.group(1), classes.group(1)) if tag and classes else None
        if kind is not None:
            # A content block is named on its own line, so changing its kind shows in the diff.
            lines.append(f"Block: {kind.label}")
        separator = " | " if tag and tag.group(1).lower() == "tr" else " "
        text = separator.join(html_paragraphs(block))
        if text:
            lines.append(_BLOCK_PREFIX.get(tag.group(1).lower() if tag else "", "") + text)
    return lines


def visible_lines(snapshot: dict[str, Any]) -> list[str]:
    """
    The snapshot as the lines of text a reader sees, in page order: no tags, the body's
    paragraphs bare, headings prefixed "Heading: " and list items "• ".
    """
    lines = [f"Title: {snapshot.get('title', '')}", f"Standfirst: {snapshot.get('standfirst', '')}"]
    lines += [f"Key takeaway: {text}" for text in snapshot.get("takeaways", [])]
    lines += _body_text_lines(snapshot.get("body", ""))
    lines += figure_lines(snapshot)
    for item in snapshot.get("comparisons", []):
        term, explanation = (
            _visible_text(str(item.get(key, ""))) for key in ("term", "explanation")
        )
        lines.append(f"Comparison: {term}: {explanation}")
    for entry in snapshot.get("faq", []):
        lines.append(f"FAQ question: {_visible_text(str(entry.get('question', '')))}")
        lines.append(f"FAQ answer: {_visible_text(str(entry.get('answer', '')))}")
    for number, citation in enumerate(snapshot.get("citations", []), start=1):
        lines.append(f"Reference {number}: {citation.get('text', '')} ({_source_id(citation)})")
        if citation.get("note"):
            lines.append(f"Reference {number} note: {citation['note']}")
    if snapshot.get("disclaimer"):
        lines.append(f"Page disclaimer: {snapshot['disclaimer']}")
    if snapshot.get("search_description"):
        lines.append(f"Search description: {snapshot['search_description']}")
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
    return _diff_lines(snapshot_lines(old), snapshot_lines(new), context=context)


def diff_visible_text(
    old: dict[str, Any], new: dict[str, Any], *, context: int | None = None
) -> list[DiffLine]:
    """
    The diff of the text readers see (`visible_lines`), from `old` to `new`: changed words
    marked inside each changed block, no HTML tags. `context` folds unchanged runs as
    `diff_snapshots` does.
    """
    return _diff_lines(visible_lines(old), visible_lines(new), context=context)


# Below this similarity a changed line is shown as removed and a new one added, rather than
# as one line with words changed (difflib.Differ's cutoff).
_SIMILAR = 0.5
# Past this many line pairs, pairing lines by similarity costs more than it helps.
_PAIRING_LIMIT = 2500


def _replaced(old: list[str], new: list[str]) -> list[DiffLine]:
    """
    Lines `old` replaced by `new`: each old line paired with its most similar new line shows
    which words changed inside it (as difflib.Differ pairs lines); the rest are removed or
    added whole.
    """
    best, pair = _SIMILAR, None
    if old and new and len(old) * len(new) <= _PAIRING_LIMIT:
        for i, old_line in enumerate(old):
            for j, new_line in enumerate(new):
                ratio = difflib.SequenceMatcher(
                    None, _WORDS.findall(old_line), _WORDS.findall(new_line), autojunk=False
                ).ratio()
                if ratio > best:
                    best, pair = ratio, (i, j)
    if pair is None:
        return [
            DiffLine("removed", mark_safe(f"<del>{escape(line)}</del>"))  # noqa: S308
            for line in old
        ] + [
            DiffLine("added", mark_safe(f"<ins>{escape(line)}</ins>"))  # noqa: S308
            for line in new
        ]
    i, j = pair
    removed, added = _word_diff(old[i], new[j])
    return (
        _replaced(old[:i], new[:j])
        + [DiffLine("removed", removed), DiffLine("added", added)]
        + _replaced(old[i + 1 :], new[j + 1 :])
    )


def _diff_lines(a: list[str], b: list[str], *, context: int | None) -> list[DiffLine]:
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
            result += _replaced(a[i1:i2], b[j1:j2])
    return result
