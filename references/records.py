"""Plain data types and errors shared by the PubMed client and the parsers.

Nothing here imports Django: the client, the parsers and the benchmark run without settings.
`references.pubmed` re-exports every name, so callers import them from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

# PubMed identifiers are positive integers of at most eight digits today; a leading zero would
# make "0123" and "123" two spellings of one record, so it is refused.
PMID_RE = re.compile(r"^[1-9][0-9]{0,7}$")


def is_valid_pmid(value: str) -> bool:
    """Return True if `value` is a well-formed PMID (1-8 digits, no leading zero)."""
    return bool(PMID_RE.match(value))


@dataclass(frozen=True, slots=True)
class Author:
    """One author as PubMed lists it: a person, or a collective (a group or committee).

    A person has `last_name` and usually `fore_name`/`initials`; a collective has only
    `collective_name`. `suffix` holds "Jr", "3rd" and the like, which NLM style keeps.
    """

    last_name: str = ""
    fore_name: str = ""
    initials: str = ""
    collective_name: str = ""
    suffix: str = ""

    @property
    def is_collective(self) -> bool:
        """True for a group author such as "Canadian Respiratory Research Network"."""
        return bool(self.collective_name) and not self.last_name

    def as_dict(self) -> dict[str, str]:
        """A JSON-serialisable dict (the shape stored in `Citation.authors`)."""
        return asdict(self)

    @classmethod
    def from_value(cls, value: Author | Mapping[str, str]) -> Author:
        """Build an Author from an Author or from the dict stored in the database."""
        if isinstance(value, Author):
            return value
        return cls(
            last_name=value.get("last_name") or "",
            fore_name=value.get("fore_name") or "",
            initials=value.get("initials") or "",
            collective_name=value.get("collective_name") or "",
            suffix=value.get("suffix") or "",
        )


@dataclass(frozen=True, slots=True)
class PubmedRecord:
    """The bibliographic metadata of one PubMed record, as the parsers extract it.

    Missing text parts are empty strings and a missing year is None, so that formatting and
    storage never have to tell "absent" from "blank". `month` is what follows the year in the
    publication date ("Mar", "Spring", "Dec-1999 Jan" for a MedlineDate spanning two years);
    `day` is set only beside a single month ("2017 Apr 1").
    """

    pmid: str
    title: str = ""
    doi: str = ""
    authors: tuple[Author, ...] = ()
    journal_abbrev: str = ""
    journal_title: str = ""
    year: int | None = None
    month: str = ""
    # The day of the month, when the publication date has one ("2017 Apr 1"): NLM prints it.
    day: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    publication_types: tuple[str, ...] = ()
    abstract: str = ""
    # Retracted, or retracted in part, or retracted and republished (RETRACTION_STATUSES).
    retracted: bool = False
    retraction_notice_pmid: str = ""
    # The strongest post-publication notice PubMed links ("retracted", "partial_retraction",
    # "retracted_and_republished", "expression_of_concern"; "" for none), and the notice's date
    # as ISO text ("2021", "2021-03", "2021-03-05"; "" when unknown).
    retraction_status: str = ""
    retraction_date: str = ""
    # Extra identifiers (pmc, pii ...) are kept for callers that want them; not stored.
    other_ids: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # What the parser found wrong in this record while the file itself was sound (a year of
    # five digits): the record is kept, and the import reports it instead of storing it.
    problems: tuple[str, ...] = field(default=(), compare=False)

    def authors_as_dicts(self) -> list[dict[str, str]]:
        """Authors in the JSON shape stored by `Citation.authors`."""
        return [author.as_dict() for author in self.authors]


class PubMedError(Exception):
    """Base class of every error raised by the PubMed client and the parsers."""


class PubMedUnavailable(PubMedError):
    """PubMed could not be reached: network down, timeouts or retries exhausted."""


class PubMedResponseError(PubMedError):
    """PubMed answered with an <ERROR> element, or with something that cannot be parsed."""


class PubMedNotFound(PubMedError):
    """Some requested PMIDs do not exist in PubMed.

    `pmids` lists the missing ones; `records` holds the records that were found, so a caller
    that tolerates gaps (the refresh job) can still use them.
    """

    def __init__(self, pmids: Iterable[str], records: Mapping[str, PubmedRecord] | None = None):
        self.pmids = tuple(pmids)
        self.records = dict(records or {})
        super().__init__("PubMed has no record for PMID " + ", ".join(self.pmids))
