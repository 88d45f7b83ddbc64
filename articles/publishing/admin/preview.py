"""
The Preview button of the article form: the form's current, unsaved content as the public page
would show it (Wagtail's preview is the model).

The posted form and its inlines are validated and cleaned exactly as a save would clean them
(the same form class, `clean_body`, the FAQ answers' `sanitize_answer`), the result is frozen in
memory by the snapshot builder a save uses, and the snapshot is rendered by the public templates
through `articles.publishing.presentation`, as the staff preview of a stored revision is.
Nothing is stored: no article, inline, revision or audit record, and no citation either (an
unknown PMID is not fetched from PubMed; the editor saves first, which asks PubMed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.formsets import all_valid
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils import timezone

from articles.content.models import (
    Article,
    ArticleRevision,
    Comparison,
    FAQEntry,
    ReferenceNote,
    Takeaway,
)
from articles.content.permissions import can_preview
from articles.content.services import clean_body
from articles.content.snapshot import build_snapshot, content_hash
from articles.publishing.presentation import article_page_context
from articles.publishing.review_state import review_state_for
from articles.publishing.structured_data import article_json_ld
from references.markers import InvalidMarkerError, find_pmids
from references.models import Citation


class _Rows:
    """A list that answers `.all()`, as a related manager does, for rows that are not stored."""

    def __init__(self, rows):
        self._rows = list(rows)

    def all(self):
        return self._rows


class UnsavedArticle:
    """
    The posted draft, read the way `build_snapshot` and `article_page_context` read an article:
    the form's values on the article instance (never saved), the inlines and the relations
    from the posted form instead of the database.
    """

    def __init__(self, article: Article, *, relations: dict[str, Any], parts: dict[str, list]):
        self._article = article
        self.topics = _Rows(relations.get("topics", ()))
        self.authors = _Rows(relations.get("authors", ()))
        self.takeaways = _Rows(parts.get("takeaways", ()))
        self.faq_entries = _Rows(parts.get("faq_entries", ()))
        self.comparisons = _Rows(parts.get("comparisons", ()))
        self.reference_notes = _Rows(parts.get("reference_notes", ()))

    def __getattr__(self, name):
        return getattr(self._article, name)


def _unstored_citations(body: str) -> ValidationError | None:
    """
    A problem to show when the posted body cites a PMID that is not stored yet: the preview
    reads citations from the database only, so that it stores nothing and never waits for NCBI.
    """
    try:
        pmids = find_pmids(clean_body(body))
    except InvalidMarkerError:
        return None  # the form names the malformed marker
    known = set(Citation.objects.filter(pmid__in=pmids).values_list("pmid", flat=True))
    missing = [pmid for pmid in pmids if pmid not in known]
    if not missing:
        return None
    return ValidationError(
        f"The preview shows stored sources only, and PMID {', '.join(missing)} is not stored "
        "yet. Save the article (which looks it up in PubMed), then preview again.",
        code="citation_not_stored",
    )


def _kept_rows(formset) -> list:
    """The inline rows a save would keep, in the order the page shows them (by position)."""
    deleted = {id(form) for form in formset.deleted_forms} if formset.can_delete else set()
    rows = [
        form.instance
        for form in formset.forms
        if id(form) not in deleted and (form.instance.pk is not None or form.has_changed())
    ]
    return sorted(rows, key=lambda row: (getattr(row, "position", 0), row.pk is None, row.pk or 0))


PARTS = {
    Takeaway: "takeaways",
    FAQEntry: "faq_entries",
    Comparison: "comparisons",
    ReferenceNote: "reference_notes",
}


def _errors(form, formsets) -> list[str]:
    """Every error of the form and its inlines as one readable line each."""
    lines = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        lines += [f"{label}: {error}" if label else error for error in errors]
    for formset in formsets:
        name = formset.model._meta.verbose_name_plural.capitalize()
        lines += [f"{name}: {error}" for error in formset.non_form_errors()]
        for form in formset.forms:
            for errors in form.errors.values():
                lines += [f"{name}: {error}" for error in errors]
    return lines


def _private(response):
    """A preview may show unreviewed text: never indexed, never kept by any cache."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def preview_view(model_admin, request, object_id=None):
    """
    POST: the article form's posted content rendered as its public page; nothing is stored.

    The same rights as the staff preview of a revision (`can_preview`), plus the right to edit
    the article (or to add one): only an editor's own form is previewed here.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if object_id is None:
        stored = None
        allowed = model_admin.has_add_permission(request)
    else:
        stored = model_admin.get_object(request, object_id)
        if stored is None:
            raise Http404("No such article")
        allowed = model_admin.has_change_permission(request, stored)
    if not (allowed and can_preview(request.user, stored or Article())):
        raise PermissionDenied

    change = stored is not None
    request.citations_problem = _unstored_citations(request.POST.get("body", ""))
    form_class = model_admin.get_form(request, stored, change=change)
    form = form_class(request.POST, request.FILES, instance=stored)
    form_valid = form.is_valid()
    # Bound to the form's in-memory instance, as the admin's own save binds them.
    formsets, _ = model_admin._create_formsets(request, form.instance, change=change)
    if not (all_valid(formsets) and form_valid):
        response = TemplateResponse(
            request,
            "admin/articles/article/preview_errors.html",
            {
                **model_admin.admin_site.each_context(request),
                "opts": model_admin.opts,
                "title": "The preview could not be made",
                "errors": _errors(form, formsets),
            },
            status=400,
        )
        return _private(response)

    draft = UnsavedArticle(
        form.instance,
        relations={name: form.cleaned_data.get(name, ()) for name in ("topics", "authors")},
        parts={PARTS[f.model]: _kept_rows(f) for f in formsets if f.model in PARTS},
    )
    snapshot = build_snapshot(draft, form.citations)
    now = timezone.now()
    revision = ArticleRevision(
        snapshot=snapshot, content_hash=content_hash(snapshot), created_at=now
    )
    context = article_page_context(article=draft, revision=revision)
    context.update(
        preview=True,
        unsaved_preview=True,
        # An unsaved revision has no primary key, like an unpublished article's live pointer.
        is_live_revision=False,
        review=review_state_for(article=draft, revision=revision, now=now, log_tampering=False),
    )
    context["json_ld"] = article_json_ld(context)
    response = render(request, "articles/article_detail.html", context)
    # The public page's policy, not the admin's relaxed one: the preview is that page.
    response._csp_config = settings.SECURE_CSP
    return _private(response)
