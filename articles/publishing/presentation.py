"""
Turning a revision snapshot into what the article template shows.

The public page and the staff preview share this, so a preview looks exactly like the page
will. Everything reader-visible comes from the snapshot; the article contributes only
metadata (topics, authors, dates). HTML from the snapshot was sanitised when the revision was
made; it is sanitised again here, before the citation superscripts are added, so that even a
snapshot written by some other path could not put script on a public page.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from articles.content.blocks import render_blocks
from articles.content.figures import replace_figures
from articles.content.models import Article, ArticleRevision
from articles.content.sanitize import sanitize_html
from articles.publishing.long_pages import prepare_body
from articles.publishing.reading_time import reading_minutes
from figures.storage import public_url
from references.formatting import doi_url, pubmed_url
from references.markers import render_markers, snapshot_marker_keys

DISCLAIMER = (
    "This page is for general information and is not a substitute for advice from your own "
    "doctor or health professional. If you are worried about your health, or your symptoms "
    "change or get worse, contact a health professional. In an emergency, call your local "
    "emergency number."
)


def _reference(number: int, citation: dict[str, Any]) -> dict[str, Any]:
    url = citation.get("url") or ""
    return {
        "number": number,
        "pmid": citation.get("pmid") or "",
        "text": citation.get("text") or "",
        "evidence_label": citation.get("evidence_label") or "",
        "pubmed_url": pubmed_url(citation.get("pmid")),
        "doi": citation.get("doi") or "",
        "doi_url": doi_url(citation.get("doi")),
        "retracted": bool(citation.get("retracted")),
        "note": citation.get("note") or "",
        # A manual entry's own link, only if it is a web address (never javascript: etc.);
        # a work cited by DOI alone has its DOI link already.
        "url": url
        if url.startswith(("https://", "http://")) and url != doi_url(citation.get("doi"))
        else "",
    }


# The body column is at most about 44rem wide; below that the image spans the screen.
FIGURE_SIZES = "(min-width: 48rem) 44rem, 100vw"


def _srcset(files: list[dict[str, Any]]) -> str:
    return ", ".join(f"{public_url(f['sha256'], f['format'])} {int(f['width'])}w" for f in files)


def meta_description(snapshot: dict[str, Any]) -> str:
    """What search engines and link previews show: the signed search description, else the
    standfirst."""
    return snapshot.get("search_description") or snapshot.get("standfirst", "")


def lead_image(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """
    The page's first figure as search engines and link previews show it (`og:image`, JSON-LD
    `image`): its largest rendition in the original format, from the signed snapshot. None for
    a page without figures.
    """
    figures = snapshot.get("figures") or []
    if not figures:
        return None
    figure = figures[0]
    own = [item for item in figure.get("renditions") or () if item["format"] == figure["format"]]
    largest = max(own, key=lambda item: int(item["width"])) if own else figure
    return {
        "url": public_url(largest["sha256"], largest["format"]),
        "width": int(largest["width"]),
        "height": int(largest["height"]),
        "alt": figure.get("alt", ""),
    }


def figure_html(figure: dict[str, Any]) -> str:
    """
    A figure of the snapshot as the page shows it: a <picture> (WebP first, then the original
    format) in a <figure> with its caption and credit. Everything comes from the snapshot, as
    signed, never from the figure library; every value is escaped, and the credit links only
    to an http(s) address.
    """
    renditions = sorted(figure.get("renditions") or (), key=lambda item: int(item["width"]))
    own = [item for item in renditions if item["format"] == figure["format"]] or [
        {key: figure[key] for key in ("width", "height", "format", "sha256")}
    ]
    webp = [item for item in renditions if item["format"] == "webp"]
    largest = own[-1]
    source = (
        format_html(
            '<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), FIGURE_SIZES
        )
        if webp and figure["format"] != "webp"
        else ""
    )
    image = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" '
        'decoding="async">',
        public_url(largest["sha256"], largest["format"]),
        _srcset(own),
        FIGURE_SIZES,
        int(largest["width"]),
        int(largest["height"]),
        figure.get("alt", ""),
    )
    url = figure.get("credit_url") or ""
    credit = (
        format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, figure.get("credit", ""))
        if url.startswith(("https://", "http://"))
        else figure.get("credit", "")
    )
    licence = figure.get("licence") or ""
    return format_html(
        '<figure class="figure"><picture>{}{}</picture><figcaption>{} <small>Credit: {}{}'
        "</small></figcaption></figure>",
        source,
        image,
        figure.get("caption", ""),
        credit,
        format_html(" ({})", licence) if licence else "",
    )


def content_context(
    revision: ArticleRevision, *, source_alerts: list[dict] | tuple = ()
) -> dict[str, Any]:
    """
    What `articles/_article_content.html` renders: takeaways, body with numbered citation
    marks, comparisons, FAQ and references, all from the revision's snapshot; a reference
    retracted since the approval carries its notice (`source_alerts`, not signed content).
    """
    snapshot = revision.snapshot
    citations = snapshot.get("citations", [])
    notices = {alert["number"]: alert["text"] for alert in source_alerts}
    references = [
        {**_reference(number, c), "notice": notices.get(number, "")}
        for number, c in enumerate(citations, start=1)
    ]
    # Each reference's number under every marker that cites it: [PMID:n], [DOI:..], [REF:..].
    numbers: dict[str, int] = {}
    for number, citation in enumerate(citations, start=1):
        for key in snapshot_marker_keys(citation):
            numbers.setdefault(key, number)
    body = render_markers(render_blocks(sanitize_html(snapshot.get("body", ""))), numbers)
    # Section ids, the contents list and tables that fit a phone (added after sanitising).
    body, contents = prepare_body(body)
    # Each figure marker's paragraph becomes the figure, from the snapshot (as signed).
    body = replace_figures(body, figure_html, {f["id"]: f for f in snapshot.get("figures") or ()})
    return {
        "body": mark_safe(body),  # noqa: S308 - sanitised above; superscripts are integers only
        "takeaways": snapshot.get("takeaways", []),
        "faq": [
            {"question": e["question"], "answer": mark_safe(sanitize_html(e["answer"]))}  # noqa: S308
            for e in snapshot.get("faq", [])
        ],
        "comparisons": snapshot.get("comparisons", []),
        "references": references,
        "contents": contents,
        "disclaimer": snapshot.get("disclaimer") or DISCLAIMER,
    }


def render_content(revision: ArticleRevision) -> SafeString:
    """The article content of `revision` as HTML: what a publication record stores."""
    html = render_to_string("articles/_article_content.html", content_context(revision))
    return mark_safe(html)  # noqa: S308 - our template, from sanitised snapshot HTML


def byline_authors(article: Article) -> list[dict[str, str]]:
    """The article's authors as the byline, cards and JSON-LD show them."""
    return [
        {
            "name": author.name,
            "credentials": author.credentials,
            "slug": author.slug,
            "url": author.get_absolute_url(),
        }
        for author in article.authors.all()
    ]


def page_topics(article: Article) -> list[dict[str, Any]]:
    """The article's topics as breadcrumbs, JSON-LD `about` and list filters use them."""
    return [
        {
            "id": topic.pk,
            "name": topic.name,
            "slug": topic.slug,
            "is_condition": topic.is_condition,
            "url": topic.get_absolute_url(),
        }
        for topic in article.topics.all()
    ]


def article_page_context(
    *, article: Article, revision: ArticleRevision, source_alerts: list[dict] | tuple = ()
) -> dict[str, Any]:
    """
    The template context of an article page showing `revision` of `article` (rendered now).

    The staff preview and the review screen use it; the public page reads the same keys from
    its publication record (`articles.publishing.publication.page_context`), so both render
    through the same templates.
    """
    published_at = article.first_published_at
    context = content_context(revision, source_alerts=source_alerts)
    context.update(
        {
            "slug": article.slug,
            "url": article.get_absolute_url(),
            "title": revision.snapshot.get("title", ""),
            "standfirst": revision.snapshot.get("standfirst", ""),
            "content_html": mark_safe(  # noqa: S308 - our template, from sanitised HTML
                render_to_string("articles/_article_content.html", context)
            ),
            "revision_number": revision.number,
            "is_live_revision": revision.pk == article.live_revision_id,
            "published_at": published_at,
            "updated_at": revision.created_at,
            # "Updated" is worth showing only when the content changed on a later day.
            "show_updated": published_at is None
            or revision.created_at.date() > published_at.date(),
            "reading_minutes": reading_minutes(revision.snapshot),
            "topics": page_topics(article),
            "authors": byline_authors(article),
            "lead_image": lead_image(revision.snapshot),
            "meta_description": meta_description(revision.snapshot),
        }
    )
    return context
