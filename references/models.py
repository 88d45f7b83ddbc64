"""The Citation model: one source an article can cite, usually a PubMed record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from references.evidence import EvidenceLabel
from references.formatting import (
    MONTHS,
    WEB_PAGE,
    doi_url,
    format_nlm,
    format_nlm_html,
    pubmed_url,
)
from references.markers import REF_KEY_RE
from references.parsers.common import normalise_month
from references.records import PMID_RE

pmid_validator = RegexValidator(
    PMID_RE.pattern,
    "A PMID is 1 to 8 digits and does not start with 0 (for example 29870458).",
)
cite_key_validator = RegexValidator(
    REF_KEY_RE.pattern,
    "Use lower-case letters, digits and single hyphens, e.g. nice-ng59.",
)


class CitationQuerySet(models.QuerySet):
    """Named filters for citations."""

    def with_pmid(self) -> CitationQuerySet:
        """Citations that PubMed can refresh."""
        return self.filter(pmid__isnull=False)

    def retracted(self) -> CitationQuerySet:
        """Citations retracted, in whole or in part (by PubMed or Crossref)."""
        return self.filter(retracted=True)

    def with_notice(self) -> CitationQuerySet:
        """Citations under any post-publication notice: a retraction or an expression of concern."""
        return self.exclude(retraction_status="")


class Citation(models.Model):
    """A source cited by articles: a PubMed record, a work found by DOI on Crossref, or a
    manual entry with a URL (a web page such as a guideline, or another document).

    PubMed- and Crossref-sourced metadata is written only by `references.services` from parsed
    records; the evidence label is derived there from the publication types. Articles cite
    them in the body with `[PMID:n]`, `[DOI:10.x/y]` or, for a citation with a marker name,
    `[REF:name]` (see `references.markers`). Articles snapshot what readers see with
    `snapshot()`, so later metadata changes never alter a signed revision.
    """

    class Source(models.TextChoices):
        """Where the metadata came from."""

        PUBMED = "pubmed", "PubMed"
        FILE = "file", "Imported PubMed file"
        MANUAL = "manual", "Manual entry"
        CROSSREF = "crossref", "Crossref (by DOI)"

    class Kind(models.TextChoices):
        """What the source is; a web page is formatted with its publisher and dates."""

        ARTICLE = "article", "Article, book or report"
        WEB = WEB_PAGE, "Web page (guideline, label, agency page)"

    pmid = models.CharField(
        "PMID",
        max_length=8,
        null=True,  # NULL, not "", for manual entries: many may lack a PMID, yet PMIDs are unique.
        blank=True,
        unique=True,
        validators=[pmid_validator],
        help_text="PubMed ID, 1 to 8 digits (e.g. 29870458). Leave empty only for a source "
        "that is not in PubMed, and give its URL instead.",
    )
    doi = models.CharField(
        "DOI",
        max_length=255,
        blank=True,
        help_text="Digital Object Identifier, e.g. 10.1097/AAP.0000000000000808 (no 'doi:').",
    )
    title = models.TextField(help_text="The article or document title, as published.")
    authors = models.JSONField(
        default=list,
        blank=True,
        help_text="Authors in published order: people (last name, fore name, initials) and "
        "groups (collective name). Filled from PubMed.",
    )
    journal_abbrev = models.CharField(
        "journal abbreviation",
        max_length=255,
        blank=True,
        help_text="NLM journal abbreviation used in the reference, e.g. 'Reg Anesth Pain Med'.",
    )
    journal_title = models.CharField(
        max_length=500,
        blank=True,
        help_text="Full journal title (or, for a manual entry, the publisher or website).",
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Year of publication.")
    month = models.CharField(
        max_length=32,
        blank=True,
        help_text="Month or season as NLM prints it: 'Jul', 'Spring', 'Dec-1999 Jan'.",
    )
    day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Day of the month of publication, when the source gives one (shown as "
        "'2017 Apr 1'). Needs a month.",
    )
    volume = models.CharField(max_length=32, blank=True, help_text="Journal volume.")
    issue = models.CharField(max_length=64, blank=True, help_text="Journal issue.")
    pages = models.CharField(
        max_length=64, blank=True, help_text="Page range or article number, e.g. 521-546."
    )
    publication_types = models.JSONField(
        default=list,
        blank=True,
        help_text="PubMed publication types (e.g. 'Randomized Controlled Trial'). The evidence "
        "label is derived from these.",
    )
    abstract = models.TextField(
        blank=True, help_text="Abstract from PubMed, for editors and reviewers; not published."
    )
    evidence_label = models.CharField(
        max_length=32,
        choices=EvidenceLabel.choices(),
        default=EvidenceLabel.OTHER.value,
        help_text="Type of evidence shown beside the reference. Derived from the publication "
        "types for PubMed records; chosen by the editor for manual entries.",
    )

    class RetractionStatus(models.TextChoices):
        NONE = "", "No notice"
        RETRACTED = "retracted", "Retracted"
        RETRACTED_AND_REPUBLISHED = "retracted_and_republished", "Retracted and republished"
        PARTIAL_RETRACTION = "partial_retraction", "Retracted in part"
        EXPRESSION_OF_CONCERN = "expression_of_concern", "Expression of concern"

    class RetractionSource(models.TextChoices):
        NONE = "", "—"
        PUBMED = "pubmed", "PubMed"
        CROSSREF = "crossref", "Crossref (publisher)"
        RETRACTION_WATCH = "retraction_watch", "Retraction Watch (via Crossref)"
        FILE = "file", "Imported PubMed file"

    retracted = models.BooleanField(
        default=False,
        help_text="Retracted in whole or in part (PubMed or Crossref). Articles citing it are "
        "flagged and need a physician's review.",
    )
    retraction_status = models.CharField(
        "notice",
        max_length=32,
        choices=RetractionStatus.choices,
        blank=True,
        default="",
        help_text="The strongest post-publication notice on the paper, from PubMed or Crossref.",
    )
    retraction_source = models.CharField(
        "notice from",
        max_length=24,
        choices=RetractionSource.choices,
        blank=True,
        default="",
        help_text="Which source reported the notice.",
    )
    retraction_date = models.CharField(
        "notice date",
        max_length=10,
        blank=True,
        default="",
        validators=[
            RegexValidator(
                r"^(?:[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?$",
                "A date as YYYY, YYYY-MM or YYYY-MM-DD.",
            )
        ],
        help_text="When the notice was published, as precisely as the source says.",
    )
    retraction_notice_doi = models.CharField(
        "notice DOI", max_length=255, blank=True, default="", help_text="DOI of the notice."
    )
    retraction_recorded_at = models.DateTimeField(
        "notice recorded",
        null=True,
        blank=True,
        help_text="When this site first recorded the current notice: a physician approval "
        "signed later has seen it.",
    )
    retraction_notice_pmid = models.CharField(
        "retraction notice PMID",
        max_length=8,
        blank=True,
        validators=[pmid_validator],
        help_text="PMID of the published retraction notice, when PubMed links one.",
    )
    source = models.CharField(
        max_length=16,
        choices=Source.choices,
        default=Source.PUBMED,
        help_text="Where the metadata came from: fetched from PubMed, imported from a PubMed "
        "file, or typed in by an editor (manual entries are labelled as such).",
    )
    url = models.URLField(
        "URL",
        max_length=500,
        blank=True,
        help_text="Web address of a source without a PMID (a guideline document, a book). "
        "Required when there is no PMID.",
    )
    kind = models.CharField(
        max_length=16,
        choices=Kind.choices,
        default=Kind.ARTICLE,
        help_text="A web page is cited with its publisher, the date it was published or "
        "updated and the date you checked it, as NLM style asks.",
    )
    publisher = models.CharField(
        max_length=255,
        blank=True,
        help_text="Web page: the organisation that publishes it, e.g. 'NICE' or 'U.S. Food and "
        "Drug Administration'.",
    )
    place = models.CharField(
        "place of publication",
        max_length=255,
        blank=True,
        help_text="Web page: the publisher's city, e.g. 'London' (optional).",
    )
    updated_on = models.DateField(
        "updated",
        null=True,
        blank=True,
        help_text="Web page: the date the page says it was last updated or reviewed.",
    )
    accessed_on = models.DateField(
        "checked on",
        null=True,
        blank=True,
        help_text="Web page: the date an editor last read the page and checked it says what "
        "the article cites (NLM's 'cited' date). Required for web pages.",
    )
    cite_key = models.SlugField(
        "marker name",
        max_length=50,
        null=True,  # NULL, not "": most citations have none, yet names are unique.
        blank=True,
        unique=True,
        validators=[cite_key_validator],
        error_messages={"unique": "Another source already has this marker name."},
        help_text="A short name to cite this source in an article's body as [REF:name], e.g. "
        "nice-ng59 for [REF:nice-ng59]. Lower-case letters, digits and hyphens.",
    )
    last_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the metadata was last fetched or checked against PubMed.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When this citation was added.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When this citation last changed.")

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pmid__isnull=False) | ~Q(url="") | (Q(source="crossref") & ~Q(doi="")),
                name="references_citation_pmid_or_url",
                violation_error_message="A citation needs a PMID, a DOI found on Crossref or, "
                "for a manual entry, a URL.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=WEB_PAGE) | (Q(pmid__isnull=True) & ~Q(url="")),
                name="references_citation_web_page_url",
                violation_error_message="A web page needs its address and no PMID.",
            ),
            # One citation per DOI among those taken from Crossref (DOIs ignore case); a
            # PubMed record may share its DOI, and is preferred when a body cites the DOI.
            models.UniqueConstraint(
                Lower("doi"),
                condition=Q(source="crossref"),
                name="references_citation_crossref_doi_unique",
                violation_error_message="This DOI is already stored.",
            ),
            models.CheckConstraint(
                condition=Q(pmid__isnull=True) | Q(pmid__regex=r"^[1-9][0-9]{0,7}$"),
                name="references_citation_pmid_format",
                violation_error_message="A PMID is 1 to 8 digits and does not start with 0.",
            ),
        ]
        indexes = [
            models.Index(fields=["retracted"]),
            models.Index(fields=["retraction_status"]),
            models.Index(fields=["last_checked_at"]),
        ]

    def __str__(self) -> str:
        title = self.title if len(self.title) <= 80 else self.title[:77] + "..."
        if self.pmid:
            return f"PMID {self.pmid}: {title}"
        if self.source == self.Source.CROSSREF:
            return f"DOI {self.doi}: {title}"
        if self.kind == self.Kind.WEB:
            return f"{title} (web page)"
        return f"{title} (manual entry)"

    def get_absolute_url(self) -> str:
        """Where the source can be read: PubMed, else the DOI, else the manual URL."""
        return self.pubmed_url or self.doi_url or self.url

    def clean(self) -> None:
        """The rules of a web page and of a marker name, as field errors an editor can act on."""
        super().clean()
        if self.cite_key:
            self.cite_key = self.cite_key.strip().lower()
        if self.kind != self.Kind.WEB:
            return
        self.month = normalise_month(self.month)  # "11", "nov" or "November" -> "Nov"
        errors: dict[str, str] = {}
        if self.pmid:
            errors["pmid"] = "A web page has no PMID: cite PubMed records by their PMID."
        if not self.url:
            errors["url"] = "A web page needs the address where it is published."
        elif not self.url.lower().startswith(("https://", "http://")):
            errors["url"] = "A web page's address starts with https:// or http://."
        if not self.publisher.strip():
            errors["publisher"] = "Name the organisation that publishes the page."
        if self.accessed_on is None:
            errors["accessed_on"] = "Give the date you last checked the page."
        if self.month and self.month not in MONTHS:
            errors["month"] = (
                "Use the month's three-letter English abbreviation: Jan, Feb, ... Dec."
            )
        if self.day and not self.month:
            errors["day"] = "A day needs its month."
        if (self.month or self.day) and not self.year:
            errors["year"] = "A month or a day needs its year."
        if errors:
            raise ValidationError(errors)

    @property
    def is_manual(self) -> bool:
        """True for a source entered by hand rather than taken from PubMed or Crossref."""
        return self.source == self.Source.MANUAL or (
            not self.pmid and self.source != self.Source.CROSSREF
        )

    @property
    def pubmed_url(self) -> str:
        """https://pubmed.ncbi.nlm.nih.gov/<pmid>/, or "" without a PMID."""
        return pubmed_url(self.pmid)

    @property
    def doi_url(self) -> str:
        """https://doi.org/<doi>, or "" without a DOI."""
        return doi_url(self.doi)

    def format_nlm(self) -> str:
        """The reference in NLM/Vancouver style, plain text."""
        return format_nlm(self)

    def format_nlm_html(self) -> str:
        """The reference in NLM/Vancouver style as escaped HTML with PubMed/DOI links."""
        return format_nlm_html(self)

    def snapshot(self) -> dict[str, Any]:
        """Exactly what a reader sees of this citation, JSON-serialisable.

        The articles app stores this inside its immutable revision snapshot (and hashes it),
        so the keys and values must stay stable: strings, booleans and None only. Keys added
        later appear only where they have a value ("kind" for web pages, "ref" for a citation
        with a marker name), so a citation that had neither snapshots as it always did.
        """
        label = EvidenceLabel(self.evidence_label)
        extra: dict[str, Any] = {}
        if self.kind == self.Kind.WEB:
            extra["kind"] = self.kind
        if self.cite_key:
            extra["ref"] = self.cite_key  # what [REF:name] in the body points at
        return {
            "pmid": self.pmid or None,
            "doi": self.doi or None,
            "text": self.format_nlm(),
            "html": self.format_nlm_html(),
            # Readers see the human label; the stable code is kept for machine use.
            "evidence_label": label.label,
            "evidence_label_code": label.value,
            "url": self.get_absolute_url(),
            "pubmed_url": self.pubmed_url or None,
            "doi_url": self.doi_url or None,
            "manual": self.is_manual,
            "retracted": self.retracted,
            **extra,
        }
