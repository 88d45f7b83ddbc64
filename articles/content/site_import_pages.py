"""
The checks of one page of a site file (`articles.content.site_import`, docs/import-site.md).

`page_prepare` turns a page of the file into the data `article_create` takes, or records on its
`PageOutcome` every problem found (not only the first), each named so an editor can find it:
"reference 2: PMID 123 is not in the citation library". References resolve offline, from the
citation library; numbered reference marks in the body become the references' markers; the
previous site's publication date and review lines become data, never sign-offs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils.text import slugify

from articles.content.models import (
    Article,
    ArticleType,
    Comparison,
    Contributor,
    FAQEntry,
    SlugRedirect,
    Takeaway,
    Topic,
)
from articles.content.sanitize import sanitize_html
from references.markers import DOI, PMID, InvalidMarkerError, clean_doi_value, find_markers
from references.models import Citation
from references.records import PMID_RE
from references.services import citations_by_doi

if TYPE_CHECKING:
    from articles.content.site_import import SitePage

PAGE_KEYS = {
    "title": "the page title (required)",
    "slug": "its address (default: made from the title)",
    "standfirst": "the summary under the title",
    "body": "the article HTML (required)",
    "article_type": "one of " + ", ".join(ArticleType.values),
    "takeaways": "a list of sentences",
    "faq": "a list of {question, answer}",
    "comparisons": "a list of {term, explanation}",
    "references": "a list of PMIDs or DOIs",
    "topics": "a list of topic slugs or names (at least one)",
    "published_on": "the original publication date, YYYY-MM-DD",
    "legacy_reviews": 'a list of "Reviewed by <name, credentials> on <date>" lines',
}
LEGACY_REVIEWER_MAX = 200
# C0 controls other than tab, newline and carriage return, DEL, and lone surrogates: no
# database column can hold NUL and no UTF-8 text a lone surrogate, and none belongs in a page.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]+")
# A tag or comment of sanitised HTML (html5ever writes every attribute value in double quotes).
_TAG_RE = re.compile(r'<!--.*?-->|</?[A-Za-z][^\s/>]*(?:[^>"]|"[^"]*")*>', re.DOTALL)
# "[1]", "[1,2]", "[1, 3-5]", "[2–4]": numbered reference marks of the previous site.
_MARK_RE = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;\u2013-]\s*\d{1,3})*)\s*\]")
_MARKERS = r"(?:\[(?:PMID|DOI):[^\]\s<>]+\],?)+"
# Wrappers the previous site put around its marks: a fragment link to its own reference list
# (which is not imported) and a superscript (the page renders its own).
_FRAGMENT_LINK_RE = re.compile(rf'<a href="#[^"]*"[^>]*>\s*({_MARKERS})\s*</a>')
_SUP_RE = re.compile(rf"<sup>\s*({_MARKERS})\s*</sup>")
_REVIEW_LINE_RE = re.compile(
    r"^(?:medically\s+)?reviewed\s+by\s+(?P<reviewer>.+)\s+on\s+(?P<date>.+?)\.?$",
    re.IGNORECASE | re.DOTALL,
)
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")
_RANGE_MAX = 50


@dataclass
class PageOutcome:
    """What became of one page: refused (`problems`), stored (`article_id`), or checked only."""

    page: SitePage
    slug: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    article_id: int | None = None
    revision_number: int | None = None

    @property
    def label(self) -> str:
        """How messages name the page: "page 3 (line 41, slug 'x')"."""
        slug = f", slug '{self.slug}'" if self.slug else ""
        return f"page {self.page.number} (line {self.page.line}{slug})"

    @property
    def refused(self) -> bool:
        """Whether the page was refused (nothing stored for it)."""
        return bool(self.problems)


def json_type(value: Any) -> str:
    """What a JSON value is, in a message's words ("object", "list", "string", ...)."""
    names = {dict: "object", list: "list", str: "string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "number")


def pmid_text(value: Any) -> str:
    """The PMID in 29870458, "29870458" or "PMID: 29870458"; "" if there is none."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    value = re.sub(r"^\s*PMID\s*:?\s*", "", value, flags=re.IGNORECASE).strip()
    return value if PMID_RE.match(value) else ""


class _Page:
    """The checks of one page, collecting every problem rather than stopping at the first."""

    def __init__(self, outcome: PageOutcome, value: dict, *, today: date):
        self.outcome = outcome
        self.value = value
        self.today = today

    def problem(self, message: str) -> None:
        self.outcome.problems.append(message)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.value.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"{key} is missing or empty")
            return ""
        if not isinstance(value, str):
            self.problem(f"{key} must be text, not a JSON {json_type(value)}")
            return ""
        return value.strip()

    def items(self, key: str) -> list:
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{key} must be a list, not a JSON {json_type(value)}")
            return []
        return value

    def entries(self, key: str, fields: tuple[str, ...], model) -> list[dict[str, str]]:
        """A list of objects with text `fields` (FAQ, comparisons), checked against `model`."""
        found = []
        for number, item in enumerate(self.items(key), 1):
            where = f"{key} {number}"
            if not isinstance(item, dict) or set(item) - set(fields):
                self.problem(f"{where} must be an object with {' and '.join(fields)} only")
                continue
            entry = {}
            for name in fields:
                value = item.get(name)
                if not isinstance(value, str) or not value.strip():
                    self.problem(f"{where}: {name} is missing or empty")
                else:
                    entry[name] = value.strip()
                    self._fits(f"{where}: {name}", entry[name], model, name)
            if len(entry) == len(fields):
                found.append(entry)
        return found

    def _fits(self, where: str, value: str, model, name: str) -> None:
        limit = model._meta.get_field(name).max_length
        if limit and len(value) > limit:
            self.problem(f"{where} has {len(value)} characters; at most {limit} fit")

    def date(self, where: str, value: Any) -> date | None:
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.problem(f"{where}: {_shown(value)} is not a date (write it as YYYY-MM-DD)")
        elif parsed > self.today:
            self.problem(f"{where}: {parsed.isoformat()} is in the future")
            return None
        return parsed


def _shown(value: Any) -> str:
    """A value for a message: quoted, shortened to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_date(text: str) -> date | None:
    """A date written as YYYY-MM-DD (or an ISO date and time), "3 March 2019" or "March 3,
    2019"; None if it is none of these."""
    text = " ".join(text.split())
    for parse in (date.fromisoformat, lambda value: datetime.fromisoformat(value).date()):
        try:
            return parse(text)
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date only
        except ValueError:
            pass
    return None


def page_prepare(outcome: PageOutcome, *, author: Contributor | None, today: date) -> dict | None:
    """The `article_create` data of a page, or None (problems recorded on `outcome`)."""
    value = outcome.page.value
    if not isinstance(value, dict):
        outcome.problems.append(
            f'is a JSON {json_type(value)}, not a page object ({{"title": ..., ...}})'
        )
        return None
    value, cleaned = _without_controls(value)
    if cleaned:
        outcome.warnings.append(
            "control characters (invisible, unstorable) were removed from " + ", ".join(cleaned)
        )
    page = _Page(outcome, value, today=today)
    unknown = sorted(str(key) for key in value if key not in PAGE_KEYS)
    if unknown:
        page.problem(
            f"unknown field {', '.join(map(repr, unknown))} (known: {', '.join(PAGE_KEYS)})"
        )
    title = page.text("title", required=True)
    slug = page.text("slug") or slugify(title)
    outcome.slug = slug
    _check_slug(page, slug)
    article_type = page.text("article_type") or ArticleType.EXPLAINER
    if article_type not in ArticleType.values:
        page.problem(f"article_type must be one of {', '.join(ArticleType.values)}")
    takeaways = []
    for number, item in enumerate(page.items("takeaways"), 1):
        if not isinstance(item, str) or not item.strip():
            page.problem(f"takeaway {number} must be a sentence of text")
            continue
        takeaways.append(item.strip())
        page._fits(f"takeaway {number}", item.strip(), Takeaway, "text")
    faq = page.entries("faq", ("question", "answer"), FAQEntry)
    comparisons = page.entries("comparisons", ("term", "explanation"), Comparison)
    topics = _topics(page)
    markers = _references(page)
    body = _body(page, page.text("body", required=True), markers)
    published_on = None
    if value.get("published_on") is not None:
        published_on = page.date("published_on", value["published_on"])
    legacy = _legacy_reviews(page)
    if outcome.problems:
        return None
    return {
        "title": title,
        "slug": slug,
        "standfirst": page.text("standfirst"),
        "body": body,
        "article_type": article_type,
        "takeaways": takeaways,
        "faq": faq,
        "comparisons": comparisons,
        "topics": topics,
        "authors": [author] if author else [],
        "original_published_on": published_on,
        "legacy_reviews": legacy,
    }


def _without_controls(value: Any, path: str = "") -> tuple[Any, list[str]]:
    """`value` with control characters removed from every string, and where they were."""
    if isinstance(value, str):
        cleaned = _CONTROL_RE.sub("", value)
        return cleaned, [path] if cleaned != value else []
    if isinstance(value, list):
        items, where = [], []
        for number, item in enumerate(value, 1):
            item, found = _without_controls(item, f"{path} {number}")
            items.append(item)
            where += found
        return items, where
    if isinstance(value, dict):
        result, where = {}, []
        for key, item in value.items():
            name = _CONTROL_RE.sub("", key)
            item, found = _without_controls(item, f"{path}: {name}" if path else name)
            result[name] = item
            where += found
        return result, where
    return value, []


def _check_slug(page: _Page, slug: str) -> None:
    if not slug:
        return  # the missing title is reported
    existing = Article.objects.filter(slug=slug).values_list("title", flat=True).first()
    if existing is not None:
        page.problem(f"slug already used by the article '{existing}' on this site")
    elif SlugRedirect.objects.filter(old_slug=slug).exists():
        page.problem("slug is a former address of another article on this site (it redirects)")


def _topics(page: _Page) -> list[Topic]:
    names = page.items("topics")
    if not names:
        page.problem("topics: give at least one topic (its slug or name)")
    topics: list[Topic] = []
    for number, name in enumerate(names, 1):
        if not isinstance(name, str) or not name.strip():
            page.problem(f"topic {number} must be a topic's slug or name")
            continue
        name = name.strip()
        topic = (
            Topic.objects.filter(slug=name).first()
            or Topic.objects.filter(name__iexact=name).first()
        )
        if topic is None:
            page.problem(f"topic '{name}' does not exist here; create it in the admin first")
        elif topic not in topics:
            topics.append(topic)
    return topics


def _references(page: _Page) -> list[str | None]:
    """The marker of each reference, by position (None where the reference is refused)."""
    markers: list[str | None] = []
    for number, reference in enumerate(page.items("references"), 1):
        where = f"reference {number}"
        if isinstance(reference, dict):
            if set(reference) not in ({"pmid"}, {"doi"}):
                page.problem(f'{where} must be {{"pmid": ...}} or {{"doi": ...}}')
                markers.append(None)
                continue
            pmid = pmid_text(reference.get("pmid"))
            doi = _doi_text(reference.get("doi"))
        else:
            pmid = pmid_text(reference)
            doi = "" if pmid else _doi_text(reference)
        if pmid:
            markers.append(_pmid_marker(page, where, pmid))
        elif doi:
            markers.append(_doi_marker(page, where, doi))
        else:
            page.problem(f"{where}: {_shown(reference)} is neither a PMID nor a DOI")
            markers.append(None)
    return markers


_IMPORT_FIRST = "import it first with manage.py import_citations (or run with --fetch)"
_IMPORT_FIRST_DOI = (
    "import its PubMed record first (manage.py import_citations) or add it in Citations"
)


def _pmid_marker(page: _Page, where: str, pmid: str) -> str | None:
    if not Citation.objects.filter(pmid=pmid).exists():
        page.problem(f"{where}: PMID {pmid} is not in the citation library; {_IMPORT_FIRST}")
        return None
    return f"[PMID:{pmid}]"


def _doi_text(value: Any) -> str:
    return (clean_doi_value(value) or "") if isinstance(value, str) else ""


def _doi_marker(page: _Page, where: str, doi: str) -> str | None:
    if doi.lower() not in citations_by_doi([doi]):
        page.problem(f"{where}: DOI {doi} is not in the citation library; {_IMPORT_FIRST_DOI}")
        return None
    return f"[DOI:{doi}]"


def _body(page: _Page, html: str, markers: list[str | None]) -> str:
    """The body sanitised, with numbered marks replaced by the references' markers."""
    if not html:
        return ""
    body = sanitize_html(html)
    used: set[int] = set()
    beyond: list[str] = []

    def replace(match: re.Match[str]) -> str:
        numbers = _mark_numbers(match.group(1))
        if not numbers or any(n < 1 or n > len(markers) for n in numbers):
            beyond.append(match.group(0))
            return match.group(0)
        used.update(numbers)
        chosen = [markers[n - 1] for n in numbers]
        return ",".join(marker or "" for marker in chosen)

    pieces, position = [], 0
    for tag in _TAG_RE.finditer(body):
        pieces.append(_MARK_RE.sub(replace, body[position : tag.start()]))
        pieces.append(tag.group(0))
        position = tag.end()
    pieces.append(_MARK_RE.sub(replace, body[position:]))
    body = _SUP_RE.sub(r"\1", _FRAGMENT_LINK_RE.sub(r"\1", "".join(pieces)))
    if beyond:
        page.problem(
            f"body: reference mark {', '.join(dict.fromkeys(beyond))} does not match the "
            f"page's {len(markers)} reference(s)"
        )
    unused = [str(n) for n in range(1, len(markers) + 1) if n not in used]
    try:
        cited = find_markers(body)
    except InvalidMarkerError as error:
        page.problem(f"body: {error}")
        return body
    pmids = [marker.value for marker in cited if marker.kind == PMID]
    known = set(Citation.objects.filter(pmid__in=pmids).values_list("pmid", flat=True))
    for pmid in pmids:
        if pmid not in known:
            page.problem(f"body: PMID {pmid} is not in the citation library; {_IMPORT_FIRST}")
    dois = [marker.value for marker in cited if marker.kind == DOI]
    known = set(citations_by_doi(dois))
    for doi in dois:
        if doi.lower() not in known:
            page.problem(f"body: DOI {doi} is not in the citation library; {_IMPORT_FIRST_DOI}")
    if unused and markers:
        page.outcome.warnings.append(
            f"reference {', '.join(unused)} is not cited in the body, so the page will not "
            "list it (a page's references are the sources its text cites)"
        )
    return body


def _mark_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", text):
        ends = [int(n) for n in re.split(r"\s*[\u2013-]\s*", part)]
        if len(ends) == 1:
            numbers.append(ends[0])
        elif len(ends) == 2 and ends[0] <= ends[1] <= ends[0] + _RANGE_MAX:
            numbers.extend(range(ends[0], ends[1] + 1))
        else:
            return []
    return list(dict.fromkeys(numbers))


def _legacy_reviews(page: _Page) -> list[dict[str, str]]:
    """The previous site's review lines as data: [{"reviewer", "date" (YYYY-MM-DD)}]."""
    lines = []
    for number, item in enumerate(page.items("legacy_reviews"), 1):
        where = f"legacy review {number}"
        if isinstance(item, str):
            match = _REVIEW_LINE_RE.match(item.strip())
            if not match:
                page.problem(
                    f'{where} must read "Reviewed by <name, credentials> on <date>" '
                    '(or be {"reviewer": ..., "date": ...})'
                )
                continue
            reviewer, when = match.group("reviewer"), match.group("date")
        elif isinstance(item, dict) and set(item) == {"reviewer", "date"}:
            reviewer, when = item["reviewer"], item["date"]
        else:
            page.problem(f'{where} must be a line of text or {{"reviewer": ..., "date": ...}}')
            continue
        reviewer = " ".join(reviewer.split()) if isinstance(reviewer, str) else ""
        if not reviewer:
            page.problem(f"{where}: the reviewer is missing")
        elif len(reviewer) > LEGACY_REVIEWER_MAX:
            page.problem(f"{where}: the reviewer has more than {LEGACY_REVIEWER_MAX} characters")
        reviewed_on = page.date(where, when)
        if reviewer and reviewed_on and len(reviewer) <= LEGACY_REVIEWER_MAX:
            lines.append({"reviewer": reviewer, "date": reviewed_on.isoformat()})
    return lines
