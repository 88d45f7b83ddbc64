"""
Automatic content checks on a revision snapshot, shown to the reviewer before signing.

They work on the snapshot dict (see docs/architecture.md, "The revision snapshot"), never on the
live article, so the reviewer sees findings for exactly the content they are about to sign. The
HTML is read with the standard library's `html.parser` into paragraphs and list items: a regex
over raw HTML would see a `[PMID:n]` marker in the next paragraph, or a percentage inside an
attribute, and get "same paragraph" wrong.

Most findings are warnings for the physician's judgement ("cure" can be legitimate: "there is
no cure"). A citation of a retracted paper is *blocking*: `signoff_create` refuses an approval
while one remains. Retraction status is live data (PubMed can retract a paper after the revision
was written), so the caller passes the set of retracted PMIDs it knows about.

(Django's system checks for the REVIEW_* settings live in `reviews.policy`, beside the settings
they validate.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured

WARNING: Literal["warning"] = "warning"
BLOCKING: Literal["blocking"] = "blocking"

MARKER_RE = re.compile(r"\[PMID:\s*(\d{1,9})\]", re.IGNORECASE)

# Statistics a reader would take as fact: percentages, "1 in 5", "3 out of 10", "2-fold",
# "three times more likely". Bare numbers (doses, ages, years) are deliberately not flagged:
# they drown the real findings.
STATISTIC_RE = re.compile(
    r"""
    \d+(?:[.,]\d+)?\s?(?:%|per\s?cent\b|percent\b)      # 40%, 12.5 percent, 3 per cent
    | \b\d+\s+(?:in|out\s+of)\s+(?:every\s+)?\d+\b      # 1 in 5, 3 out of 10
    | \b\d+(?:\.\d+)?-?fold\b                            # 2-fold, 3.5fold
    | \b(?:\d+(?:\.\d+)?|twice|two|three|four|five|ten)\s+times\s+
      (?:more|less|higher|lower|as|the)\b               # three times more likely
    """,
    re.IGNORECASE | re.VERBOSE,
)

HYPE_PHRASES = (
    "cure",
    "cures",
    "cured",
    "miracle",
    "miracles",
    "miraculous",
    "guaranteed",
    "guarantee",
    "100%",
    "no side effects",
    "completely safe",
    "without risk",
    "risk-free",
    "breakthrough",
    "instant relief",
)
# Whole words only ("cure" but not "secure" or "curettage"); the lookarounds also work for
# "100%", where \b would fail after the "%". Spaces inside a phrase match any whitespace.
HYPE_RE = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in HYPE_PHRASES)
    + r")(?![\w-])",
    re.IGNORECASE,
)

CONTEXT_CHARS = 40


@dataclass(frozen=True)
class Finding:
    """One content-check result: a machine code, its severity, a sentence and the passage."""

    code: str
    severity: Literal["warning", "blocking"]
    message: str
    excerpt: str = ""

    @property
    def is_blocking(self) -> bool:
        """Whether this finding stops an approval."""
        return self.severity == BLOCKING


# --- HTML to paragraphs -------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "p",
        "li",
        "dt",
        "dd",
        "td",
        "th",
        "caption",
        "figcaption",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "div",
        "section",
    ]
)
_BREAK_TAGS = frozenset({"br", "hr"})


class _ParagraphParser(HTMLParser):
    """Collects the text of each block element separately (innermost block wins)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._stack: list[list[str]] = [[]]  # the bottom buffer holds text outside any block

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._stack.append([])
        elif tag in _BREAK_TAGS:
            self._stack[-1].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS and len(self._stack) > 1:
            self._emit(self._stack.pop())

    def handle_data(self, data: str) -> None:
        self._stack[-1].append(data)

    def close(self) -> None:
        super().close()
        # Unclosed blocks (sanitised HTML should have none) and loose text still count.
        while self._stack:
            self._emit(self._stack.pop())

    def _emit(self, parts: list[str]) -> None:
        text = " ".join("".join(parts).split())
        if text:
            self.paragraphs.append(text)


def html_paragraphs(html: str) -> list[str]:
    """The text of each paragraph, list item, cell or heading in ``html``, whitespace-collapsed."""
    parser = _ParagraphParser()
    parser.feed(html or "")
    parser.close()
    return parser.paragraphs


def _excerpt(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


# --- The checks ---------------------------------------------------------------------------


def _cited_passages(snapshot: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, paragraph) for the parts of the page where claims must carry a citation."""
    for paragraph in html_paragraphs(snapshot.get("body", "")):
        yield "body", paragraph
    for entry in snapshot.get("faq") or []:
        for paragraph in html_paragraphs(entry.get("answer", "")):
            yield "FAQ answer", paragraph


def _all_text(snapshot: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a reader sees, for the hype-word check."""
    for field in ("title", "standfirst"):
        if snapshot.get(field):
            yield field, " ".join(str(snapshot[field]).split())
    for paragraph in html_paragraphs(snapshot.get("body", "")):
        yield "body", paragraph
    for takeaway in snapshot.get("takeaways") or []:
        yield "key takeaway", " ".join(str(takeaway).split())
    for entry in snapshot.get("faq") or []:
        yield "FAQ question", " ".join(str(entry.get("question", "")).split())
        for paragraph in html_paragraphs(entry.get("answer", "")):
            yield "FAQ answer", paragraph
    for entry in snapshot.get("comparisons") or []:
        for key in ("term", "explanation"):
            for paragraph in html_paragraphs(str(entry.get(key, ""))):
                yield "comparison", paragraph


def check_uncited_statistics(snapshot: dict[str, Any]) -> list[Finding]:
    """A statistic or percentage in a paragraph that has no ``[PMID:n]`` marker."""
    findings = []
    for where, paragraph in _cited_passages(snapshot):
        if MARKER_RE.search(paragraph):
            continue
        for match in STATISTIC_RE.finditer(paragraph):
            findings.append(
                Finding(
                    code="uncited_statistic",
                    severity=WARNING,
                    message=f'Statistic "{match.group().strip()}" in the {where} has no '
                    f"citation marker in the same paragraph.",
                    excerpt=_excerpt(paragraph, match.start(), match.end()),
                )
            )
    return findings


def check_hype_words(snapshot: dict[str, Any]) -> list[Finding]:
    """Promotional or absolute wording ("cure", "guaranteed", "100%", ...) anywhere on the page."""
    findings = []
    for where, text in _all_text(snapshot):
        for match in HYPE_RE.finditer(text):
            findings.append(
                Finding(
                    code="hype_word",
                    severity=WARNING,
                    message=f'Hype wording "{match.group()}" in the {where}.',
                    excerpt=_excerpt(text, match.start(), match.end()),
                )
            )
    return findings


def check_has_references(snapshot: dict[str, Any]) -> list[Finding]:
    """A page with no references at all."""
    if snapshot.get("citations"):
        return []
    return [
        Finding(
            code="no_references",
            severity=WARNING,
            message="The page has no references at all.",
        )
    ]


def cited_pmids(snapshot: dict[str, Any]) -> set[str]:
    """Every PMID the page cites: its reference list plus any ``[PMID:n]`` marker in the text."""
    pmids = {str(c["pmid"]) for c in snapshot.get("citations") or [] if c.get("pmid")}
    for _where, text in _all_text(snapshot):
        pmids.update(MARKER_RE.findall(text))
    return pmids


def check_retracted_citations(
    snapshot: dict[str, Any], retracted_pmids: Collection[str]
) -> list[Finding]:
    """A citation of a retracted paper: blocks approval until it is removed or replaced."""
    retracted = {str(p) for p in retracted_pmids}
    findings = []
    for pmid in sorted(cited_pmids(snapshot) & retracted, key=int):
        text = next(
            (
                c.get("text", "")
                for c in snapshot.get("citations") or []
                if str(c.get("pmid")) == pmid
            ),
            "",
        )
        findings.append(
            Finding(
                code="retracted_citation",
                severity=BLOCKING,
                message=f"PMID {pmid} has been retracted; remove or replace it before approval.",
                excerpt=text,
            )
        )
    return findings


def check_snapshot(
    snapshot: dict[str, Any], *, retracted_pmids: Collection[str] = frozenset()
) -> list[Finding]:
    """
    Run every content check on a revision snapshot; blocking findings first.

    ``retracted_pmids`` is the set of PMIDs known to be retracted (the caller reads it from the
    references app, which `reviews` does not import).
    """
    return [
        *check_retracted_citations(snapshot, retracted_pmids),
        *check_has_references(snapshot),
        *check_uncited_statistics(snapshot),
        *check_hype_words(snapshot),
    ]


def blocking_findings(findings: list[Finding]) -> list[Finding]:
    """The findings that stop an approval."""
    return [f for f in findings if f.is_blocking]


# --- Where retraction status comes from ---------------------------------------------------
# Retractions are live data held by the references app, which `reviews` must not import. The
# articles app registers a source at start-up (`AppConfig.ready`); tests register a fake.

RetractionSource = Callable[[Collection[str]], Collection[str]]
_retraction_source: RetractionSource | None = None


def set_retraction_source(source: RetractionSource | None) -> RetractionSource | None:
    """
    Register the function that, given PMIDs, returns those known to be retracted.

    Returns the source it replaces, so a test can put it back.
    """
    global _retraction_source
    previous, _retraction_source = _retraction_source, source
    return previous


def retracted_among(pmids: Collection[str]) -> set[str]:
    """
    The PMIDs among ``pmids`` that are retracted, from the registered source.

    Without a source this refuses rather than answer "none": an approval must never pass the
    retraction check because nobody wired it up.
    """
    if not pmids:
        return set()
    if _retraction_source is None:
        raise ImproperlyConfigured(
            "No retraction source is registered: call reviews.checks.set_retraction_source() "
            "at start-up (the articles app does this in its AppConfig.ready)."
        )
    return {str(p) for p in _retraction_source(pmids)}
