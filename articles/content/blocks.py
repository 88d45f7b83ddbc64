"""
Content blocks inside an article's body: callouts, "Key facts", numbered steps, a call to action.

A block is ordinary body HTML with one of a few class names (the editor inserts it from
CKEditor's "Insert a block" list, `static/articles/ckeditor_blocks.js`), so it is part of the
signed body and of the revision's hash like any paragraph. This module is the one home of the
vocabulary: the sanitiser keeps exactly these classes (`SANITIZER_CLASSES`), the review diff
names a block by its `label` (a callout turned from "Information" into "Urgent" shows as a
changed line), and the public page adds what a reader needs at render time (`render_blocks`):
a visible label, so the kind of advice never depends on colour alone, and a landmark role.

The content checks in `reviews.checks` read the "Key facts" box by its class name
(`key-facts`): each figure in it needs its source.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockKind:
    """One kind of block: the element and class that mark it, and how it is named."""

    tag: str
    css_class: str
    label: str  # in the review diff and, where `shown`, on the page
    role: str = ""  # ARIA role added on the public page ("" for none)
    shown: bool = True  # whether the page shows `label` above the block's content


CALLOUT = "callout"
BLOCK_KINDS = (
    BlockKind("div", "callout-urgent", "Urgent advice", role="note"),
    BlockKind("div", "callout-warning", "Warning", role="note"),
    BlockKind("div", "callout-info", "Information", role="note"),
    BlockKind("div", "key-facts", "Key facts", role="region"),
    BlockKind("div", "call-to-action", "Next step", role="note", shown=False),
    BlockKind("ol", "steps", "Numbered steps", shown=False),
)
_BY_CLASS = {kind.css_class: kind for kind in BLOCK_KINDS}

# What the sanitiser keeps: the marker class of every kind, plus "callout" on a callout's div
# (the shared style of the three callouts).
SANITIZER_CLASSES: dict[str, set[str]] = {}
for _kind in BLOCK_KINDS:
    SANITIZER_CLASSES.setdefault(_kind.tag, set()).add(_kind.css_class)
SANITIZER_CLASSES["div"].add(CALLOUT)

# An opening tag of a block as the sanitiser writes it: `<div class="...">` (the class is the
# only attribute these elements keep).
_OPENING = re.compile(r'<(div|ol) class="([^"<>]*)">')


def block_kind(tag: str, classes: str) -> BlockKind | None:
    """The kind of block an element is, from its tag and class attribute; None for none."""
    for name in classes.split():
        kind = _BY_CLASS.get(name)
        if kind is not None and kind.tag == tag.lower():
            return kind
    return None


def _opening(match: re.Match) -> str:
    tag, classes = match.group(1), match.group(2)
    kind = block_kind(tag, classes)
    if kind is None:
        return f"<{tag}>" if not classes.strip() else match.group(0)
    names = [kind.css_class]
    if kind.css_class.startswith(CALLOUT + "-"):
        names.insert(0, CALLOUT)
    label = html_lib.escape(kind.label)
    attributes = f' class="{" ".join(names)}"'
    if kind.role:
        attributes += f' role="{kind.role}" aria-label="{label}"'
    opening = f"<{tag}{attributes}>"
    if kind.shown:
        opening += f'<p class="block-label">{label}</p>'
    return opening


def render_blocks(html: str) -> str:
    """
    The body's blocks as the public page shows them: a landmark role and accessible name, and
    a visible label for callouts and the "Key facts" box. `html` is sanitised HTML (so every
    attribute is double-quoted and a class holds only the names the sanitiser keeps); what is
    added is built from this module's constants only.
    """
    if "class=" not in html:
        return html
    return _OPENING.sub(_opening, html)
