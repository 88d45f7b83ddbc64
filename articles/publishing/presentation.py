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

from django.utils.safestring import mark_safe

from articles.content.models import Article, ArticleRevision
from articles.content.sanitize import sanitize_html
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


def article_page_context(*, article: Article, revision: ArticleRevision) -> dict[str, Any]:
    """The template context of an article page showing `revision` of `article`."""
    snapshot = revision.snapshot
    citations = snapshot.get("citations", [])
    references = [_reference(number, c) for number, c in enumerate(citations, start=1)]
    numbers = {ref["pmid"]: ref["number"] for ref in references if ref["pmid"]}
    body = render_markers(sanitize_html(snapshot.get("body", "")), numbers)
    published_at = article.first_published_at
    return {
        "article": article,
        "revision": revision,
        "title": snapshot.get("title", ""),
        "standfirst": snapshot.get("standfirst", ""),
        "body": mark_safe(body),  # noqa: S308 - sanitised above; superscripts are integers only
        "takeaways": snapshot.get("takeaways", []),
        "faq": [
            {"question": e["question"], "answer": mark_safe(sanitize_html(e["answer"]))}  # noqa: S308
            for e in snapshot.get("faq", [])
        ],
        "comparisons": snapshot.get("comparisons", []),
        "references": references,
        "published_at": published_at,
        "updated_at": revision.created_at,
        # "Updated" is worth showing only when the content changed on a later day.
        "show_updated": published_at is None
        or revision.created_at.date() > published_at.date(),
        "topics": list(article.topics.all()),
        "authors": list(article.authors.all()),
        "disclaimer": DISCLAIMER,
    }
