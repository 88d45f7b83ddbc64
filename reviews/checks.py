"""
Automatic content checks on a revision snapshot, shown to the reviewer before signing.

They work on the snapshot dict (see docs/architecture.md, "The revision snapshot"), never on the
live article, so the reviewer sees findings for exactly the content they are about to sign. The
HTML is read with the standard library's `html.parser` into paragraphs and list items (a regex
over raw HTML would see a `[PMID:n]` marker in the next paragraph, or a percentage inside an
attribute), each paragraph is split into sentences (pysbd), and each sentence is read for the
claims it makes (`reviews.claims`: absolute, unnamed evidence, promotional, statistic, dosing;
negation, caution and hedging taken into account).

**When a claim is cited.** A claim that needs a source (absolute, unnamed evidence, statistic) is
cited when its own sentence carries a citation mark, or by the paragraph's next mark when no
other claim sentence comes between them: in "Claim A. Claim B [PMID:1]." the mark cites both
(writers often put one mark after a run of two sentences), and "Most people recover within six
weeks. A trial found the same [PMID:1]." cites the first; in "Claim A. Claim B. Claim C
[PMID:1]." B stands between A and the mark, so A is uncited. Promotional wording is reported
whatever cites it, and so is a dose ("check the dose against the cited source").

Findings are warnings for the physician's judgement, each with the exact sentence. A citation of
a retracted paper is *blocking*: `signoff_create` refuses an approval while one remains.
Retraction status is live data (PubMed can retract a paper after the revision was written), so
the caller passes the set of retracted PMIDs it knows about.

(Django's system checks for the REVIEW_* settings live in `reviews.policy`, beside the settings
they validate.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from reviews import claims

WARNING: Literal["warning"] = "warning"
BLOCKING: Literal["blocking"] = "blocking"

# A PubMed citation (retraction checks read PMIDs); `claims.MARKER_RE` is any citation's mark.
MARKER_RE = re.compile(r"\[PMID:\s*(\d{1,9})\]", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """
    One content-check result: a machine code, its severity, a message for the physician, the
    passage (`excerpt`), and for a claim the exact sentence and where on the page it is.
    """

    code: str
    severity: Literal["warning", "blocking"]
    message: str
    excerpt: str = ""
    sentence: str = ""
    where: str = ""

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


# --- The checks ---------------------------------------------------------------------------


def _passages(snapshot: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, paragraph) for everything a reader sees, in page order."""
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


# The claims that need a source, and what the physician is told about each kind.
NEEDS_SOURCE = frozenset({claims.ABSOLUTE, claims.UNNAMED_EVIDENCE, claims.STATISTIC})
CLAIM_FINDINGS = {
    claims.ABSOLUTE: (
        "uncited_absolute_claim",
        'Absolute claim with no source in the {where}: "{phrase}". Is it true for every '
        "patient? Cite the evidence, or soften the wording.",
    ),
    claims.UNNAMED_EVIDENCE: (
        "unnamed_evidence",
        'Appeal to unnamed evidence in the {where}: "{phrase}". Name and cite the study, review '
        "or guideline, or take the appeal out.",
    ),
    claims.PROMOTIONAL: (
        "promotional_wording",
        'Promotional wording in the {where}: "{phrase}". Patient information should inform, '
        "not sell.",
    ),
    claims.STATISTIC: (
        "uncited_statistic",
        'Statistic "{phrase}" in the {where} has no source. Cite where the figure comes from.',
    ),
    claims.DOSING: (
        "dosing",
        'Dose in the {where}: "{phrase}". Check the dose against the cited source.',
    ),
}


def _claim_findings(where: str, paragraph: str) -> Iterator[Finding]:
    """The findings of one paragraph, sentence by sentence, with the citation rule above."""
    read = [(text, claims.sentence_claims(text)) for text in claims.sentences(paragraph)]
    for index, (sentence, found) in enumerate(read):
        cited = _is_cited(read, index)
        for claim in found:
            if claim.kind in NEEDS_SOURCE and cited:
                continue
            code, message = CLAIM_FINDINGS[claim.kind]
            if claim.kind == claims.DOSING and not cited:
                message += " The sentence cites no source."
            yield Finding(
                code=code,
                severity=WARNING,
                message=message.format(where=where, phrase=claim.phrase),
                excerpt=sentence,
                sentence=sentence,
                where=where,
            )


def _is_cited(read: list[tuple[str, tuple[claims.Claim, ...]]], index: int) -> bool:
    """Whether sentence `index` is cited: its own mark, or the next mark before another claim."""
    if claims.MARKER_RE.search(read[index][0]):
        return True
    for sentence, found in read[index + 1 :]:
        if claims.MARKER_RE.search(sentence):
            return True
        if any(claim.kind in NEEDS_SOURCE for claim in found):
            return False  # another claim comes first: the mark is taken to be its source
    return False


def check_claims(snapshot: dict[str, Any]) -> list[Finding]:
    """Uncited absolute claims and statistics, unnamed evidence, promotional wording, doses."""
    return [
        finding
        for where, paragraph in _passages(snapshot)
        for finding in _claim_findings(where, paragraph)
    ]


def reading_grade(snapshot: dict[str, Any]) -> float | None:
    """
    The Flesch-Kincaid grade of the body and FAQ answers (None for a page with no text).

    textstat's English mode fetches the CMU dictionary from the internet on first use; with the
    tag "en-US" it counts syllables with pyphen's bundled hyphenation dictionary instead, so the
    check never needs the network.
    """
    from textstat.textstat import textstatistics

    paragraphs = [
        claims.MARKER_RE.sub("", paragraph).strip()
        for where, paragraph in _passages(snapshot)
        if where in ("body", "FAQ answer")
    ]
    text = " ".join(p if p.endswith((".", "!", "?", ":")) else f"{p}." for p in paragraphs if p)
    if len(text.split()) < 30:
        return None
    statistics = textstatistics()
    statistics.set_lang("en-US")
    return float(statistics.flesch_kincaid_grade(text))


def check_readability(snapshot: dict[str, Any]) -> list[Finding]:
    """A page that reads above REVIEW_READABILITY_MAX_GRADE (patient information: about 8)."""
    grade = reading_grade(snapshot)
    limit = settings.REVIEW_READABILITY_MAX_GRADE
    if grade is None or grade <= limit:
        return []
    return [
        Finding(
            code="readability",
            severity=WARNING,
            message=f"The page reads at US school grade {grade:.1f} (Flesch-Kincaid); "
            f"patient information should aim for grade {limit} or below. Shorter sentences "
            "and everyday words help.",
        )
    ]


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
    for _where, text in _passages(snapshot):
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


# The "Key facts" box of the articles app's content blocks (articles/content/blocks.py): a
# statistic there is the page's headline figure, so each item needs its own source.
KEY_FACTS_CLASS = "key-facts"


class _KeyFactsParser(HTMLParser):
    """The text of each item (li or p) inside a `div.key-facts`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # nesting of divs inside the box; 0 outside it
        self.item: list[str] | None = None
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div":
            classes = (dict(attrs).get("class") or "").split()
            if self.depth or KEY_FACTS_CLASS in classes:
                self.depth += 1
        elif self.depth and tag in ("li", "p") and self.item is None:
            self.item = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth:
            self.depth -= 1
        elif tag in ("li", "p") and self.item is not None:
            self.items.append(" ".join("".join(self.item).split()))
            self.item = None

    def handle_data(self, data: str) -> None:
        if self.item is not None:
            self.item.append(data)


def check_key_facts(snapshot: dict[str, Any]) -> list[Finding]:
    """Each figure in a "Key facts" box needs its source: an item without a marker is flagged."""
    parser = _KeyFactsParser()
    parser.feed(snapshot.get("body", "") or "")
    parser.close()
    return [
        Finding(
            code="uncited_key_fact",
            severity=WARNING,
            message=f'Key fact with no source: "{item}". Cite where each figure comes from.',
            excerpt=item,
            sentence=item,
            where="key facts",
        )
        for item in parser.items
        if item and not claims.MARKER_RE.search(item)
    ]


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_figures(snapshot: dict[str, Any]) -> list[Finding]:
    """
    Figures (the snapshot's "figures"): one without a credit, and one whose alt text only
    repeats its caption (a screen reader then hears the caption twice and never what the
    image shows).
    """
    findings = []
    for figure in snapshot.get("figures") or ():
        caption = str(figure.get("caption") or "")
        where = f"Figure {figure.get('id')}"
        if not str(figure.get("credit") or "").strip():
            findings.append(
                Finding(
                    code="figure_without_credit",
                    severity=WARNING,
                    message="This figure has no credit: say who made it (and under which "
                    "licence) before it is published.",
                    excerpt=caption,
                    where=where,
                )
            )
        if caption.strip() and _same_words(str(figure.get("alt") or ""), caption):
            findings.append(
                Finding(
                    code="figure_alt_repeats_caption",
                    severity=WARNING,
                    message="The figure's alt text repeats its caption: describe what the image "
                    "shows (e.g. the trend a chart makes) for readers who cannot see it.",
                    excerpt=caption,
                    where=where,
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
        *check_key_facts(snapshot),
        *check_claims(snapshot),
        *check_readability(snapshot),
        *check_figures(snapshot),
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
