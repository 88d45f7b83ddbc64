"""
Bringing pages across from a previous site (`manage.py import_site`, docs/import-site.md).

A file is a JSON list of pages. Each page is checked on its own and reported by its position
(and line) in the file; a good page is stored as a draft through the editing services
(`article_create`, then `revision_create`), in its own transaction, so a bad page stores
nothing and never stops the others. Nothing here signs, publishes or asks PubMed: imported
pages reach the public only after a physician here signs them through the normal review, and
their references must already be in the citation library (`import_citations`, or
`site_import_fetch` before any transaction opens).

The checks of one page are in `articles.content.site_import_pages`: the body is sanitised as
the admin's is, and numbered reference marks (`[1]`, `[1,2]`, `[1-3]`, `<sup>[1]</sup>`) are
replaced by the markers of the page's references at those positions.
The previous site's publication date and review lines are kept as data on the draft
(`Article.original_published_on`, `Article.legacy_reviews`), never as sign-offs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles.content.models import Contributor
from articles.content.services import article_create, revision_create
from articles.content.site_import_pages import PageOutcome, json_type, page_prepare, pmid_text
from references.markers import InvalidMarkerError, find_pmids
from references.models import Citation
from references.parsers.common import decode_text
from references.pubmed import MAX_IDS_PER_REQUEST, PubMedError
from references.services import OFFLINE, CitationsNotFound, CitationsUnavailable, citations_ensure

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

# Far above any real site's export of text (a thousand long pages is a few megabytes), low
# enough that reading and checking the whole file never strains a server.
MAX_FILE_BYTES = 20 * 1024 * 1024

_WHITESPACE_RE = re.compile(r"[ \t\n\r]*")


class SiteFileError(Exception):
    """The file as a whole cannot be read (not JSON, not a list, too large); nothing is stored."""


@dataclass(frozen=True)
class SitePage:
    """One element of the file: its position (1 for the first), first line, and JSON value."""

    number: int
    line: int
    value: Any


def site_file_read(data: bytes) -> list[SitePage]:
    """
    The pages of a site file: UTF-8 JSON (a byte-order mark is allowed), a list of pages.

    Raises `SiteFileError` with a reader-facing message (too large, not text, not valid JSON
    with its line and column, not a list, empty).
    """
    if len(data) > MAX_FILE_BYTES:
        raise SiteFileError(too_large_message(len(data)))
    try:
        text = decode_text(data, what="The file")
    except PubMedError as exc:
        raise SiteFileError(str(exc)) from exc
    try:
        # strict=False: a raw control character inside a string (pasted from a word processor)
        # is removed later with a warning instead of refusing the whole file.
        pages = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        raise SiteFileError(
            f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    except RecursionError as exc:
        raise SiteFileError("The file is nested too deeply to be a list of pages.") from exc
    if not isinstance(pages, list):
        raise SiteFileError(
            f"The file holds a JSON {json_type(pages)}; it must hold a list of pages "
            '([{"title": ..., "body": ...}, ...]).'
        )
    if not pages:
        raise SiteFileError("The file holds an empty list: there is no page to import.")
    return [
        SitePage(number=number, line=line, value=value)
        for number, (line, value) in enumerate(zip(_element_lines(text), pages, strict=True), 1)
    ]


def too_large_message(size: int) -> str:
    """Why a file of `size` bytes is refused, and what to do instead."""
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; the largest accepted is "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into several files and import them "
        "one after the other."
    )


def _element_lines(text: str) -> list[int]:
    """The line on which each element of the (valid) top-level JSON list starts."""
    decoder = json.JSONDecoder(strict=False)
    lines: list[int] = []
    line, counted = 1, 0
    position = _WHITESPACE_RE.match(text).end() + 1  # past "["
    while True:
        position = _WHITESPACE_RE.match(text, position).end()
        if text[position] == "]":
            return lines
        line += text.count("\n", counted, position)
        counted = position
        lines.append(line)
        _value, position = decoder.raw_decode(text, position)
        position = _WHITESPACE_RE.match(text, position).end()
        if text[position] == ",":
            position += 1


# --- Fetching missing PMIDs (before any transaction) -----------------------------------


def site_import_fetch(pages: Sequence[SitePage], *, client: Any) -> list[str]:
    """
    Fetch from PubMed the PMIDs the pages cite that the citation library lacks (`--fetch`).

    Runs before any page's transaction opens (no network inside a transaction). Returns what
    went wrong, one message each (PMIDs PubMed does not know, PubMed unreachable); the pages
    citing a PMID still missing are then refused by the import as usual.
    """
    wanted: list[str] = []
    for page in pages:
        if isinstance(page.value, dict):
            wanted += _cited_pmids(page.value)
    known = set(Citation.objects.filter(pmid__in=wanted).values_list("pmid", flat=True))
    missing = [pmid for pmid in dict.fromkeys(wanted) if pmid not in known]
    messages: list[str] = []
    for start in range(0, len(missing), MAX_IDS_PER_REQUEST):
        batch = missing[start : start + MAX_IDS_PER_REQUEST]
        try:
            try:
                citations_ensure(pmids=batch, client=client)
            except CitationsNotFound as exc:
                messages.append(f"PubMed has no record for PMID {', '.join(exc.pmids)}.")
                rest = [pmid for pmid in batch if pmid not in exc.pmids]
                if rest:
                    citations_ensure(pmids=rest, client=client)
        except CitationsNotFound as exc:
            messages.append(f"PubMed has no record for PMID {', '.join(exc.pmids)}.")
        except CitationsUnavailable as exc:
            messages.append(f"{exc}; the pages citing them are refused.")
            break
    return messages


def _cited_pmids(value: dict) -> list[str]:
    """The well-formed PMIDs a page's references and body name (for fetching)."""
    pmids = []
    references = value.get("references")
    for reference in references if isinstance(references, list) else ():
        if isinstance(reference, dict):
            reference = reference.get("pmid")
        pmid = pmid_text(reference)
        if pmid:
            pmids.append(pmid)
    body = value.get("body")
    if isinstance(body, str):
        with contextlib.suppress(InvalidMarkerError):  # reported with the page
            pmids += find_pmids(body)
    return pmids


# --- Importing ---------------------------------------------------------------------------


def site_import(
    pages: Sequence[SitePage],
    *,
    user: AbstractBaseUser,
    author: Contributor | None = None,
    dry_run: bool = False,
    today: date | None = None,
) -> list[PageOutcome]:
    """
    Check every page and store each good one as a draft (revision 1 made by `user`).

    Each page is stored in its own transaction through `article_create` and `revision_create`
    (offline: references must be in the library); a page with any problem stores nothing.
    With `dry_run` each page goes through the same services and is rolled back, so the
    checks are exactly those of a real import. Nothing is signed or published.
    """
    today = today or timezone.localdate()
    outcomes = [PageOutcome(page=page) for page in pages]
    prepared = [page_prepare(outcome, author=author, today=today) for outcome in outcomes]
    _refuse_duplicate_slugs(outcomes)
    for outcome, data in zip(outcomes, prepared, strict=True):
        if data is not None and not outcome.problems:
            _store(outcome, data, user=user, dry_run=dry_run)
    return outcomes


def _refuse_duplicate_slugs(outcomes: list[PageOutcome]) -> None:
    """Pages of the file sharing a slug are all refused: which one was meant is not ours to
    guess."""
    pages_by_slug: dict[str, list[int]] = {}
    for outcome in outcomes:
        if outcome.slug:
            pages_by_slug.setdefault(outcome.slug, []).append(outcome.page.number)
    for outcome in outcomes:
        numbers = pages_by_slug.get(outcome.slug, [])
        if len(numbers) > 1:
            others = ", ".join(str(n) for n in numbers if n != outcome.page.number)
            outcome.problems.append(
                f"slug '{outcome.slug}' is also used by page {others} of this file"
            )


def _store(outcome: PageOutcome, data: dict, *, user, dry_run: bool) -> None:
    try:
        with transaction.atomic():
            article = article_create(data=data, user=user)
            revision = revision_create(article=article, user=user, client=OFFLINE)
            if dry_run:
                transaction.set_rollback(True)
    except ValidationError as error:
        outcome.problems += _messages(error)
        return
    if not dry_run:
        outcome.article_id = article.pk
        outcome.revision_number = revision.number
        logger.info("Page %s imported as draft article %s by %s", outcome.slug, article.pk, user)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
