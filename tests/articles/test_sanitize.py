"""
The sanitiser against an XSS corpus: nothing executable is stored, and nothing is rendered.

Every payload is checked by parsing the output with Python's html.parser (independent of nh3):
only allow-listed tags and attributes, no event handlers, and every URL either relative or
http(s)/mailto. The same corpus then goes through the admin-facing service, a revision and the
public page, which must carry no script at all.
"""

import re
from html.parser import HTMLParser

import pytest

from articles.content.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    images_without_alt,
    sanitize_answer,
    sanitize_html,
)

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src="x" onerror="alert(1)" alt="a">',
    "<img src=x onerror=alert(1)//",
    '<IMG SRC="javascript:alert(1);" alt="a">',
    "<img src=JaVaScRiPt:alert(1) alt=a>",
    '<img src="jav&#x09;ascript:alert(1);" alt="a">',
    '<img src="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)" alt=a>',
    '<img src="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)" alt=a>',
    '<img src=" &#14;  javascript:alert(1);" alt="a">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" alt="a">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="%6A%61%76%61%73%63%72%69%70%74%3Aalert(1)">x</a>',
    r'<a href="\u006aavascript:alert(1)">x</a>',  # a JavaScript escape, as typed
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="livescript:alert(1)">x</a>',
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1) alt=a></style></mglyph>',
    '<math href="javascript:alert(1)">x</math>',
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<input onfocus=alert(1) autofocus>',
    '<details open ontoggle=alert(1)>',
    '<body onload=alert(1)>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<td background="javascript:alert(1)">x</td>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<![CDATA[<script>alert(1)</script>]]>',
    '<p title="</p><script>alert(1)</script>">x</p>',
    '"><script>alert(1)</script>',
    "<p><b><i><script>alert(1)</i></b></script></p>",
    '<a href="https://ok.example"><img src=x onerror=alert(1) alt=a></a>',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1) alt=a>\">",
    "<template><script>alert(1)</script></template>",
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror=alert(1)>',
    '<marquee onstart=alert(1)>x</marquee>',
    '<a href="//evil.example/" target="_blank">protocol-relative</a>',
    '<img src="x" alt="a" srcset="javascript:alert(1) 1x">',
]

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "background", "srcset", "xlink:href"
}
# Browsers drop these before reading a scheme, so "java\tscript:" is still javascript:.
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would use for `value`, or None for a relative URL."""
    cleaned = _IGNORED_IN_URLS.sub("", value)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else None


class _Audit(HTMLParser):
    """Collects every tag and attribute (values unescaped, as a browser sees them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def problems(
    html: str, *, allowed_tags=ALLOWED_TAGS, allowed_attributes=ALLOWED_ATTRIBUTES
) -> list[str]:
    """
    Everything in `html` that could execute, or that the allow-list should have removed.

    `allowed_tags=None` / `allowed_attributes=None` skip the allow-list checks (for a whole
    page, whose own markup is not under the body's allow-list) and keep the execution checks.
    """
    audit = _Audit()
    audit.feed(html)
    audit.close()
    found = []
    for tag, attrs in audit.tags:
        if allowed_tags is not None and tag not in allowed_tags:
            found.append(f"tag <{tag}>")
        if tag in {"script", "iframe", "object", "embed", "svg", "math", "style", "base", "form"}:
            found.append(f"dangerous tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"event handler {name} on <{tag}>")
            if name == "style":
                found.append(f"style attribute on <{tag}>")
            # nh3 adds rel="noopener noreferrer" to links itself.
            allowed = set((allowed_attributes or {}).get(tag, set()))
            if tag == "a":
                allowed.add("rel")
            if allowed_attributes is not None and name not in allowed:
                found.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    found.append(f"{scheme}: URL in {name} on <{tag}>")
    return found


def test_the_corpus_is_big_enough():
    assert len(XSS_CORPUS) >= 40
    assert len(set(XSS_CORPUS)) == len(XSS_CORPUS)


def test_the_checker_itself_catches_what_it_should():
    """The audit must be able to fail: raw payloads are flagged."""
    assert problems('<a href="jav&#x09;ascript:alert(1)">x</a>', allowed_tags=None)
    assert problems("<img src=x onerror=alert(1)>", allowed_tags=None)
    assert problems("<svg></svg>", allowed_tags=None)
    flagged = [payload for payload in XSS_CORPUS if problems(payload)]
    assert len(flagged) >= 40


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_no_payload_survives_sanitising(payload):
    cleaned = sanitize_html(payload)
    assert problems(cleaned) == [], cleaned
    assert "<script" not in cleaned.lower()
    # Idempotent: cleaning clean output changes nothing.
    assert sanitize_html(cleaned) == cleaned


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_no_payload_survives_as_an_faq_answer(payload):
    assert problems(sanitize_answer(payload)) == []


def test_the_allow_list_keeps_health_writing_intact():
    html = (
        "<h2>Causes</h2><p>Some <strong>bold</strong>, <em>em</em>, <b>b</b>, <i>i</i>, "
        "x<sup>2</sup>, H<sub>2</sub>O.</p><ul><li>one</li></ul><ol><li>two</li></ol>"
        "<blockquote><p>quote</p></blockquote><hr>"
        '<table><thead><tr><th scope="col" colspan="2">h</th></tr></thead>'
        '<tbody><tr><td rowspan="2">c</td></tr></tbody></table>'
        '<figure><img src="https://img.example/a.png" alt="A spine" width="10" height="20">'
        "<figcaption>cap</figcaption></figure><h3>More</h3><h4>Even more</h4><p>a<br>b</p>"
    )
    assert sanitize_html(html) == html


def test_links_get_rel_noopener_and_keep_safe_schemes():
    cleaned = sanitize_html(
        '<a href="https://nhs.example/a" title="NHS">a</a><a href="mailto:x@example.org">m</a>'
        '<a href="/articles/x/">rel</a>'
    )
    assert cleaned == (
        '<a href="https://nhs.example/a" title="NHS" rel="noopener noreferrer">a</a>'
        '<a href="mailto:x@example.org" rel="noopener noreferrer">m</a>'
        '<a href="/articles/x/" rel="noopener noreferrer">rel</a>'
    )


def test_comments_are_stripped():
    assert sanitize_html("<p>a<!-- secret --></p>") == "<p>a</p>"


def test_images_without_alt_are_counted():
    assert images_without_alt('<img src="a"><img src="b" alt=""><img src="c" alt="x">') == 2


@pytest.mark.django_db
def test_the_public_page_of_an_article_written_with_the_whole_corpus_has_nothing_executable(
    client,
):
    from articles.content.services import article_create
    from tests.factories.articles import StaffUserFactory, TopicFactory, make_live

    body = "\n".join(f"<p>Payload {n}:</p>{payload}" for n, payload in enumerate(XSS_CORPUS))
    body = body.replace("<img", '<img alt="x"')  # so the alt-text rule lets the save through
    article = article_create(
        data={
            "title": '<script>alert("title")</script>',
            "slug": "xss",
            "standfirst": '"><img src=x onerror=alert(1)>',
            "body": body,
            "topics": [TopicFactory(name="<svg onload=alert(1)>")],
            "takeaways": ["<script>alert(1)</script>"],
            "faq": [{"question": "<b onclick=x>Q</b>", "answer": XSS_CORPUS[3]}],
            "comparisons": [{"term": "<iframe>", "explanation": "<script>x</script>"}],
        },
        user=StaffUserFactory(),
    )
    make_live(article)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    # The page's own markup is not under the body's allow-list, but nothing may execute in
    # <main>, where the content is (outside it: the site's search form and the JSON-LD).
    main = page[page.index("<main") : page.index("</main>")]
    assert problems(main, allowed_tags=None, allowed_attributes=None) == []
    # The only script element is the JSON-LD data block, and its text holds no "<" at all.
    code = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", page, count=1)
    assert "<script" not in code.lower()
    # The payloads are still there as harmless, escaped text.
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
