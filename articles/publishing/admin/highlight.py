"""
Sentences a content check found, marked in the review screen's rendering of the page.

`highlight_sentences(html, [(anchor, sentence), ...])` wraps the text of each sentence, where
the rendered page shows it, in `<mark id="{anchor}" class="review-highlight">`, so that each
finding on the review screen links to its sentence (`#finding-3`). Only the review screen calls
this: public pages never carry the marks.

The sentence a check reports is the snapshot's text: `[PMID:n]` markers and all. The rendered
page shows a marker as a superscript number, so the text matched is the sentence up to its
first marker, whitespace collapsed. A sentence may cross inline elements (`<strong>`, a link):
each text node it covers gets a mark of its own, the first carrying the anchor. A sentence the
rendering does not show as such (split by a block, or changed by the template) is left
unmarked; its finding still quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html

MARKER_RE = re.compile(r"\[(?:PMID|DOI|REF)\s*:[^\]]{1,300}\]", re.IGNORECASE)
MIN_MATCH = 12  # shorter text would be found in the wrong place too easily
MARK_CLASS = "review-highlight"


def _matchable(sentence: str) -> str:
    text = " ".join(sentence.split())
    before_marker = MARKER_RE.split(text, maxsplit=1)[0]
    return before_marker.rstrip(" .,;:!?")


def _text_slots(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Every visible text node in document order, as (element, "text" or "tail")."""
    ordered: list[tuple[etree._Element, str]] = []

    def walk(element: etree._Element) -> None:
        if isinstance(element.tag, str) and element.tag not in ("script", "style"):
            if element.text:
                ordered.append((element, "text"))
            for child in element:
                walk(child)
                if child.tail:
                    ordered.append((child, "tail"))

    walk(root)
    return ordered


def _flatten(slots: list[tuple[etree._Element, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The text, whitespace collapsed, and for each character its (slot, offset)."""
    chars: list[str] = []
    where: list[tuple[int, int]] = []
    previous_space = True
    for index, (element, attribute) in enumerate(slots):
        for offset, char in enumerate(getattr(element, attribute)):
            if char.isspace():
                if previous_space:
                    continue
                char = " "
                previous_space = True
            else:
                previous_space = False
            chars.append(char)
            where.append((index, offset))
    return "".join(chars), where


def _wrap(
    slots: list[tuple[etree._Element, str]], index: int, start: int, end: int, anchor: str | None
) -> None:
    """Wrap characters [start, end) of text slot `index` in a mark."""
    element, attribute = slots[index]
    text = getattr(element, attribute)
    mark = etree.Element("mark", {"class": MARK_CLASS})
    if anchor:
        mark.set("id", anchor)
        mark.set("tabindex", "-1")
    mark.text = text[start:end]
    mark.tail = text[end:]
    setattr(element, attribute, text[:start])
    if attribute == "text":
        element.insert(0, mark)
    else:
        parent = element.getparent()
        parent.insert(parent.index(element) + 1, mark)


def _highlight_one(root: etree._Element, anchor: str, sentence: str) -> bool:
    wanted = _matchable(sentence)
    if len(wanted) < MIN_MATCH:
        return False
    slots = _text_slots(root)
    flat, where = _flatten(slots)
    found = flat.find(wanted)
    if found < 0:
        return False
    # The characters of the match, grouped by text slot: (slot, first offset, last offset).
    spans: dict[int, list[int]] = {}
    for slot, offset in where[found : found + len(wanted)]:
        span = spans.setdefault(slot, [offset, offset])
        span[1] = offset
    # Wrap from the last slot back, so earlier slots' elements and offsets stay valid.
    ordered = sorted(spans.items())
    for position, (slot, (first, last)) in reversed(list(enumerate(ordered))):
        _wrap(slots, slot, first, last + 1, anchor if position == 0 else None)
    return True


def highlight_sentences(html: str, sentences: Iterable[tuple[str, str]]) -> tuple[str, set[str]]:
    """
    `html` with each (anchor, sentence) marked where the page shows it, and the anchors marked.
    """
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    marked = {anchor for anchor, sentence in sentences if _highlight_one(root, anchor, sentence)}
    inner = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )
    return inner, marked
