"""Writes to citations: every path that stores PubMed or Crossref metadata goes through these.

Admin views, management commands, the demo loader and the articles app call these, so a
citation is validated (`full_clean`) and its evidence label derived the same way whoever
stores it. Functions take the PubMed client as `client=` so tests pass a fake; production
code builds one with `pubmed_client_from_settings()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import capfirst
from django_ratelimit.core import get_usage

from references.crossref import (
    CrossrefClient,
    CrossrefError,
    CrossrefUnavailable,
    CrossrefWork,
)
from references.evidence import EvidenceLabel, evidence_label_for
from references.markers import clean_doi_value
from references.models import Citation
from references.parsers.common import RETRACTION_STATUSES, STATUS_ORDER
from references.pubmed import (
    MAX_IDS_PER_REQUEST,
    REQUESTS_PER_SECOND_WITH_KEY,
    REQUESTS_PER_SECOND_WITHOUT_KEY,
    PubMedClient,
    PubMedNotFound,
    PubmedRecord,
    PubMedResponseError,
    PubMedUnavailable,
    is_valid_pmid,
)
from references.signals import citation_notices_changed


class CitationsUnavailable(Exception):
    """PubMed could not be asked about `pmids` (network down, NCBI error); nothing was stored."""

    def __init__(self, pmids: Iterable[str], reason: str = ""):
        self.pmids = tuple(pmids)
        self.reason = reason
        super().__init__(
            f"PubMed could not be reached to check PMID {', '.join(self.pmids)}"
            + (f" ({reason})" if reason else "")
        )


class CitationsNotFound(ValidationError):
    """PubMed has no record for `pmids`; nothing was stored.

    A ValidationError, because it is the editor's input that is wrong: forms show it as is.
    """

    def __init__(self, pmids: Iterable[str]):
        self.pmids = tuple(pmids)
        super().__init__(
            f"PubMed has no record for PMID {', '.join(self.pmids)}. Check the number.",
            code="pmid_not_found",
        )


class DoisUnavailable(Exception):
    """Crossref could not be asked about `dois` (network down, Crossref error); nothing stored."""

    def __init__(self, dois: Iterable[str], reason: str = ""):
        self.dois = tuple(dois)
        self.reason = reason
        super().__init__(
            f"Crossref could not be reached to look up DOI {', '.join(self.dois)}"
            + (f" ({reason})" if reason else "")
        )


class DoisNotFound(ValidationError):
    """Crossref has no record of `dois`; nothing was stored. The editor's input is wrong."""

    def __init__(self, dois: Iterable[str]):
        self.dois = tuple(dois)
        super().__init__(
            f"Crossref has no record of DOI {', '.join(self.dois)}. Check the DOI, or add the "
            "source under Citations (as a web page or a manual entry) and cite it with "
            "[REF:name].",
            code="doi_not_found",
        )


class UnknownMarkerNames(ValidationError):
    """No citation has these marker names (`[REF:name]`); nothing was stored."""

    def __init__(self, names: Iterable[str]):
        self.names = tuple(names)
        super().__init__(
            f"No source has the marker name {', '.join(self.names)}. Give the name to the "
            "source under Citations (field “marker name”), or correct the marker.",
            code="unknown_marker_name",
        )


@dataclass(frozen=True)
class RecordProblem:
    """Why one record of an import cannot be stored: where it is, its PMID, what is wrong."""

    position: int  # 1 for the first record given
    pmid: str
    message: str

    def __str__(self) -> str:
        return f"Record {self.position} (PMID {self.pmid}): {self.message}"


@dataclass(frozen=True)
class ImportResult:
    """What `citations_import_records` did; `skipped` lists the records it could not store."""

    created: list[Citation] = field(default_factory=list)
    updated: list[Citation] = field(default_factory=list)
    unchanged: list[Citation] = field(default_factory=list)
    skipped: list[RecordProblem] = field(default_factory=list)


@dataclass(frozen=True)
class RefreshResult:
    """What `citations_refresh` did. `newly_retracted` drives flagging of live articles."""

    checked: int = 0
    updated: list[Citation] = field(default_factory=list)
    newly_retracted: list[Citation] = field(default_factory=list)
    # Every citation whose notice was recorded or changed (retractions and concerns).
    new_notices: list[Citation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # PubMed no longer has these PMIDs
    failed: list[str] = field(default_factory=list)  # could not be checked this time
    errors: list[str] = field(default_factory=list)


logger = logging.getLogger(__name__)


def pubmed_client_from_settings(*, deadline: float | None = None) -> PubMedClient:
    """
    A PubMed client configured from the PUBMED_* settings, sharing NCBI's rate limit.

    `deadline` bounds each `fetch` in seconds (an admin save passes PUBMED_SAVE_DEADLINE; the
    nightly refresh passes none). The rate limit is counted in the shared cache, so all workers
    and servers together stay under NCBI's 3 (or, with an API key, 10) requests a second.
    """
    api_key = getattr(settings, "PUBMED_API_KEY", "") or None
    return PubMedClient(
        tool=getattr(settings, "PUBMED_TOOL", "") or "healthpages-cms",
        email=getattr(settings, "PUBMED_EMAIL", ""),
        api_key=api_key,
        timeout=float(getattr(settings, "PUBMED_TIMEOUT", 10)),
        url=settings.PUBMED_EFETCH_URL,
        deadline=deadline,
        shared_slot=ncbi_shared_slot(
            REQUESTS_PER_SECOND_WITH_KEY if api_key else REQUESTS_PER_SECOND_WITHOUT_KEY
        ),
    )


def pubmed_client_for_save() -> PubMedClient:
    """The client of an editor's save: it gives up after PUBMED_SAVE_DEADLINE seconds."""
    return pubmed_client_from_settings(deadline=float(settings.PUBMED_SAVE_DEADLINE))


# No slot is granted in the last part of a second (see `ncbi_shared_slot`).
GRANT_MARGIN = 0.1


def ncbi_shared_slot(requests_per_second: int):
    """
    A `SharedSlot` for NCBI: one atomic count per second in the shared cache (Redis in
    production), taken and checked in the same increment, so several processes together send
    at most `requests_per_second` requests in any calendar second.

    If the cache cannot count (it is down), requests go on with each process's own spacing
    only: a short burst over NCBI's limit is better than no citations at all.
    """

    def take() -> float:
        into_second = time.time() % 1.0
        if into_second > 1.0 - GRANT_MARGIN:
            # Granted this late, the request would reach NCBI in the next second, whose count
            # other processes may already have filled.
            return 1.0 - into_second + 0.001
        try:
            usage = get_usage(
                None,
                group="references.ncbi-eutils",
                key=lambda group, request: "eutils",
                rate=(requests_per_second, 1),
                increment=True,
            )
        except Exception:  # the cache is down: see the docstring
            logger.warning("NCBI rate limit: the shared cache did not answer", exc_info=True)
            return 0.0
        if usage is None or usage["limit"] == 0 or not usage["should_limit"]:
            return 0.0
        return 1.0 - (time.time() % 1.0) + 0.001  # the next calendar second

    return take


class NoNetwork:
    """
    A stand-in client for code that runs inside a transaction: it never reaches PubMed nor
    Crossref (it stands in for both).

    Citations are fetched before a save's transaction opens (`citations_ensure` with a real
    client); inside the transaction the same body is resolved with this one, so a PMID that is
    still unknown there is refused as unavailable instead of holding locks while NCBI answers.
    """

    def fetch(self, pmids: Iterable[str]) -> dict[str, PubmedRecord]:
        raise PubMedUnavailable("its record was not fetched before the save began")

    def work(self, doi: str) -> CrossrefWork | None:
        raise CrossrefUnavailable("its record was not fetched before the save began")


OFFLINE = NoNetwork()


def in_transaction(using: str | None = None) -> bool:
    """
    Whether the code runs inside a transaction that this request or command opened.

    The test case's own wrapping transaction does not count (Django marks it), so tests see the
    same answer as production.
    """
    return any(
        not getattr(block, "_from_testcase", False)
        for block in transaction.get_connection(using).atomic_blocks
    )


def _refuse_network_in_transaction(pmids: Sequence[str], *, service: str = "PubMed") -> None:
    # A network call inside a transaction holds its locks (on SQLite, the whole database's
    # write lock) for as long as NCBI (or Crossref) takes: a programming error, caught by the
    # tests.
    if in_transaction():
        what = "PMID" if service == "PubMed" else "DOI"
        raise RuntimeError(
            f"{service} was about to be asked for {what} {', '.join(pmids)} inside a database "
            "transaction: fetch citations before the transaction opens (see citations_ensure)."
        )


def _validate_pmids(pmids: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(str(pmid).strip() for pmid in pmids))
    invalid = [pmid for pmid in wanted if not is_valid_pmid(pmid)]
    if invalid:
        raise ValidationError(
            f"Not a valid PMID: {', '.join(invalid)}. A PMID has 1 to 8 digits and does not "
            "start with 0.",
            code="invalid_pmid",
        )
    return wanted


def _fit(value: str, field_name: str) -> str:
    # PubMed is the authority on its metadata; a display field longer than our column (a very
    # long season range, say) is shortened rather than blocking the import of the citation.
    max_length = Citation._meta.get_field(field_name).max_length
    return value[:max_length] if max_length else value


@dataclass(frozen=True)
class Notice:
    """A post-publication notice on a paper, as one source reports it."""

    status: str
    source: str
    date: str = ""
    notice_pmid: str = ""
    notice_doi: str = ""


NOTICE_FIELDS = (
    "retracted",
    "retraction_status",
    "retraction_source",
    "retraction_date",
    "retraction_notice_pmid",
    "retraction_notice_doi",
    "retraction_recorded_at",
)


def _notice_of_record(record: PubmedRecord, source: str) -> Notice | None:
    if not record.retraction_status:
        return None
    origin = (
        Citation.RetractionSource.FILE
        if source == Citation.Source.FILE
        else Citation.RetractionSource.PUBMED
    )
    return Notice(
        status=record.retraction_status,
        source=origin,
        date=record.retraction_date,
        notice_pmid=record.retraction_notice_pmid,
    )


def _notice_of_work(work: CrossrefWork | None) -> Notice | None:
    update = work.notice() if work is not None else None
    if update is None:
        return None
    return Notice(
        status=update.status, source=update.source, date=update.date, notice_doi=update.doi
    )


def _record_notice(citation: Citation, notices: Iterable[Notice | None], now: datetime) -> bool:
    """
    Keep the strongest of the citation's notice and `notices`; return whether it changed.

    A notice only ever gets stronger here: a source that is silent this time (Crossref down,
    PubMed not yet indexing a Retraction Watch entry) never clears an alert another source
    raised. Among equals the one stored stays, so `retraction_recorded_at` (which a physician's
    later approval is compared with) does not move.
    """
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    best: Notice | None = None
    if citation.retraction_status:
        best = Notice(
            status=citation.retraction_status,
            source=citation.retraction_source,
            date=citation.retraction_date,
            notice_pmid=citation.retraction_notice_pmid,
            notice_doi=citation.retraction_notice_doi,
        )
    for notice in notices:
        if (
            notice is not None
            and notice.status in rank
            and (best is None or rank[notice.status] < rank[best.status])
        ):
            best = notice
    if best is None or best.status == citation.retraction_status:
        return False
    citation.retraction_status = best.status
    citation.retraction_source = best.source
    citation.retraction_date = best.date
    citation.retraction_notice_pmid = best.notice_pmid or citation.retraction_notice_pmid
    citation.retraction_notice_doi = _fit(best.notice_doi, "retraction_notice_doi")
    citation.retraction_recorded_at = now
    citation.retracted = best.status in RETRACTION_STATUSES
    return True


def _apply_record(
    citation: Citation,
    record: PubmedRecord,
    *,
    source: str,
    now: datetime,
    crossref: Notice | None = None,
) -> list[str]:
    """
    Copy a parsed record (and a Crossref notice) onto `citation`; return the names of the
    fields that changed.
    """
    values = {
        "pmid": record.pmid,
        "doi": record.doi,
        "title": record.title or f"PubMed record {record.pmid}",
        "authors": record.authors_as_dicts(),
        "journal_abbrev": _fit(record.journal_abbrev, "journal_abbrev"),
        "journal_title": _fit(record.journal_title, "journal_title"),
        "year": record.year,
        "month": _fit(record.month, "month"),
        "day": record.day,
        "volume": _fit(record.volume, "volume"),
        "issue": _fit(record.issue, "issue"),
        "pages": _fit(record.pages, "pages"),
        "publication_types": list(record.publication_types),
        "abstract": record.abstract,
        "evidence_label": evidence_label_for(record.publication_types).value,
        "source": source,
    }
    changed = [name for name, value in values.items() if getattr(citation, name) != value]
    for name in changed:
        setattr(citation, name, values[name])
    if _record_notice(citation, [_notice_of_record(record, source), crossref], now):
        changed += NOTICE_FIELDS
    citation.last_checked_at = now
    return changed


def _create(record: PubmedRecord, *, source: str, now: datetime) -> Citation:
    """Create a citation from a record; if another request just created it, return that one."""
    citation = Citation()
    _apply_record(citation, record, source=source, now=now)
    # (A new citation is cited by no live page yet: there is nobody to alert.)
    # Uniqueness is enforced by the database below, which also covers a concurrent insert.
    citation.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            citation.save()
    except IntegrityError:
        return Citation.objects.get(pmid=record.pmid)
    return citation


def citations_ensure(
    *, pmids: Sequence[str], client: PubMedClient, now: datetime | None = None
) -> dict[str, Citation]:
    """Return `{pmid: Citation}` for `pmids` (in their order), fetching unknown ones.

    Known PMIDs are read from the database without any network call. Unknown ones are fetched
    from PubMed in one batch and stored together: if PubMed cannot be reached,
    `CitationsUnavailable` lists the PMIDs that could not be checked; if PubMed has no record
    for some, `CitationsNotFound` lists them. In both cases nothing of the batch is stored.
    Raises ValidationError for a malformed PMID.

    The network call is made before the write transaction opens, so this function never holds
    a transaction of its own open while waiting for NCBI; called inside a caller's transaction
    with a real client it raises RuntimeError rather than ask (pass `OFFLINE` there).
    """
    wanted = _validate_pmids(pmids)
    found = {citation.pmid: citation for citation in Citation.objects.filter(pmid__in=wanted)}
    missing = [pmid for pmid in wanted if pmid not in found]
    if missing:
        if not isinstance(client, NoNetwork):
            _refuse_network_in_transaction(missing)
        try:
            records = client.fetch(missing)
        except PubMedNotFound as exc:
            raise CitationsNotFound(exc.pmids) from exc
        except (PubMedUnavailable, PubMedResponseError) as exc:
            raise CitationsUnavailable(missing, reason=str(exc)) from exc
        now = now or timezone.now()
        with transaction.atomic():
            for pmid in missing:
                found[pmid] = _create(records[pmid], source=Citation.Source.PUBMED, now=now)
    return {pmid: found[pmid] for pmid in wanted}


def citation_create_from_pmid(
    *, pmid: str, client: PubMedClient, now: datetime | None = None
) -> Citation:
    """Fetch one PMID from PubMed and store it; an existing citation is returned unchanged.

    Raises like `citations_ensure`.
    """
    return citations_ensure(pmids=[pmid], client=client, now=now)[str(pmid).strip()]


def citations_validate_records(
    *, records: Sequence[PubmedRecord], source: str = Citation.Source.FILE
) -> list[RecordProblem]:
    """Check every record against the citation's rules, storing nothing; list the bad ones.

    Two sources of problems: what the parser could not read in a record (`record.problems`:
    a year of five digits), and the model's rules (`full_clean`: a DOI longer than the
    column). Whether the PMID is already stored does not matter here (a known PMID is
    updated). `citations_import_records` calls this first; `manage.py import_citations` calls
    it on a whole file before importing it in chunks, to report every bad record at once.
    """
    now = timezone.now()
    problems = []
    for position, record in enumerate(records, start=1):
        messages = list(record.problems)
        if not record.pmid:
            messages.append("The record has no PMID.")
        citation = Citation()
        _apply_record(citation, record, source=source, now=now)
        try:
            # The model's check constraints ask for a well-formed PMID, which the field's
            # validator and the line above cover; each costs a query, so they are left to the
            # save, which checks them again.
            citation.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            messages.append(_problem_text(exc, citation))
        if messages:
            problems.append(
                RecordProblem(position=position, pmid=record.pmid, message=" ".join(messages))
            )
    return problems


def _problem_text(error: ValidationError, citation: Citation) -> str:
    """A validation error in one line an editor can act on: "Year 99999: Ensure this ..."."""
    parts = []
    for name, messages in error.message_dict.items():
        if name == NON_FIELD_ERRORS:
            parts.extend(messages)
            continue
        value = str(getattr(citation, name))
        # Short values are shown, so the editor sees what the file says; a 300-character DOI
        # is not, the message gives its length.
        shown = f" {value}" if value and len(value) <= 40 else ""
        label = capfirst(Citation._meta.get_field(name).verbose_name)
        parts.append(f"{label}{shown}: {' '.join(messages)}")
    return " ".join(parts)


@transaction.atomic
def citations_import_records(
    *,
    records: Iterable[PubmedRecord],
    source: str = Citation.Source.FILE,
    now: datetime | None = None,
    skip_invalid: bool = False,
) -> ImportResult:
    """Store parsed records (from a PubMed file or a fetch): create new PMIDs, update known ones.

    Every record is validated first (`citations_validate_records`). By default the import is
    all or nothing: if any record is invalid, a ValidationError lists them all, one message
    per record, and nothing is stored. With `skip_invalid`, the valid records are stored and
    the invalid ones are listed in `ImportResult.skipped`. Manual citations that happen to
    carry the same PMID are overwritten with PubMed's metadata, which is the authority for a
    PMID.
    """
    now = now or timezone.now()
    records = list(records)
    problems = citations_validate_records(records=records, source=source)
    if problems and not skip_invalid:
        raise ValidationError(
            [ValidationError(str(problem), code="invalid_record") for problem in problems]
        )
    invalid = {problem.position for problem in problems}
    records = [record for position, record in enumerate(records, 1) if position not in invalid]
    existing = {
        citation.pmid: citation
        for citation in Citation.objects.select_for_update().filter(
            pmid__in=[record.pmid for record in records]
        )
    }
    result = ImportResult(skipped=problems)
    noticed = []
    for record in records:
        citation = existing.get(record.pmid)
        if citation is None:
            citation = _create(record, source=source, now=now)
            existing[record.pmid] = citation
            result.created.append(citation)
            continue
        changed = _apply_record(citation, record, source=source, now=now)
        citation.full_clean()
        citation.save(update_fields=[*changed, "last_checked_at", "updated_at"])
        (result.updated if changed else result.unchanged).append(citation)
        if "retraction_status" in changed:
            noticed.append(citation)
    if noticed:
        # In this transaction: the pages citing them are flagged with it, or nothing is.
        citation_notices_changed.send(sender=Citation, citations=noticed)
    return result


def crossref_client_from_settings(*, deadline: float | None = None) -> CrossrefClient:
    """
    A Crossref client in the polite pool: CROSSREF_MAILTO (or PUBMED_EMAIL), CROSSREF_URL.

    With `deadline` (an editor's save passes PUBMED_SAVE_DEADLINE) each lookup is one attempt
    that ends within that many seconds, without the retries and backoff of a nightly refresh.
    """
    timeout = float(getattr(settings, "PUBMED_TIMEOUT", 10))
    options = {}
    if deadline is not None:
        timeout = min(timeout, deadline)
        options["max_retries"] = 0
    return CrossrefClient(
        mailto=getattr(settings, "CROSSREF_MAILTO", "") or getattr(settings, "PUBMED_EMAIL", ""),
        tool=getattr(settings, "PUBMED_TOOL", "") or "healthpages-cms",
        timeout=timeout,
        url=settings.CROSSREF_WORKS_URL,
        **options,
    )


# --- Citations by DOI (Crossref) ------------------------------------------------------------


def _validate_dois(dois: Iterable[str]) -> list[str]:
    wanted: dict[str, str] = {}
    invalid = []
    for value in dois:
        doi = clean_doi_value(str(value))
        if doi is None:
            invalid.append(str(value))
        else:
            wanted.setdefault(doi.lower(), doi)
    if invalid:
        raise ValidationError(
            f"Not a valid DOI: {', '.join(invalid)}. A DOI starts with 10., then its prefix "
            "digits, a slash and the rest (e.g. 10.1097/AAP.0000000000000808).",
            code="invalid_doi",
        )
    return list(wanted.values())


def citations_by_doi(dois: Iterable[str]) -> dict[str, Citation]:
    """
    `{doi in lower case: Citation}` for the stored DOIs among `dois`, without network.

    DOIs ignore case. When several citations share a DOI (a PubMed record and an entry made
    from Crossref), the PubMed record is the one cited: PubMed is the authority on its records.
    """
    keys = {doi.lower() for doi in dois}
    if not keys:
        return {}
    rows = (
        Citation.objects.annotate(doi_key=Lower("doi"))
        .filter(doi_key__in=keys)
        .annotate(
            preference=Case(
                When(pmid__isnull=False, then=Value(0)),
                When(source=Citation.Source.CROSSREF, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("preference", "pk")
    )
    found: dict[str, Citation] = {}
    for citation in rows:
        found.setdefault(citation.doi_key, citation)
    return found


def _apply_work(citation: Citation, work: CrossrefWork, *, now: datetime) -> list[str]:
    """Copy a Crossref work onto `citation`; return the names of the fields that changed."""
    values = {
        "doi": _fit(work.doi, "doi"),
        "title": work.title or f"Crossref work {work.doi}",
        "authors": work.authors_as_dicts(),
        "journal_abbrev": _fit(work.journal_abbrev, "journal_abbrev"),
        "journal_title": _fit(work.journal_title, "journal_title"),
        "year": work.year,
        "month": _fit(work.month, "month"),
        "day": work.day,
        "volume": _fit(work.volume, "volume"),
        "issue": _fit(work.issue, "issue"),
        "pages": _fit(work.pages, "pages"),
        "source": Citation.Source.CROSSREF,
    }
    changed = [name for name, value in values.items() if getattr(citation, name) != value]
    for name in changed:
        setattr(citation, name, values[name])
    if _record_notice(citation, [_notice_of_work(work)], now):
        changed += NOTICE_FIELDS
    citation.last_checked_at = now
    return changed


def _create_from_work(work: CrossrefWork, *, now: datetime) -> Citation:
    """Create a citation from a Crossref work; if another request just made it, return that."""
    citation = Citation(evidence_label=EvidenceLabel.OTHER.value)
    _apply_work(citation, work, now=now)
    citation.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            citation.save()
    except IntegrityError:
        return citations_by_doi([work.doi])[work.doi.lower()]
    return citation


def citations_ensure_dois(
    *, dois: Sequence[str], client: CrossrefClient | NoNetwork, now: datetime | None = None
) -> dict[str, Citation]:
    """Return `{doi in lower case: Citation}` for `dois`, looking unknown ones up on Crossref.

    The DOI twin of `citations_ensure`, with the same rules: known DOIs (any case, PubMed
    records first) are read without network; unknown ones are asked of Crossref one by one
    before any is stored, then stored together. `DoisUnavailable` when Crossref cannot be
    reached, `DoisNotFound` when it has no such DOI; nothing is stored in either case. Raises
    ValidationError for a malformed DOI, and RuntimeError when called with a real client
    inside a transaction (pass `OFFLINE` there).
    """
    wanted = _validate_dois(dois)
    found = citations_by_doi(wanted)
    missing = [doi for doi in wanted if doi.lower() not in found]
    if missing:
        if not isinstance(client, NoNetwork):
            _refuse_network_in_transaction(missing, service="Crossref")
        works: dict[str, CrossrefWork] = {}
        unknown = []
        try:
            for doi in missing:
                work = client.work(doi)
                if work is None:
                    unknown.append(doi)
                else:
                    works[doi.lower()] = work
        except CrossrefError as exc:
            raise DoisUnavailable(missing, reason=str(exc)) from exc
        if unknown:
            raise DoisNotFound(unknown)
        now = now or timezone.now()
        with transaction.atomic():
            for doi in missing:
                found[doi.lower()] = _create_from_work(works[doi.lower()], now=now)
    return {doi.lower(): found[doi.lower()] for doi in wanted}


@transaction.atomic
def citations_import_works(
    *, works: Iterable[CrossrefWork], now: datetime | None = None
) -> ImportResult:
    """Store Crossref works read from a file (`manage.py import_citations --file`).

    A DOI already stored from Crossref is updated; one already cited through a PubMed record
    is left alone (PubMed is the authority on its records) and counted as unchanged. All or
    nothing: a work that cannot be stored raises ValidationError and nothing is stored.
    """
    now = now or timezone.now()
    result = ImportResult()
    noticed = []
    for position, work in enumerate(works, start=1):
        existing = citations_by_doi([work.doi]).get(work.doi.lower())
        if existing is not None and existing.source != Citation.Source.CROSSREF:
            result.unchanged.append(existing)
            continue
        citation = existing or Citation(evidence_label=EvidenceLabel.OTHER.value)
        changed = _apply_work(citation, work, now=now)
        try:
            citation.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(
                f"Work {position} (DOI {work.doi}): {_problem_text(exc, citation)}",
                code="invalid_record",
            ) from exc
        if existing is None:
            citation.save()
            result.created.append(citation)
            continue
        citation.save(update_fields=[*changed, "last_checked_at", "updated_at"])
        (result.updated if changed else result.unchanged).append(citation)
        if "retraction_status" in changed:
            noticed.append(citation)
    if noticed:
        citation_notices_changed.send(sender=Citation, citations=noticed)
    return result


def citations_for_marker_names(names: Sequence[str]) -> dict[str, Citation]:
    """`{name: Citation}` for `[REF:name]` markers (no network); `UnknownMarkerNames` if any
    name belongs to no citation."""
    wanted = list(dict.fromkeys(name.lower() for name in names))
    found = {c.cite_key: c for c in Citation.objects.filter(cite_key__in=wanted)}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise UnknownMarkerNames(unknown)
    return {name: found[name] for name in wanted}


def citations_refresh(
    *,
    client: PubMedClient,
    now: datetime,
    batch_size: int = MAX_IDS_PER_REQUEST,
    crossref: CrossrefClient | None = None,
) -> RefreshResult:
    """Re-fetch every PubMed citation's metadata in batches; record new notices.

    Citations checked longest ago go first. For each batch, PubMed is asked (EFetch) and, with
    `crossref`, Crossref too, for each DOI (publishers' notices and Retraction Watch); with
    `crossref`, the citations made from Crossref (cited by DOI) are re-read one by one after
    the PubMed ones, each stored in its own transaction (`missing` and `failed` then list
    DOIs beside PMIDs); then the
    batch is stored in one transaction together with the alerts of the pages citing a newly
    noticed paper (`citation_notices_changed`, which the articles app answers). A batch either
    fails whole (listed in `failed`, retried first by the next run, since it stays "checked
    longest ago") or commits whole: a crash after an earlier batch loses none of its alerts.
    """
    if not 1 <= batch_size <= MAX_IDS_PER_REQUEST:
        raise ValueError(f"batch_size must be between 1 and {MAX_IDS_PER_REQUEST}.")
    pmids = list(
        Citation.objects.with_pmid()
        .exclude(source=Citation.Source.MANUAL)
        .order_by(F("last_checked_at").asc(nulls_first=True), "pk")
        .values_list("pmid", flat=True)
    )
    result = RefreshResult()
    checked = 0
    for start in range(0, len(pmids), batch_size):
        batch = pmids[start : start + batch_size]
        _refuse_network_in_transaction(batch)
        try:
            records = client.fetch(batch)
        except PubMedNotFound as exc:
            records = exc.records
            result.missing.extend(exc.pmids)
        except (PubMedUnavailable, PubMedResponseError) as exc:
            result.failed.extend(batch)
            result.errors.append(str(exc))
            continue
        try:
            crossref_notices = _crossref_notices(crossref, records)
        except CrossrefError as exc:
            result.failed.extend(batch)
            result.errors.append(str(exc))
            continue
        checked += _store_refreshed(records, crossref_notices, now=now, result=result)
    if crossref is not None:
        checked += _refresh_crossref_citations(crossref, now=now, result=result)
    return RefreshResult(
        checked=checked,
        updated=result.updated,
        newly_retracted=result.newly_retracted,
        new_notices=result.new_notices,
        missing=result.missing,
        failed=result.failed,
        errors=result.errors,
    )


def _crossref_notices(
    crossref: CrossrefClient | None, records: dict[str, PubmedRecord]
) -> dict[str, Notice | None]:
    """{pmid: Crossref's notice} for the records with a DOI (none without a client)."""
    if crossref is None:
        return {}
    notices = {}
    for pmid, record in records.items():
        if not record.doi:
            continue
        try:
            notices[pmid] = _notice_of_work(crossref.work(record.doi))
        except ValueError:
            continue  # not a DOI Crossref could know
    return notices


@transaction.atomic
def _store_refreshed(
    records: dict[str, PubmedRecord],
    crossref_notices: dict[str, Notice | None],
    *,
    now: datetime,
    result: RefreshResult,
) -> int:
    citations = Citation.objects.select_for_update().filter(pmid__in=list(records))
    count = 0
    noticed = []
    for citation in citations:
        changed = _apply_record(
            citation,
            records[citation.pmid],
            source=Citation.Source.PUBMED,
            now=now,
            crossref=crossref_notices.get(citation.pmid),
        )
        citation.full_clean()
        citation.save(update_fields=[*changed, "last_checked_at", "updated_at"])
        count += 1
        if changed:
            result.updated.append(citation)
        if "retraction_status" in changed:
            noticed.append(citation)
            result.new_notices.append(citation)
            if citation.retracted:
                result.newly_retracted.append(citation)
    if noticed:
        citation_notices_changed.send(sender=Citation, citations=noticed)
    return count


def _refresh_crossref_citations(
    crossref: CrossrefClient, *, now: datetime, result: RefreshResult
) -> int:
    dois = list(
        Citation.objects.filter(source=Citation.Source.CROSSREF)
        .order_by(F("last_checked_at").asc(nulls_first=True), "pk")
        .values_list("doi", flat=True)
    )
    count = 0
    for doi in dois:
        _refuse_network_in_transaction([doi], service="Crossref")
        try:
            work = crossref.work(doi)
        except (CrossrefError, ValueError) as exc:
            result.failed.append(doi)
            result.errors.append(str(exc))
            continue
        if work is None:
            result.missing.append(doi)
            continue
        count += _store_refreshed_work(doi, work, now=now, result=result)
    return count


@transaction.atomic
def _store_refreshed_work(
    doi: str, work: CrossrefWork, *, now: datetime, result: RefreshResult
) -> int:
    citation = (
        Citation.objects.select_for_update()
        .filter(source=Citation.Source.CROSSREF, doi=doi)
        .first()
    )
    if citation is None:  # deleted meanwhile
        return 0
    changed = _apply_work(citation, work, now=now)
    citation.full_clean(validate_unique=False, validate_constraints=False)
    citation.save(update_fields=[*changed, "last_checked_at", "updated_at"])
    if changed:
        result.updated.append(citation)
    if "retraction_status" in changed:
        result.new_notices.append(citation)
        if citation.retracted:
            result.newly_retracted.append(citation)
        citation_notices_changed.send(sender=Citation, citations=[citation])
    return 1


@transaction.atomic
def citation_save_manual(*, citation: Citation) -> Citation:
    """Save a citation typed in by an editor (no PubMed metadata): labelled as manual."""
    citation.source = Citation.Source.MANUAL
    citation.full_clean()
    citation.save()
    return citation
