"""Citation admin: list, search and filters, read-only PubMed and Crossref metadata, manual
entries and web pages (cited with [REF:name]), "Add citations by PMID"."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from references.markers import pmids_from_text
from references.models import Citation
from references.services import (
    CitationsNotFound,
    CitationsUnavailable,
    citation_save_manual,
    citations_ensure,
    pubmed_client_from_settings,
)

METADATA_FIELDS = (
    "pmid",
    "doi",
    "title",
    "authors",
    "journal_abbrev",
    "journal_title",
    "year",
    "month",
    "day",
    "volume",
    "issue",
    "pages",
    "publication_types",
    "abstract",
    "evidence_label",
    "retracted",
    "retraction_notice_pmid",
    "retraction_status",
    "retraction_source",
    "retraction_date",
    "retraction_notice_doi",
    "retraction_recorded_at",
    "source",
    "url",
    "kind",
    "publisher",
    "place",
    "updated_on",
    "accessed_on",
    "cite_key",
    "last_checked_at",
)
MAX_PMIDS_PER_PASTE = 1000


class AddByPmidForm(forms.Form):
    """A pasted list of PMIDs, [PMID:n] markers or PubMed URLs."""

    pmids = forms.CharField(
        label="PMIDs or PubMed links",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text="One or more PMIDs (e.g. 29870458) or PubMed links "
        "(https://pubmed.ncbi.nlm.nih.gov/29870458/), separated by spaces, commas or new lines.",
    )


class CitationAdminForm(forms.ModelForm):
    """Adds the PMID-or-URL rule as a field error: the manual form has no PMID field, so
    Django would skip the model constraint that involves it. A web page's own rules (its
    publisher, the date it was checked) are the model's (`Citation.clean`)."""

    author_organisation = forms.CharField(
        label="author (organisation)",
        required=False,
        max_length=500,
        help_text="For a page written by an organisation rather than named people, e.g. "
        "'National Institute for Health and Care Excellence'. Added to the authors.",
    )

    class Meta:  # noqa: D106 - standard ModelForm options
        model = Citation
        fields = (
            "kind",
            "url",
            "title",
            "authors",
            "journal_title",
            "year",
            "month",
            "day",
            "doi",
            "publisher",
            "place",
            "updated_on",
            "accessed_on",
            "cite_key",
            "evidence_label",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            # An older form (and a manual entry saved before web pages existed) has no kind.
            self.fields["kind"].required = False

    def clean(self):
        """Refuse a manual entry with neither PMID nor URL, on the URL field; add the
        organisation to the authors."""
        cleaned = super().clean()
        if "kind" in self.fields and not cleaned.get("kind"):
            cleaned["kind"] = Citation.Kind.ARTICLE
            self.instance.kind = Citation.Kind.ARTICLE
        if "url" in self.fields and not cleaned.get("url") and not self.instance.pmid:
            self.add_error(
                "url", "A source without a PMID needs the address where it is published."
            )
        organisation = (cleaned.get("author_organisation") or "").strip()
        if organisation and "authors" in self.fields:
            authors = list(cleaned.get("authors") or [])
            if not any(
                isinstance(a, dict) and a.get("collective_name") == organisation for a in authors
            ):
                authors.append({"collective_name": organisation})
            cleaned["authors"] = authors
        return cleaned


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    """Citations: PubMed records are read-only here (PubMed is the authority); manual entries
    are edited like any other object. PubMed records are added with "Add citations by PMID"."""

    form = CitationAdminForm
    list_display = (
        "pmid",
        "cite_as",
        "short_title",
        "journal_abbrev",
        "year",
        "evidence_label",
        "retraction_status",
        "source",
        "last_checked_at",
    )
    list_display_links = ("pmid", "short_title")
    list_filter = ("retraction_status", "retracted", "evidence_label", "source", "kind")
    # "=pmid" is an exact match; authors is JSON, searched as text (names are inside it).
    search_fields = ("=pmid", "title", "authors", "doi", "cite_key", "publisher")
    empty_value_display = "—"
    ordering = ("-created_at",)
    readonly_fields = ("formatted_reference", "created_at", "updated_at")
    pubmed_fieldsets = (
        ("Reference as readers see it", {"fields": ("formatted_reference",)}),
        ("Identifiers", {"fields": ("pmid", "doi", "source", "last_checked_at")}),
        (
            "Bibliographic details",
            {
                "fields": (
                    "title",
                    "authors",
                    ("journal_abbrev", "journal_title"),
                    ("year", "month", "day"),
                    ("volume", "issue", "pages"),
                )
            },
        ),
        (
            "Evidence and retraction",
            {
                "fields": (
                    "publication_types",
                    "evidence_label",
                    ("retracted", "retraction_status"),
                    ("retraction_source", "retraction_date", "retraction_recorded_at"),
                    ("retraction_notice_pmid", "retraction_notice_doi"),
                )
            },
        ),
        ("Abstract", {"fields": ("abstract",), "classes": ("collapse",)}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    manual_fieldsets = (
        (
            "Source without a PMID",
            {
                "fields": (
                    "kind",
                    "url",
                    "title",
                    "author_organisation",
                    "authors",
                    "journal_title",
                    ("year", "month", "day"),
                    "doi",
                ),
                "description": "For sources that are not in PubMed (a guideline, a drug label, "
                "a book). For PubMed articles use “Add citations by PMID”; a paper with a DOI "
                "but no PMID is cited in the body as [DOI:10.xxxx/yyyy] and needs no entry here.",
            },
        ),
        (
            "Web page",
            {
                "fields": ("publisher", "place", "updated_on", "accessed_on"),
                "description": "For a web page: who publishes it, when it was published (the "
                "year, month and day above) or last updated, and when you last checked it. "
                "The reference reads: Organisation. Title [Internet]. Place: Publisher; "
                "2016 Nov 30 [updated 2020 Dec 11; cited 2026 May 31]. Available from: URL",
            },
        ),
        (
            "Citing it in an article",
            {
                "fields": ("cite_key",),
                "description": "Give the source a marker name, then write [REF:name] in the "
                "article's body where it is cited.",
            },
        ),
        ("Evidence", {"fields": ("evidence_label",)}),
    )

    def get_fieldsets(self, request, obj=None):
        """Manual entries get a short form; PubMed records show everything, read-only."""
        if obj is None or obj.source == Citation.Source.MANUAL:
            fieldsets = self.manual_fieldsets
            if obj is not None:
                fieldsets = (
                    ("Reference as readers see it", {"fields": ("formatted_reference",)}),
                    *fieldsets,
                )
            return fieldsets
        return self.pubmed_fieldsets

    def get_readonly_fields(self, request, obj=None):
        """All metadata of a PubMed-sourced citation is read-only."""
        if obj is not None and obj.source != Citation.Source.MANUAL:
            # PubMed (or PubMed-file) metadata is refreshed from PubMed, never hand-edited.
            return (*self.readonly_fields, *METADATA_FIELDS)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Save manual entries through `citation_save_manual` (validation, source label)."""
        # Only manual entries reach here with editable fields; go through the service.
        if obj.source == Citation.Source.MANUAL or not change:
            citation_save_manual(citation=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.display(description="cite with")
    def cite_as(self, obj: Citation) -> str:
        """The marker an editor writes in a body to cite this source."""
        if obj.pmid:
            return f"[PMID:{obj.pmid}]"
        if obj.cite_key:
            return f"[REF:{obj.cite_key}]"
        if obj.source == Citation.Source.CROSSREF and obj.doi:
            return f"[DOI:{obj.doi}]"
        return "(give it a marker name)"

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Citation) -> str:
        """The title, shortened for the change list."""
        return obj.title if len(obj.title) <= 70 else obj.title[:67] + "..."

    @admin.display(description="reference")
    def formatted_reference(self, obj: Citation) -> str:
        """The NLM reference with its links, a retraction warning and the evidence label."""
        retracted = (
            format_html('<strong class="errornote">Retracted.</strong> ') if obj.retracted else ""
        )
        # format_nlm_html escapes every value itself; see references.formatting.
        return format_html(
            "{}{} <em>({})</em>",
            retracted,
            mark_safe(obj.format_nlm_html()),  # noqa: S308
            obj.get_evidence_label_display(),
        )

    def get_urls(self):
        """Add the "Add citations by PMID" view to the admin URLs."""
        urls = [
            path(
                "add-by-pmid/",
                self.admin_site.admin_view(self.add_by_pmid_view),
                name="references_citation_add_by_pmid",
            )
        ]
        return urls + super().get_urls()

    def add_by_pmid_view(self, request: HttpRequest) -> HttpResponse:
        """Paste PMIDs or PubMed links; fetch the new ones; report added / present / failed."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AddByPmidForm(request.POST or None)
        report: dict[str, list[str]] | None = None
        if request.method == "POST" and form.is_valid():
            report = self._add_pmids(request, form.cleaned_data["pmids"])
            if not report["failed"] and not report["invalid"]:
                return redirect(reverse("admin:references_citation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add citations by PMID",
            "opts": self.model._meta,
            "form": form,
            "report": report,
        }
        return render(request, "admin/references/citation/add_by_pmid.html", context)

    def _add_pmids(self, request: HttpRequest, text: str) -> dict[str, list[str]]:
        pmids, invalid = pmids_from_text(text)
        report: dict[str, list[str]] = {
            "added": [],
            "present": [],
            "failed": [],
            "invalid": invalid,
        }
        if invalid:
            messages.error(request, "Not valid PMIDs or PubMed links: " + ", ".join(invalid))
        if len(pmids) > MAX_PMIDS_PER_PASTE:
            messages.error(request, f"Paste at most {MAX_PMIDS_PER_PASTE} PMIDs at a time.")
            report["failed"] = pmids
            return report
        known = set(Citation.objects.filter(pmid__in=pmids).values_list("pmid", flat=True))
        report["present"] = [pmid for pmid in pmids if pmid in known]
        wanted = [pmid for pmid in pmids if pmid not in report["present"]]
        client = pubmed_client_from_settings()
        while wanted:
            try:
                citations_ensure(pmids=wanted, client=client)
            except CitationsNotFound as exc:
                # Report the unknown ones and still add the rest.
                report["failed"].extend(exc.pmids)
                messages.error(request, "Not found in PubMed: " + ", ".join(exc.pmids))
                wanted = [pmid for pmid in wanted if pmid not in exc.pmids]
                continue
            except CitationsUnavailable as exc:
                report["failed"].extend(exc.pmids)
                messages.error(
                    request,
                    f"PubMed could not be reached, so nothing was added ({exc.reason}). "
                    "Try again in a few minutes.",
                )
                return report
            report["added"] = wanted
            break
        if report["added"]:
            messages.success(
                request,
                f"Added {len(report['added'])} citation(s): {', '.join(report['added'])}.",
            )
        if report["present"]:
            messages.info(request, "Already present: " + ", ".join(report["present"]) + ".")
        return report
