"""Property-based tests of the HTML sanitiser (hypothesis; profile in tests/conftest.py).

test_sanitize.py checks a fixed corpus of known payloads; here hypothesis builds HTML from a
small grammar of allowed and dangerous tags, event handlers, style attributes and URLs
(encoded, cased and spaced as attackers do), plus arbitrary text. For every input:

- the output passes the corpus's independent audit (html.parser): only allow-listed tags and
  attributes, no `on*=` handler, no URL whose scheme is not http, https or mailto;
- no `<script` anywhere in it;
- cleaning is idempotent: sanitising the output again changes nothing (the snapshot builder
  cleans stored HTML a second time, and a second pass that changed it would change the hash
  of a revision nobody edited).
"""

from __future__ import annotations

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from articles.content.sanitize import ALLOWED_TAGS, sanitize_answer, sanitize_html
from tests.articles.test_sanitize import problems

DANGEROUS_TAGS = [
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "base",
    "meta",
    "link",
    "template",
    "noscript",
    "textarea",
    "title",
    "xmp",
    "select",
    "button",
    "input",
    "video",
    "source",
    "details",
    "body",
    "html",
    "frameset",
]
ATTRIBUTES = [
    "href",
    "src",
    "alt",
    "title",
    "width",
    "height",
    "scope",
    "colspan",
    "rowspan",
    "onclick",
    "onerror",
    "onload",
    "ONMOUSEOVER",
    "style",
    "srcset",
    "xlink:href",
    "formaction",
    "action",
    "data",
    "background",
    "rel",
    "target",
    "class",
    "id",
]
SCHEMES = [
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    " javascript:",
    "jav&#x09;ascript:",
    "&#106;avascript:",
    "javascript&colon;",
    "vbscript:",
    "data:text/html,",
    "http://",
    "https://",
    "mailto:",
    "//",
    "/",
    "",
    "#",
]
TEXT_PIECES = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;script&gt;",
    '"',
    "'",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "</p>",
    "<p>",
    "</",
    "<script>",
    "alert(1)",
    "[PMID:1]",
    "\u00a0",
    "\n",
    "\x00",
    "&#0;",
    "&#x3c;script&#x3e;",
]

urls = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(SCHEMES),
    st.sampled_from(["alert(1)", "example.org/a", "x@example.org", "evil.example/x.js", ""]),
)
attribute_values = urls | st.text(max_size=10) | st.sampled_from(TEXT_PIECES)


@st.composite
def attribute(draw) -> str:
    name = draw(st.sampled_from(ATTRIBUTES))
    value = draw(attribute_values)
    quote = draw(st.sampled_from(['"', "'", ""]))
    if not quote:
        value = value.replace(" ", "").replace(">", "") or "x"
    return f" {name}={quote}{value}{quote}"


@st.composite
def element(draw, children) -> str:
    tag = draw(st.sampled_from(sorted(ALLOWED_TAGS)) | st.sampled_from(DANGEROUS_TAGS))
    if draw(st.booleans()):
        tag = tag.upper()
    attributes = "".join(draw(st.lists(attribute(), max_size=3)))
    inner = "".join(draw(st.lists(children, max_size=3)))
    closing = draw(st.sampled_from([f"</{tag}>", "", "</p>", f"</{tag}"]))
    return f"<{tag}{attributes}>{inner}{closing}"


fragments = st.recursive(
    st.text(max_size=15) | st.sampled_from(TEXT_PIECES),
    lambda children: element(children),
    max_leaves=15,
)
html_documents = st.lists(fragments, max_size=5).map("".join)
any_input = html_documents | st.text(max_size=200)


def assert_clean(cleaned: str) -> None:
    assert problems(cleaned) == [], cleaned
    assert "<script" not in cleaned.lower(), cleaned


@given(any_input)
def test_sanitised_html_has_no_script_handler_or_unsafe_url(html):
    assert_clean(sanitize_html(html))


@given(any_input)
def test_sanitising_twice_equals_sanitising_once(html):
    once = sanitize_html(html)
    assert sanitize_html(once) == once


@given(any_input)
def test_faq_answers_are_clean_and_stable_too(text):
    once = sanitize_answer(text)
    assert_clean(once)
    assert sanitize_answer(once) == once


@pytest.mark.parametrize("needle", ["<script", " onclick=", "javascript:", "<svg"])
def test_the_grammar_reaches_dangerous_input(needle):
    """The strategy must be able to produce what the properties are about."""
    assert needle in find(html_documents, lambda html: needle in html.lower()).lower()
