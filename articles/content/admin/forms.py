"""Admin forms: sanitising, the optimistic-locking check and citation checks before any write."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from articles.content.admin.figure_picker import FigurePickerWidget
from articles.content.figures import body_figures_validate
from articles.content.models import Article, FAQEntry
from articles.content.sanitize import sanitize_answer
from articles.content.services import (
    STALE_MESSAGE,
    article_citations_ensure,
    article_slug_validate,
    clean_body,
)
from references.services import OFFLINE


def rich_text_widget() -> forms.Widget:
    """
    The rich-text editor of every HTML field in the admin, chosen here and nowhere else.

    Swapping editors means changing this function: the stored value is plain (sanitised) HTML
    in a TextField, so no migration is involved.
    """
    from ckeditor.widgets import CKEditorWidget

    from articles.content.blocks import SANITIZER_CLASSES

    widget = CKEditorWidget(config_name="health")
    # CKEditor's content filter would drop the content blocks' classes before the server's
    # sanitiser (the one that decides) ever sees them: allow exactly the sanitiser's classes.
    widget.config["extraAllowedContent"] = ";".join(
        f"{tag}({','.join(sorted(names))})" for tag, names in sorted(SANITIZER_CLASSES.items())
    )
    return widget


class ArticleAdminForm(forms.ModelForm):
    """
    The article form, which refuses a save before anything is stored when:

    - someone else saved the article since this form was loaded (hidden `expected_version`);
      the posted text stays in the form so the editor can copy it;
    - a citation marker is malformed or names an unknown source, or PubMed (Crossref) cannot
      be reached for an unknown PMID (DOI).

    PubMed is asked before the admin's transaction opens (`ArticleAdmin.changeform_view` calls
    `article_citations_prefetch` and hands its problem over as `citations_problem`); the form
    itself resolves the body's citations from the database only.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    citations_problem: ValidationError | None = None

    class Meta:
        model = Article
        fields = [
            "topics",
            "title",
            "slug",
            "standfirst",
            "authors",
            "body",
            "article_type",
            "featured",
            "needs_review",
            "needs_review_reason",
        ]
        widgets = {
            "body": rich_text_widget(),
            "standfirst": forms.Textarea(attrs={"rows": 3}),
        }
        # Every kind of citation marker (set here rather than on the model: no migration).
        help_texts = {
            "body": "The article. Cite a source after the claim: [PMID:12345678] for a PubMed "
            "record, [DOI:10.1097/AAP.0000000000000808] for a paper with a DOI but no PMID, "
            "[REF:name] for a web page or other source given that marker name under Citations. "
            "Pasted PubMed and doi.org links become markers. Every image needs alt text.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version
        # "Insert a figure from the library" under the body's editor.
        self.fields["body"].widget = FigurePickerWidget(self.fields["body"].widget)
        self.citations = []

    def clean_body(self):
        return clean_body(self.cleaned_data.get("body", ""))

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        try:
            article_slug_validate(slug=slug, article=self.instance if self.instance.pk else None)
        except ValidationError as error:
            # The service names the field; a field's own clean must raise its bare errors.
            raise ValidationError(error.error_dict["slug"]) from error
        return slug

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_version(cleaned.get("expected_version"))
        if self.citations_problem is not None:
            self.add_error("body", self.citations_problem)
        elif "body" in cleaned:
            try:
                self.citations = article_citations_ensure(body=cleaned["body"], client=OFFLINE)
            except ValidationError as error:
                self.add_error("body", error)
        if "body" in cleaned:
            try:
                body_figures_validate(cleaned["body"])
            except ValidationError as error:
                self.add_error("body", error)
        return cleaned

    def _check_version(self, posted):
        # Inside the admin's request transaction the row lock is held until the save is done,
        # so no other save can slip in between this check and ours.
        with transaction.atomic():
            current = (
                Article.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
        if posted != current:
            raise ValidationError(STALE_MESSAGE, code="stale")


class FAQEntryForm(forms.ModelForm):
    """An FAQ entry; the answer is rich text, sanitised like the body."""

    class Meta:
        model = FAQEntry
        fields = ["position", "question", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}

    def clean_answer(self):
        return sanitize_answer(self.cleaned_data.get("answer", ""))
