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
from django.utils.safestring import SafeString, mark_safe

from articles.content.models import Article, ArticleRevision
from articles.content.sanitize import sanitize_html
from articles.publishing.reading_time import reading_minutes
from references.formatting import doi_url, pubmed_url
from references.markers import render_markers

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
        # A manual entry's own link, only if it is a web address (never javascript: etc.).
        "url": url if url.startswith(("https://", "http://")) else "",
    }


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
    numbers = {ref["pmid"]: ref["number"] for ref in references if ref["pmid"]}
    body = render_markers(sanitize_html(snapshot.get("body", "")), numbers)
    return {
        "body": mark_safe(body),  # noqa: S308 - sanitised above; superscripts are integers only
        "takeaways": snapshot.get("takeaways", []),
        "faq": [
            {"question": e["question"], "answer": mark_safe(sanitize_html(e["answer"]))}  # noqa: S308
            for e in snapshot.get("faq", [])
        ],
        "comparisons": snapshot.get("comparisons", []),
        "references": references,
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
            "disclaimer": DISCLAIMER,
        }
    )
    return context
