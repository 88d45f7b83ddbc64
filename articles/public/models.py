"""
The site around the articles: editable pages, readers' problem reports, public corrections.

None of these is reviewed content: a `SitePage` (the editorial policy) is the publisher's own
statement and an admin edits it without a deploy; a `ProblemReport` is a reader's message to
the editors, never shown to the public; a `CorrectionNote` is the editors' public note about
a correction, shown on the article's review-history page.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles.content.sanitize import sanitize_html, validate_images_have_alt

# The slug of the editorial policy page (`articles:editorial_policy` shows it).
EDITORIAL_POLICY_SLUG = "editorial-policy"


class SitePage(models.Model):
    """
    A page of the site's own text (e.g. the editorial policy), editable in the admin.

    The body is sanitised HTML, like an article's, but it is not medical content and needs no
    sign-off. Each page has a fixed `slug` that a view looks up; the views fall back to a
    built-in text when the row is missing, so the site never shows an empty policy.
    """

    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text='Which page this is, e.g. "editorial-policy". The site looks pages up by it.',
    )
    title = models.CharField(max_length=200, help_text="The page's heading.")
    body = models.TextField(
        validators=[validate_images_have_alt],
        help_text="The page text. Headings, lists and links are kept; every image needs alt "
        "text.",
    )
    updated_at = models.DateTimeField(
        auto_now=True, help_text="When the page was last changed (shown to readers)."
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="sitepage_title_not_blank"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Sanitised on every save, whatever the caller: the admin's CKEditor posts HTML that
        # is never trusted (see settings, CKEditor section).
        self.body = sanitize_html(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        if self.slug == EDITORIAL_POLICY_SLUG:
            return reverse("articles:editorial_policy")
        return reverse("articles:home")



class ProblemReportStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    FIXED = "fixed", "Fixed"
    DECLINED = "declined", "Declined"


class ProblemReport(models.Model):
    """
    A reader's "Report a problem with this page": the corrections queue editors work through.

    The reader's IP address is never stored, only a keyed hash of it (`ip_hash`), which is
    enough to rate-limit and to spot one sender flooding the queue.
    """

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="problem_reports",
        help_text="The page the reader was reading.",
    )
    revision = models.ForeignKey(
        "articles.ArticleRevision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problem_reports",
        help_text="The live revision when the report was sent (what the reader saw).",
    )
    message = models.TextField(max_length=2000, help_text="What the reader says is wrong.")
    email = models.EmailField(
        blank=True, help_text="The reader's address, if they want an answer. Never published."
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text="When the report was sent."
    )
    status = models.CharField(
        max_length=10,
        choices=ProblemReportStatus.choices,
        default=ProblemReportStatus.NEW,
        db_index=True,
        help_text="Where the report stands in the corrections queue.",
    )
    ip_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="A keyed hash of the sender's address (the address itself is not kept).",
    )
    editor_notes = models.TextField(
        blank=True, help_text="Notes for the editorial team; never shown to the public."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProblemReportStatus.values),
                name="problemreport_status_valid",
            ),
        ]

    def __str__(self):
        return f"Report on {self.article} ({self.get_status_display()}, {self.created_at:%Y-%m-%d})"


class CorrectionNote(models.Model):
    """A public note about a correction to an article, listed on its review-history page."""

    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="correction_notes",
        help_text="The article that was corrected.",
    )
    text = models.TextField(
        help_text="What was corrected and why, in plain language, as readers will see it."
    )
    published_at = models.DateTimeField(
        default=timezone.now, help_text="The date shown with the note."
    )

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="correctionnote_text_not_blank"),
        ]

    def __str__(self):
        return f"Correction to {self.article} ({self.published_at:%Y-%m-%d})"
