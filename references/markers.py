"""Citation markers in article HTML: `[PMID:29870458]`, and pasted PubMed URLs.

The body HTML has already been sanitised with nh3 when these run, so it is well formed with
quoted attributes. We still never parse it with regular expressions alone: a small tokenizer
splits tags (quoted attribute values included, so a `>` inside `title="..."` cannot fool it)
from text, and only *text* is searched. A marker inside an attribute is never found nor
replaced, and the rendered superscript is built from integers only, so a marker cannot inject
HTML.

Flow in the articles app: `normalise_markers()` on save (URLs become markers), then
`find_pmids()` (validated, ordered, deduplicated) to ensure the citations, then at render time
`render_markers(html, numbers)` with `numbers = {pmid: n}` in order of first appearance.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator, Mapping

from references.records import PMID_RE

# Tags, comments, doctypes/CDATA and processing instructions. Attribute values may contain '>'.
# Possessive quantifiers and "or the end of the text" alternatives keep both patterns linear:
# an unterminated tag or marker ("<a" + "b" * n, "[PMID:" + " " * n) is read once, not retried
# from every position (found by the hypothesis tests, issue 14).
_TOKEN_RE = re.compile(
    r"""<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<![^>]*+(?:>|\Z)|<\?.*?(?:\?>|\Z)"""
    r"""|</?[A-Za-z][^\s/>]*+(?:[^>"']|"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z))*+(?:>|\Z)""",
    re.DOTALL,
)
_TAG_NAME_RE = re.compile(r"^<(/?)([A-Za-z][^\s/>]*)")
# CKEditor turns a typed space into &nbsp; in some positions, so accept it inside markers.
_SPACE = r"(?:\s|&nbsp;|&#160;|&#xa0;|\xa0)*+"
MARKER_RE = re.compile(rf"\[{_SPACE}PMID{_SPACE}:{_SPACE}([^\]\s<>&]*){_SPACE}\]", re.IGNORECASE)
# https://pubmed.ncbi.nlm.nih.gov/29870458/ and the legacy www.ncbi.nlm.nih.gov/pubmed/29870458,
# with an optional query (e.g. ?dopt=Abstract) whose characters exclude trailing punctuation.
PUBMED_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)"
    r"(\d+)(?!\d)/?(?:\?(?:[\w=%+\-]|&amp;|&)*)?(?:#[\w\-]*)?",
    re.IGNORECASE,
)
_HREF_RE = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_TOKEN_SPLIT_RE = re.compile(r"[\s,;]+")
_PMID_LABEL_RE = re.compile(r"\bPMID\b\s*:?", re.IGNORECASE)


class InvalidMarkerError(ValueError):
    """Raised when citation markers are malformed; `markers` lists them as written."""

    def __init__(self, markers: list[str]):
        self.markers = markers
        super().__init__(
            "Invalid citation marker(s): "
            + ", ".join(markers)
            + ". A PMID has 1 to 8 digits and does not start with 0."
        )


def _tokens(html: str) -> Iterator[tuple[bool, str]]:
    """Yield (is_tag, text) pieces covering `html` exactly."""
    position = 0
    for match in _TOKEN_RE.finditer(html):
        if match.start() > position:
            yield False, html[position : match.start()]
        yield True, match.group(0)
        position = match.end()
    if position < len(html):
        yield False, html[position:]


def _text_with_anchor_depth(html: str) -> Iterator[tuple[bool, str, int]]:
    """Like `_tokens`, also reporting how many <a> elements enclose each piece."""
    depth = 0
    for is_tag, piece in _tokens(html):
        if is_tag:
            name = _TAG_NAME_RE.match(piece)
            if name and name.group(2).lower() == "a":
                if name.group(1):
                    depth = max(depth - 1, 0)
                elif not piece.endswith("/>"):
                    depth += 1
        yield is_tag, piece, depth


def _marker_values(html: str) -> Iterator[tuple[str, str]]:
    """Yield (marker as written, PMID text) for every marker in text (not in attributes)."""
    for is_tag, piece in _tokens(html):
        if not is_tag:
            for match in MARKER_RE.finditer(piece):
                yield match.group(0), match.group(1)


def find_invalid_markers(html: str) -> list[str]:
    """Markers whose PMID is malformed (`[PMID:0123]`, `[PMID:abc]`), as written, deduplicated."""
    invalid = [marker for marker, pmid in _marker_values(html) if not PMID_RE.match(pmid)]
    return list(dict.fromkeys(invalid))


def find_pmids(html: str) -> list[str]:
    """PMIDs cited in `html`, in order of first appearance, without duplicates.

    Raises `InvalidMarkerError` if any marker is malformed, so a typo is never silently
    dropped from the reference list.
    """
    invalid = find_invalid_markers(html)
    if invalid:
        raise InvalidMarkerError(invalid)
    return list(dict.fromkeys(pmid for _marker, pmid in _marker_values(html)))


def render_markers(html: str, numbers: Mapping[str, int]) -> str:
    """Replace each marker by its superscript number linking to the reference list.

    `numbers` maps PMID -> reference number. The k-th mention of reference n becomes
    `<sup class="citation-ref"><a href="#ref-n" id="cite-n-k">n</a></sup>`, so each mention
    has a unique id and the list entry `<li id="ref-n">` can link back to `#cite-n-1`. Inside
    an existing link a nested <a> would be invalid, so there the number is not a link and the
    id sits on the <sup>. Markers for PMIDs not in `numbers` are left as they are.
    """
    seen: dict[int, int] = {}

    def replace(match: re.Match[str], *, in_anchor: bool) -> str:
        pmid = match.group(1)
        number = numbers.get(pmid) if PMID_RE.match(pmid) else None
        if number is None:
            return match.group(0)
        number = int(number)  # only integers reach the output
        seen[number] = seen.get(number, 0) + 1
        anchor_id = f"cite-{number}-{seen[number]}"
        if in_anchor:
            return f'<sup class="citation-ref" id="{anchor_id}">{number}</sup>'
        return (
            f'<sup class="citation-ref"><a href="#ref-{number}" id="{anchor_id}">{number}</a></sup>'
        )

    out = []
    for is_tag, piece, depth in _text_with_anchor_depth(html):
        if is_tag:
            out.append(piece)
        else:
            out.append(MARKER_RE.sub(lambda m, d=depth: replace(m, in_anchor=d > 0), piece))
    return "".join(out)


def pmid_from_url(url: str) -> str | None:
    """The PMID in a PubMed URL (any of the accepted forms), or None."""
    match = PUBMED_URL_RE.fullmatch(url.strip())
    return match.group(1) if match else None


def normalise_markers(html: str) -> str:
    """Turn pasted PubMed URLs into `[PMID:n]` markers.

    Converts bare URLs in text, and links to PubMed whose visible text is itself a PubMed URL
    (what CKEditor makes of a pasted URL). A PubMed link with other words as its text is left
    alone: those words are the editor's, not a citation. Attributes are never touched.
    """
    pieces = list(_text_with_anchor_depth(html))
    out: list[str] = []
    index = 0
    while index < len(pieces):
        is_tag, piece, depth = pieces[index]
        if is_tag:
            marker = _anchor_as_marker(pieces, index)
            if marker is not None:
                out.append(marker)
                index += 3
                continue
            out.append(piece)
        elif depth == 0:
            out.append(PUBMED_URL_RE.sub(lambda m: f"[PMID:{m.group(1)}]", piece))
        else:
            out.append(piece)
        index += 1
    return "".join(out)


def _anchor_as_marker(pieces: list[tuple[bool, str, int]], index: int) -> str | None:
    """If pieces[index:index+3] is `<a href=PubMed>PubMed URL</a>`, return its marker."""
    if index + 2 >= len(pieces):
        return None
    (_, start, _), (text_is_tag, text, _), (end_is_tag, end, _) = pieces[index : index + 3]
    name = _TAG_NAME_RE.match(start)
    if not name or name.group(1) or name.group(2).lower() != "a":
        return None
    if text_is_tag or not end_is_tag or end.replace(" ", "").lower() != "</a>":
        return None
    href = _HREF_RE.search(start)
    if not href:
        return None
    href_pmid = pmid_from_url(html_lib.unescape(next(g for g in href.groups() if g is not None)))
    text_pmid = pmid_from_url(html_lib.unescape(text).replace("\xa0", " "))
    if href_pmid is None or text_pmid != href_pmid:
        return None
    return f"[PMID:{href_pmid}]"


def pmids_from_text(text: str) -> tuple[list[str], list[str]]:
    """Read a pasted list of PMIDs, markers or PubMed URLs (the admin "Add by PMID" form).

    Returns (valid PMIDs in order, deduplicated; tokens that are not a valid PMID).
    """
    valid: list[str] = []
    invalid: list[str] = []
    # "[PMID: 123]", "PMID: 123" and "PMID 123" all become "123" before splitting on spaces.
    text = MARKER_RE.sub(lambda m: f" {m.group(1) or '[PMID:]'} ", text)
    text = _PMID_LABEL_RE.sub(" ", text)
    for token in _TOKEN_SPLIT_RE.split(text.strip()):
        if not token:
            continue
        candidate = pmid_from_url(token) or token
        if PMID_RE.match(candidate):
            valid.append(candidate)
        else:
            invalid.append(token)
    return list(dict.fromkeys(valid)), invalid
