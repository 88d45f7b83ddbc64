"""
Long pages on small screens: an "On this page" contents list built from the body's `<h2>`
headings, and tables that fit a phone screen.

It runs at render time on the body HTML that was sanitised and had its citation marks numbered
(`presentation.content_context`). The attributes it adds (`id` on headings, `data-label` on
table cells, the scrolling region around a table without headers) are not in the sanitiser's
allow-list (`articles.content.sanitize`), so they exist only in the rendered page, never in
stored or signed HTML. They are derived from the signed body alone: the same snapshot always
renders the same ids, so links to a section keep working across re-renders.

Tables: a table with column headers (`<th>` in its first row, or a `<thead>`) gets, on each
other cell, a `data-label` holding its column's header; below the stylesheet's breakpoint each
row becomes a block and each cell shows its label (`content: attr(data-label)`). A table with
no column headers cannot be stacked meaningfully, so it is wrapped in a labelled region that
scrolls sideways and can be focused from the keyboard.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import NamedTuple

import lxml.html
from django.utils.text import slugify
from lxml import etree

# Fewer sections than this and a contents list is more clutter than help (as on the NHS website).
CONTENTS_MIN_HEADINGS = 3

# Ids the article page uses outside the body (templates/base.html, articles/_article*.html):
# a heading must never take one, or a link would jump to the wrong place.
PAGE_IDS = frozenset(
    {
        "main",
        "site-search-q",
        "contents-heading",
        "takeaways-heading",
        "comparisons-heading",
        "faq-heading",
        "references-heading",
        "review-stamp-heading",
        "related-heading",
    }
)
# The reference list's and the citation marks' ids (ref-3, cite-3-1).
_CITATION_ID = re.compile(r"(?:ref|cite)-\d+(?:-\d+)?")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Section:
    """One entry of the contents list: the heading's id and its text."""

    id: str
    text: str


class LongBody(NamedTuple):
    """The body as rendered, and its contents list (empty when the page is short)."""

    html: str
    contents: tuple[Section, ...]


def _text(element) -> str:
    """The element's visible text with spaces collapsed, citation marks left out."""
    parts = []

    def walk(node):
        if node.tag == "sup" and "citation-ref" in (node.get("class") or ""):
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")

    walk(element)
    return _SPACES.sub(" ", "".join(parts)).strip()


def _unique_id(text: str, taken: set[str]) -> str:
    base = slugify(text, allow_unicode=True) or "section"
    if _CITATION_ID.fullmatch(base):  # "Ref 1" must not take the reference list's id
        base = f"section-{base}"
    candidate, number = base, 1
    while candidate in taken or candidate in PAGE_IDS:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def _number_headings(root) -> list[Section]:
    """Give every `<h2>` an id made from its text (unique on the page); return them in order."""
    taken = {element.get("id") for element in root.iter() if element.get("id")}
    sections = []
    for heading in root.iter("h2"):
        text = _text(heading)
        heading.set("id", _unique_id(text, taken))
        if text:
            sections.append(Section(id=heading.get("id"), text=text))
    return sections


def _rows(table) -> list:
    # This table's rows only: a table nested in a cell has its own.
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _cells(row) -> list:
    return [cell for cell in row if cell.tag in ("th", "td")]


def _span(cell) -> int:
    try:
        return max(1, min(int(cell.get("colspan") or 1), 100))
    except ValueError:
        return 1


def _add_class(element, name: str) -> None:
    element.set("class", " ".join([*(element.get("class") or "").split(), name]))


def _header_row(table, rows):
    """The row naming the columns: the first row of `<thead>`, or a first row of `<th>`s."""
    head = table.xpath("./thead/tr")
    if head:
        return head[0]
    if rows and _cells(rows[0]) and all(cell.tag == "th" for cell in _cells(rows[0])):
        return rows[0]
    return None


def _label_cells(table, rows, header) -> bool:
    """Put each column's header on the other rows' cells; False when no column has a name."""
    labels: list[str] = []
    for cell in _cells(header):
        labels.extend([_text(cell)] * _span(cell))
    if not any(labels):
        return False
    for row in rows:
        if row is header or row.getparent().tag == "thead":
            continue
        column = 0
        for cell in _cells(row):
            if column < len(labels) and labels[column]:
                cell.set("data-label", labels[column])
            column += _span(cell)
    _add_class(table, "responsive-table")
    # Hidden on small screens, where each cell carries its column's name instead.
    _add_class(header, "column-headers")
    return True


def _region_label(table, number: int) -> str:
    parent = table.getparent()
    if parent is not None and parent.tag == "figure":
        for caption in parent.iter("figcaption"):
            if _text(caption):
                return _text(caption)
    return f"Table {number}"


def _wrap_in_region(table, number: int) -> None:
    """Wrap the table in a focusable region that scrolls sideways, labelled for screen readers."""
    region = etree.Element("div")
    region.set("class", "table-scroll")
    region.set("role", "region")
    region.set("tabindex", "0")
    region.set("aria-label", _region_label(table, number))
    region.tail, table.tail = table.tail, None
    table.addprevious(region)
    region.append(table)


def _fit_tables(root) -> None:
    for number, table in enumerate(list(root.iter("table")), start=1):
        rows = _rows(table)
        header = _header_row(table, rows)
        if header is None or not _label_cells(table, rows, header):
            _wrap_in_region(table, number)


def _inner_html(root) -> str:
    parts = [html_lib.escape(root.text, quote=False)] if root.text else []
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in root)
    return "".join(parts)


def prepare_body(html: str) -> LongBody:
    """
    The sanitised body with ids on its `<h2>` headings and its tables made to fit a phone,
    and the contents list (only when there are at least `CONTENTS_MIN_HEADINGS` headings).

    A body with neither headings nor tables is returned unchanged, byte for byte.
    """
    if "<h2" not in html and "<table" not in html:
        return LongBody(html=html, contents=())
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    sections = _number_headings(root)
    _fit_tables(root)
    contents = tuple(sections) if len(sections) >= CONTENTS_MIN_HEADINGS else ()
    return LongBody(html=_inner_html(root), contents=contents)
