"""
Figure markers in an article's body: `[FIGURE:12]`, a paragraph of its own.

The marker is found with the same tokenizer as the citation markers (`references.markers`):
only in text, never in an attribute, so `title="[FIGURE:1]"` is not a figure. A figure is a
block, so its marker must be the whole of a paragraph at the top level of the body (the picker
in the admin inserts it so); anywhere else (inside a sentence, a list, a link) it is refused on
save with a message, rather than left for the page to show as text.

On save (`body_figures_validate`): every marker names a figure of the library that has alt
text. In the snapshot (`snapshot_figures`): what the page shows of each figure and the hash of
every file it loads. On the page (`articles.publishing.presentation`): each marker paragraph
becomes the figure, built from the snapshot. On every read of a public page
(`snapshot_files_intact`): the files still hash to what was signed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from figures import selectors, storage
from figures.models import Figure
from references.markers import _tokens

_SPACE = r"(?:\s|&nbsp;|&#160;|&#xa0;|\xa0)*+"
FIGURE_MARKER_RE = re.compile(
    rf"\[{_SPACE}FIGURE{_SPACE}:{_SPACE}([^\]\s<>&]*){_SPACE}\]", re.IGNORECASE
)
_ID_RE = re.compile(r"^[1-9][0-9]{0,17}$")
_BLANK_RE = re.compile(rf"^{_SPACE}$")
_TAG_NAME_RE = re.compile(r"^<(/?)([A-Za-z][^\s/>]*)")
_VOID = frozenset({"br", "hr", "img", "wbr"})


def _pieces(html: str) -> Iterator[tuple[bool, str, int, str]]:
    """(is_tag, text, nesting depth, tag name) for each token of `html`."""
    depth = 0
    for is_tag, piece in _tokens(html):
        name = ""
        if is_tag:
            match = _TAG_NAME_RE.match(piece)
            if match:
                name = match.group(2).lower()
                if match.group(1):
                    depth = max(depth - 1, 0)
                    yield is_tag, piece, depth, name
                    continue
                yield is_tag, piece, depth, name
                if name not in _VOID and not piece.endswith("/>"):
                    depth += 1
                continue
        yield is_tag, piece, depth, name


def _figure_paragraphs(html: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, id text) of each top-level `<p>[FIGURE:n]</p>` in `html`."""
    pieces = list(_pieces(html))
    offsets, position = [], 0
    for _is_tag, piece, _depth, _name in pieces:
        offsets.append(position)
        position += len(piece)
    for index in range(len(pieces) - 2):
        (open_tag, _, depth, name), (text_tag, text, _, _), (close_tag, close, _, close_name) = (
            pieces[index],
            pieces[index + 1],
            pieces[index + 2],
        )
        if not (open_tag and name == "p" and depth == 0 and not text_tag and close_tag):
            continue
        if close_name != "p" or not close.startswith("</"):
            continue
        match = FIGURE_MARKER_RE.search(text)
        if (
            match is not None
            and _BLANK_RE.match(text[: match.start()])
            and _BLANK_RE.match(text[match.end() :])
        ):
            yield offsets[index], offsets[index + 2] + len(close), match.group(1)


def _markers_in_text(html: str) -> Iterator[str]:
    for is_tag, piece in _tokens(html):
        if not is_tag:
            for match in FIGURE_MARKER_RE.finditer(piece):
                yield match.group(1)


def find_figure_ids(html: str) -> list[int]:
    """The figure ids the body's well-placed markers name, in order, each once."""
    ids = [int(raw) for _s, _e, raw in _figure_paragraphs(html) if _ID_RE.match(raw)]
    return list(dict.fromkeys(ids))


def body_figures_validate(html: str) -> list[Figure]:
    """
    The figures of a body, in order of first appearance; raises ValidationError (nothing is
    stored) when a marker is malformed, not a paragraph of its own, names no figure of the
    library, or names a figure without alt text.
    """
    all_markers = list(_markers_in_text(html or ""))
    if not all_markers:
        return []
    placed = [raw for _s, _e, raw in _figure_paragraphs(html)]
    malformed = [raw for raw in all_markers if not _ID_RE.match(raw)]
    if malformed:
        raise ValidationError(
            "A figure marker is not written correctly: "
            + ", ".join(f"[FIGURE:{raw}]" for raw in dict.fromkeys(malformed))
            + ". Use “Insert a figure from the library” to insert it.",
            code="figure_marker_malformed",
        )
    if len(placed) != len(all_markers):
        loose = [raw for raw in all_markers if raw not in placed] or all_markers
        raise ValidationError(
            "A figure must be a paragraph of its own: "
            + ", ".join(f"[FIGURE:{raw}]" for raw in dict.fromkeys(loose))
            + " is inside other text, a list, a table or a link. Put the marker on a line "
            "by itself.",
            code="figure_marker_misplaced",
        )
    ids = find_figure_ids(html)
    found = selectors.figures_in_bulk(ids)
    unknown = [figure_id for figure_id in ids if figure_id not in found]
    if unknown:
        raise ValidationError(
            "There is no figure "
            + ", ".join(str(figure_id) for figure_id in unknown)
            + " in the figure library. Nothing was saved: insert the figure again with "
            "“Insert a figure from the library”, or remove the marker.",
            code="figure_unknown",
        )
    without_alt = [figure_id for figure_id in ids if not found[figure_id].alt_text.strip()]
    if without_alt:
        raise ValidationError(
            "Figure "
            + ", ".join(str(figure_id) for figure_id in without_alt)
            + " has no alt text. Nothing was saved: add alt text to it in the figure library "
            "(describe what the image shows), then save the article again.",
            code="figure_alt_missing",
        )
    return [found[figure_id] for figure_id in ids]


def snapshot_figures(html: str) -> list[dict[str, Any]]:
    """What a revision records of the body's figures, in order (see `Figure.snapshot`)."""
    return [figure.snapshot() for figure in body_figures_validate(html)]


def replace_figures(html: str, render: Callable[[dict[str, Any]], str], figures: Mapping) -> str:
    """
    `html` with each marker paragraph replaced by `render(figure)` for the figure of that id
    in `figures` ({id: snapshot entry}); a marker of an id not there is left as it is.
    """
    out, position = [], 0
    for start, end, raw in _figure_paragraphs(html):
        figure = figures.get(int(raw)) if _ID_RE.match(raw) else None
        if figure is None:
            continue
        out.append(html[position:start])
        out.append(render(figure))
        position = end
    out.append(html[position:])
    return "".join(out)


def snapshot_files(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """(sha256, format) of every file the snapshot's figures load or were made from."""
    files = []
    for figure in snapshot.get("figures") or ():
        files.append((figure["sha256"], figure["format"]))
        files += [(item["sha256"], item["format"]) for item in figure.get("renditions", ())]
    return list(dict.fromkeys(files))


def snapshot_files_intact(snapshot: dict[str, Any]) -> bool:
    """
    Whether every figure file of the snapshot is stored and still hashes to the value the
    physician signed. A page without figures costs nothing; with figures, one `stat` per
    file while the files are unchanged (`figures.storage`).
    """
    try:
        return all(storage.file_matches(sha, fmt) for sha, fmt in snapshot_files(snapshot))
    except (KeyError, TypeError, ValueError):
        return False  # a snapshot whose figure entries are not as written is not sound
