"""Citation markers in article HTML: `[PMID:29870458]`, `[DOI:10.1097/AAP.0000000000000808]`,
`[REF:nice-ng59]` (a citation's marker name, for web pages and other manual entries), and
pasted PubMed and doi.org URLs.

The body HTML has already been sanitised with nh3 when these run, so it is well formed with
quoted attributes. We still never parse it with regular expressions alone: a small tokenizer
splits tags (quoted attribute values included, so a `>` inside `title="..."` cannot fool it)
from text, and only *text* is searched. A marker inside an attribute is never found nor
replaced, and the rendered superscript is built from integers only, so a marker cannot inject
HTML.

Flow in the articles app: `normalise_markers()` on save (URLs become markers), then
`find_markers()` (validated, ordered, deduplicated, every kind) to ensure the citations, then at
render time `render_markers(html, numbers)` with `numbers = {marker_key: n}` in order of first
appearance. A PMID's key is the PMID itself, so `{pmid: n}` mappings keep working; a DOI's is
"doi:" and the DOI in lower case (DOIs ignore case); a marker name's is "ref:" and the name.
"""

from __future__ import annotations

import html as html_lib
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from references.parsers.common import clean_doi
from references.records import PMID_RE

PMID = "pmid"
DOI = "doi"
REF = "ref"
# A DOI: "10.", a registrant code of digits (maybe with dot-separated subdivisions), "/", then
# a suffix without spaces. Checked with fullmatch on one marker's text, so it stays linear.
DOI_RE = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*+/\S+")
MAX_DOI_LENGTH = 255
# A citation's marker name (`Citation.cite_key`): lower-case words joined by single hyphens.
REF_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_REF_KEY_LENGTH = 50

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
# Every kind of marker. The value runs to the closing bracket (at most 300 characters, read
# possessively, never across a bracket or a tag), so "[REF:nice ng59]" is found and refused
# rather than left silently in the text; "[DOI:" repeated is read once.
MAX_MARKER_VALUE = 300
CITATION_MARKER_RE = re.compile(
    rf"\[{_SPACE}(PMID|DOI|REF){_SPACE}:([^\[\]<>]{{0,{MAX_MARKER_VALUE}}}+)\]", re.IGNORECASE
)
# https://doi.org/10.1097/AAP.0000000000000808 (also dx.doi.org, www.doi.org, no scheme). The
# suffix is read possessively up to a space, quote or bracket; trailing punctuation of the
# sentence is handed back by `_doi_and_tail`.
DOI_URL_RE = re.compile(
    r"(?<![\w.\-])(?:https?://)?(?:dx\.|www\.)?doi\.org/(10\.[^\s<>\"'\[\]]*+)",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?"
_ENTITY_END_RE = re.compile(r"&#?[0-9A-Za-z]{1,10};$")
_RULES = {
    PMID: "A PMID has 1 to 8 digits and does not start with 0.",
    DOI: "A DOI starts with 10., then its prefix digits, a slash and the rest, e.g. "
    "[DOI:10.1097/AAP.0000000000000808].",
    REF: "A marker name is lower-case letters, digits and hyphens, given to the source under "
    "Citations, e.g. [REF:nice-ng59].",
}


@dataclass(frozen=True)
class Marker:
    """One citation marker: its kind (PMID, DOI or REF) and its value, cleaned."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        """The marker's key in a `numbers` mapping (see `marker_key`)."""
        return marker_key(self.kind, self.value)


def marker_key(kind: str, value: str) -> str:
    """The PMID itself for a PMID; "doi:<doi in lower case>" and "ref:<name>" otherwise."""
    if kind == PMID:
        return value
    return f"{kind}:{value.lower()}"


def snapshot_marker_keys(citation: Mapping[str, object]) -> list[str]:
    """The marker keys that cite a citation's snapshot entry: its PMID, DOI and marker name."""
    keys = []
    for kind, name in ((PMID, "pmid"), (DOI, "doi"), (REF, "ref")):
        value = citation.get(name)
        if isinstance(value, str) and value:
            keys.append(marker_key(kind, value))
    return keys


def _marker_text(value: str) -> str:
    """A marker's value as text: entities decoded, no-break spaces and spaces trimmed."""
    return html_lib.unescape(value).replace("\xa0", " ").strip()


def clean_doi_value(text: str) -> str | None:
    """The DOI in "10.x/y", "doi:10.x/y" or "https://doi.org/10.x/y", or None if malformed."""
    doi = clean_doi(text)
    if doi.lower().startswith(("http://", "https://", "doi.org/", "dx.doi.org/")):
        return None
    if len(doi) > MAX_DOI_LENGTH or not DOI_RE.fullmatch(doi):
        return None
    return doi


def parse_marker(kind: str, value: str) -> Marker | None:
    """The marker of `kind` ("PMID", "DOI", "REF", any case) with `value`, or None if invalid."""
    kind = kind.lower()
    text = _marker_text(value)
    if kind == PMID:
        return Marker(PMID, text) if PMID_RE.match(text) else None
    if kind == DOI:
        doi = clean_doi_value(text)
        return Marker(DOI, doi) if doi else None
    if kind == REF:
        name = text.lower()
        if len(name) <= MAX_REF_KEY_LENGTH and REF_KEY_RE.match(name):
            return Marker(REF, name)
    return None


class InvalidMarkerError(ValueError):
    """Raised when citation markers are malformed; `markers` lists them as written.

    The message names each one and gives the rule of each kind among them.
    """

    def __init__(self, markers: list[str]):
        self.markers = markers
        kinds = []
        for marker in markers:
            match = CITATION_MARKER_RE.fullmatch(marker)
            kind = match.group(1).lower() if match else PMID
            if kind not in kinds:
                kinds.append(kind)
        super().__init__(
            "Invalid citation marker(s): "
            + ", ".join(markers)
            + ". "
            + " ".join(_RULES[kind] for kind in kinds)
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


def _markers_written(html: str) -> Iterator[tuple[str, Marker | None]]:
    """Yield (marker as written, Marker or None if invalid) for every marker in text."""
    for is_tag, piece in _tokens(html):
        if not is_tag:
            for match in CITATION_MARKER_RE.finditer(piece):
                yield match.group(0), parse_marker(match.group(1), match.group(2))


def find_invalid_markers(html: str) -> list[str]:
    """Malformed markers (`[PMID:0123]`, `[DOI:abc]`, `[REF:No Spaces]`), as written, once each."""
    invalid = [written for written, marker in _markers_written(html) if marker is None]
    return list(dict.fromkeys(invalid))


def find_markers(html: str) -> list[Marker]:
    """Every source cited in `html` (PMIDs, DOIs, marker names), in order of first appearance.

    Deduplicated by key (a DOI in any case counts once). Raises `InvalidMarkerError` if any
    marker is malformed, so a typo is never silently dropped from the reference list.
    """
    invalid = find_invalid_markers(html)
    if invalid:
        raise InvalidMarkerError(invalid)
    markers: dict[str, Marker] = {}
    for _written, marker in _markers_written(html):
        if marker is not None:
            markers.setdefault(marker.key, marker)
    return list(markers.values())


def find_pmids(html: str) -> list[str]:
    """PMIDs cited in `html`, in order of first appearance, without duplicates.

    Raises `InvalidMarkerError` if any marker (of any kind) is malformed.
    """
    return [marker.value for marker in find_markers(html) if marker.kind == PMID]


def render_markers(html: str, numbers: Mapping[str, int]) -> str:
    """Replace each marker by its superscript number linking to the reference list.

    `numbers` maps a marker's key (`marker_key`: the PMID, "doi:<doi>", "ref:<name>") to its
    reference number. The k-th mention of reference n becomes
    `<sup class="citation-ref"><a href="#ref-n" id="cite-n-k">n</a></sup>`, so each mention
    has a unique id and the list entry `<li id="ref-n">` can link back to `#cite-n-1`. Inside
    an existing link a nested <a> would be invalid, so there the number is not a link and the
    id sits on the <sup>. Markers not in `numbers` (and malformed ones) are left as they are.
    """
    seen: dict[int, int] = {}

    def replace(match: re.Match[str], *, in_anchor: bool) -> str:
        marker = parse_marker(match.group(1), match.group(2))
        number = numbers.get(marker.key) if marker is not None else None
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
            out.append(
                CITATION_MARKER_RE.sub(lambda m, d=depth: replace(m, in_anchor=d > 0), piece)
            )
    return "".join(out)


def pmid_from_url(url: str) -> str | None:
    """The PMID in a PubMed URL (any of the accepted forms), or None."""
    match = PUBMED_URL_RE.fullmatch(url.strip())
    return match.group(1) if match else None


def doi_from_url(url: str) -> str | None:
    """The DOI in a doi.org URL (percent-encoding decoded), or None."""
    match = DOI_URL_RE.fullmatch(url.strip())
    if not match:
        return None
    return clean_doi_value(urllib.parse.unquote(match.group(1)))


def _doi_and_tail(text: str) -> tuple[str, str]:
    """Split the sentence's punctuation (and an unmatched ")") off the end of a pasted DOI."""
    end = len(text)
    unmatched = text.count(")") - text.count("(")  # counted once: the loop stays linear
    while end:
        char = text[end - 1]
        if char == ")" and unmatched > 0:
            unmatched -= 1
        elif char not in _TRAILING_PUNCTUATION or (
            # The ";" of an entity at the end ("&gt;") belongs to the DOI.
            char == ";" and _ENTITY_END_RE.search(text, max(end - 12, 0), end)
        ):
            break
        end -= 1
    return text[:end], text[end:]


def _doi_url_as_marker(match: re.Match[str]) -> str:
    text, tail = _doi_and_tail(match.group(1))
    doi = clean_doi_value(urllib.parse.unquote(html_lib.unescape(text)))
    if doi is None:
        return match.group(0)
    return f"[DOI:{html_lib.escape(doi, quote=False)}]{tail}"


def _urls_as_markers(text: str) -> str:
    """PubMed and doi.org URLs in a text piece become markers; existing markers are kept."""
    out = []
    position = 0
    for match in CITATION_MARKER_RE.finditer(text):
        out.append(_convert_urls(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_convert_urls(text[position:]))
    return "".join(out)


def _convert_urls(text: str) -> str:
    text = PUBMED_URL_RE.sub(lambda m: f"[PMID:{m.group(1)}]", text)
    return DOI_URL_RE.sub(_doi_url_as_marker, text)


def normalise_markers(html: str) -> str:
    """Turn pasted PubMed and doi.org URLs into `[PMID:n]` and `[DOI:10.x/y]` markers.

    Converts bare URLs in text, and links to PubMed or doi.org whose visible text is itself
    such a URL (what CKEditor makes of a pasted URL). A link with other words as its text is
    left alone: those words are the editor's, not a citation. Attributes are never touched,
    nor are URLs already inside a marker.
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
            out.append(_urls_as_markers(piece))
        else:
            out.append(piece)
        index += 1
    return "".join(out)


def _anchor_as_marker(pieces: list[tuple[bool, str, int]], index: int) -> str | None:
    """If pieces[index:index+3] is `<a href=URL>the same URL</a>` for PubMed or doi.org,
    return its marker."""
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
    href_url = html_lib.unescape(next(g for g in href.groups() if g is not None))
    text_url = html_lib.unescape(text).replace("\xa0", " ")
    href_pmid = pmid_from_url(href_url)
    if href_pmid is not None:
        return f"[PMID:{href_pmid}]" if pmid_from_url(text_url) == href_pmid else None
    href_doi = doi_from_url(href_url)
    text_doi = doi_from_url(text_url)
    if href_doi is None or text_doi is None or href_doi.casefold() != text_doi.casefold():
        return None
    return f"[DOI:{html_lib.escape(href_doi, quote=False)}]"


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
