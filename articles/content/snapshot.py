"""
The revision snapshot and its canonical hash (format: docs/architecture.md).

A snapshot is everything a reader sees in an article's content and nothing else, so its hash
changes exactly when the reader-visible content does. The serialisation is canonical (sorted
keys, no whitespace, UTF-8) so that the same content always gives the same hash, on any
machine and any database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from articles.content.figures import snapshot_figures
from articles.content.sanitize import sanitize_html

if TYPE_CHECKING:
    from articles.content.models import Article
    from references.models import Citation


def canonical_bytes(snapshot: dict[str, Any]) -> bytes:
    """The canonical serialisation of a snapshot, the input of its hash."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 hex digest of the snapshot's canonical serialisation."""
    return hashlib.sha256(canonical_bytes(snapshot)).hexdigest()


def _cited(citation: Citation, notes: dict[int, str]) -> dict[str, Any]:
    """A reference as signed: the source's own entry, plus the page's note on it if any."""
    entry = citation.snapshot()
    if notes.get(citation.pk):
        entry["note"] = notes[citation.pk]
    return entry


def build_snapshot(article: Article, citations: Iterable[Citation]) -> dict[str, Any]:
    """
    Freeze the article's current draft into a snapshot dict.

    When the body has figure markers, "figures" lists each figure's words and file hashes
    (`articles.content.figures`); it raises ValidationError for a figure the library lacks.

    `citations` are the body's sources in reference-list order (first appearance in the body).
    HTML is sanitised again here, although the services already did so on save: a snapshot is
    what a physician signs and the public reads, so it must be clean whatever path wrote the
    draft. Sanitising is idempotent, so clean input is unchanged.
    """
    from references.markers import normalise_markers

    body = normalise_markers(sanitize_html(article.body))
    notes = {note.citation_id: note.note for note in article.reference_notes.all()}
    snapshot = {
        "title": article.title,
        "standfirst": article.standfirst,
        "body": body,
        "takeaways": [takeaway.text for takeaway in article.takeaways.all()],
        "faq": [
            {"question": entry.question, "answer": sanitize_html(entry.answer)}
            for entry in article.faq_entries.all()
        ],
        "comparisons": [
            {"term": item.term, "explanation": item.explanation}
            for item in article.comparisons.all()
        ],
        "citations": [_cited(citation, notes) for citation in citations],
    }
    # A page's own disclaimer, like the figures below, is a key only when there is one.
    if article.disclaimer:
        snapshot["disclaimer"] = article.disclaimer
    if article.search_description:
        snapshot["search_description"] = article.search_description
    # Only a body with figures has the key, so the snapshots (and hashes) of revisions made
    # before figures existed, or without any, stay exactly as they were.
    figures = snapshot_figures(body)
    if figures:
        snapshot["figures"] = figures
    return snapshot
