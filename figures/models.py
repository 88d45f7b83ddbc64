"""The figure library: one row per uploaded image and what is said about it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q


class Figure(models.Model):
    """
    An image for articles (a chart, an infographic, a diagram) with its alt text, caption,
    credit and licence.

    The image itself never changes: its files are stored under the SHA-256 of their bytes
    (`figures.storage`), recorded here at upload (`sha256` for the original, `renditions` for
    the resized copies), and replacing a picture means uploading a new figure. The words can
    be edited; an article shows them as they were when its revision was made and signed.
    """

    class Licence(models.TextChoices):
        ORIGINAL = "original", "Original work of this site"
        CC_BY = "cc-by-4.0", "CC BY 4.0"
        CC_BY_SA = "cc-by-sa-4.0", "CC BY-SA 4.0"
        CC0 = "cc0", "Public domain (CC0)"
        PERMISSION = "permission", "Used with permission"
        OTHER = "other", "Other (describe it below)"

    class Format(models.TextChoices):
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"
        WEBP = "webp", "WebP"

    alt_text = models.CharField(
        "alt text",
        max_length=300,
        help_text="What the image shows, for readers who cannot see it (screen readers read "
        'this aloud). Give the point of a chart, e.g. "Bar chart: back pain improves in 9 of 10 '
        'people within 6 weeks". Do not repeat the caption.',
    )
    caption = models.CharField(
        max_length=500, help_text="Shown under the image on the page, for every reader."
    )
    credit = models.CharField(
        max_length=200,
        help_text='Who made the image, shown as "Credit: ..." under the caption, e.g. "Clear '
        'Pain Health" or the author and organisation.',
    )
    credit_url = models.URLField(
        "credit link",
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Optional: the web page of the source (https:// or http:// only).",
    )
    licence = models.CharField(
        max_length=20,
        choices=Licence,
        default=Licence.ORIGINAL,
        help_text="The terms we may show the image under.",
    )
    licence_detail = models.CharField(
        "licence details",
        max_length=200,
        blank=True,
        help_text='Required for "Other"; otherwise optional, e.g. "Used with permission of the '
        'British Pain Society, 2024".',
    )
    source_name = models.CharField("uploaded file name", max_length=255, blank=True, editable=False)
    sha256 = models.CharField(
        "SHA-256 of the image",
        max_length=64,
        editable=False,
        db_index=True,
        help_text="The fingerprint of the stored image; a physician's approval covers it.",
    )
    format = models.CharField(max_length=4, choices=Format, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    byte_size = models.PositiveIntegerField("size in bytes", editable=False)
    # [{"width", "height", "format", "sha256"}] for `srcset`, made once at upload.
    renditions = models.JSONField(default=list, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(alt_text=""), name="figure_alt_text_required"),
            models.CheckConstraint(condition=~Q(caption=""), name="figure_caption_required"),
            models.CheckConstraint(condition=~Q(credit=""), name="figure_credit_required"),
            models.CheckConstraint(
                condition=~Q(licence="other") | ~Q(licence_detail=""),
                name="figure_other_licence_described",
            ),
            models.CheckConstraint(
                condition=Q(width__gt=0, height__gt=0), name="figure_has_dimensions"
            ),
        ]

    def __str__(self) -> str:
        return f"Figure {self.pk}: {self.caption[:60]}"

    def clean(self) -> None:
        errors = {}
        for name in ("alt_text", "caption", "credit"):
            value = getattr(self, name).strip()
            setattr(self, name, value)
            if not value:
                errors[name] = "This cannot be blank."
        self.licence_detail = self.licence_detail.strip()
        if self.licence == self.Licence.OTHER and not self.licence_detail:
            errors["licence_detail"] = 'Describe the licence when you choose "Other".'
        if errors:
            raise ValidationError(errors)

    @property
    def marker(self) -> str:
        """What an editor puts in an article's body, on a line of its own."""
        return f"[FIGURE:{self.pk}]"

    @property
    def licence_text(self) -> str:
        """The licence as the page shows it."""
        if self.licence == self.Licence.OTHER:
            return self.licence_detail
        label = str(self.Licence(self.licence).label)
        return f"{label}: {self.licence_detail}" if self.licence_detail else label

    def snapshot(self) -> dict[str, Any]:
        """
        What an article's revision records of this figure: everything the page shows and the
        hash of every file it loads, so a physician's approval covers the image itself.
        """
        return {
            "id": self.pk,
            "alt": self.alt_text,
            "caption": self.caption,
            "credit": self.credit,
            "credit_url": self.credit_url,
            "licence": self.licence_text,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "sha256": self.sha256,
            "renditions": [
                {key: item[key] for key in ("width", "height", "format", "sha256")}
                for item in self.renditions
            ],
        }
