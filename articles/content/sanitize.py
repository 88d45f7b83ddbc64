"""
Sanitising the rich text editors post.

CKEditor 4 runs in the editor's browser, so whatever it posts is untrusted input: a pasted
document, a crafted request or an old CKEditor bug can all carry script. Every HTML value is
cleaned here, with an allow-list, before it is stored (the services and the admin forms call
`sanitize_html`), and the snapshot builder cleans again so that a revision can only ever hold
clean HTML. nh3 (ammonia) parses like a browser does, so malformed nesting and encoded variants
are resolved before the allow-list is applied.
"""

import re
from html.parser import HTMLParser

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import linebreaks

from articles.content.blocks import SANITIZER_CLASSES

ALLOWED_TAGS = frozenset(
    {
        "p", "h2", "h3", "h4", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td", "img", "br", "hr", "sup", "sub",
        "figure", "figcaption", "div",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    # No attribute on every tag: nh3 would otherwise allow "lang" and "title" everywhere.
    "*": set(),
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# Built once: a Cleaner compiles its policy, and the policy never changes at run time.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
    # Content blocks (articles/content/blocks.py) are marked by a class; no other class is kept.
    allowed_classes={tag: set(names) for tag, names in SANITIZER_CLASSES.items()},
)
# nh3 leaves `class=""` on an element whose every class it dropped; class is the only attribute
# these elements keep, and a "<" in text is always escaped, so this matches tags only.
_EMPTY_CLASS = re.compile(r'<(div|ol) class="">')

# Passes after the first; hypothesis found no input needing more than one (tests/articles/
# test_sanitize_properties.py), the bound only keeps a surprise from looping.
_MAX_PASSES = 3

# A tag, end tag, comment or doctype; "1 < 2" in plain prose is not HTML.
_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]")

IMAGE_ALT_MESSAGE = "Every image needs alt text: describe the image for readers who cannot see it."


def _clean_once(html: str) -> str:
    return _EMPTY_CLASS.sub(r"<\1>", _CLEANER.clean(html)).strip()


def sanitize_html(html: str) -> str:
    """Return `html` reduced to the allow-list; idempotent, so cleaning twice changes nothing."""
    if not html:
        return ""
    cleaned = _clean_once(html)
    # One pass may leave markup that parses differently the next time: in "<h2><x><h2>" the
    # second heading nests inside <x>, and once <x> is dropped a parser splits the two headings
    # apart. The services, the snapshot and the page each clean again, so clean until nothing
    # changes: the stored, the signed and the rendered HTML must be the same bytes.
    for _ in range(_MAX_PASSES):
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def sanitize_answer(text: str) -> str:
    """
    An FAQ answer as stored: HTML sanitised as above; plain text (no tags at all) is escaped
    and split into paragraphs, so an editor can type either.
    """
    text = (text or "").strip()
    if not text:
        return ""  # not "<p></p>"
    if not _LOOKS_LIKE_HTML.search(text):
        text = linebreaks(text, autoescape=True)
    cleaned = sanitize_html(text)
    # HTML that loses all its tags ("two<span>x</span>") comes out as bare text, which the next
    # save would take for plain text and wrap in a paragraph, changing a stored answer nobody
    # edited: wrap it now (it is already escaped).
    if cleaned and not _LOOKS_LIKE_HTML.search(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


class _ImageAltCounter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.missing = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            alt = dict(attrs).get("alt") or ""
            if not alt.strip():
                self.missing += 1

    handle_startendtag = handle_starttag


def images_without_alt(html: str) -> int:
    """How many `<img>` elements in `html` have no alt text (empty or blank counts as none)."""
    counter = _ImageAltCounter()
    counter.feed(html or "")
    counter.close()
    return counter.missing


def validate_images_have_alt(html: str) -> None:
    """Model and form validator: refuse HTML with an image that has no alt text."""
    if images_without_alt(html):
        raise ValidationError(IMAGE_ALT_MESSAGE, code="image_alt_missing")
