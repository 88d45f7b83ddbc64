"""Reviewing physicians: who may sign, and why someone may not."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Fields that make up a physician's credentials. Changing any of them after verification
# withdraws the verification (see `services.reviewer_profile_save`): an admin vouched for the
# old values, not the new ones.
CREDENTIAL_FIELDS = (
    "printed_name",
    "credentials",
    "licence_number",
    "licensing_body",
    "licence_expires_on",
    "npi",
)


def validate_npi(value: str) -> None:
    """
    A US National Provider Identifier: 10 digits with a valid check digit.

    The check digit is the Luhn digit of the number prefixed with 80840 (the US health
    industry prefix), as CMS specifies, so a mistyped NPI is caught at entry.
    """
    if not value:
        return
    if len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    digits = [int(d) for d in "80840" + value]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10 != 0:
        raise ValidationError(
            "This NPI's check digit is wrong; please check the number.", code="npi_checksum"
        )


class ReviewerProfileQuerySet(models.QuerySet):
    """Named filters for reviewer profiles."""

    def verified(self) -> ReviewerProfileQuerySet:
        """Profiles whose credentials a site admin has verified."""
        return self.filter(verified_at__isnull=False)

    def licence_expired(self, today: date) -> ReviewerProfileQuerySet:
        """Profiles whose licence ended before ``today``."""
        return self.filter(licence_expires_on__lt=today)


class ReviewerProfile(models.Model):
    """
    A reviewing physician (or other licensed clinician) who may sign revisions.

    Signing needs a profile that a site admin has verified and a licence that has not expired;
    `signing_refusal()` says which rule stops a profile from signing. The printed name and
    credentials are copied into each sign-off, so later edits here never rewrite history.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviewer_profile",
        help_text="The login the reviewer signs with.",
    )
    printed_name = models.CharField(
        max_length=150,
        help_text='The name as printed on the public stamp, without credentials: "Jane Roe".',
    )
    credentials = models.CharField(
        max_length=60,
        help_text='Degrees after the name, comma-separated: "MD", "DO", "PharmD", "RN", '
        '"MD, MPH" ...',
    )
    specialty = models.CharField(
        max_length=120, blank=True, help_text='The clinical specialty, e.g. "Pain medicine".'
    )
    licence_number = models.CharField(
        max_length=60, help_text="The licence number exactly as the licensing body issues it."
    )
    licensing_body = models.CharField(
        max_length=120,
        help_text='Who issued the licence: a board or a state, e.g. "Texas Medical Board".',
    )
    licence_expires_on = models.DateField(
        help_text="The last day the licence is valid. The reviewer cannot sign after it."
    )
    npi = models.CharField(
        "NPI",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", "An NPI is exactly 10 digits."), validate_npi],
        help_text="US National Provider Identifier (10 digits), if the reviewer has one.",
    )
    bio = models.TextField(
        blank=True, help_text="A short biography for the public reviewer profile page."
    )
    photo = models.ImageField(
        upload_to="reviewers/",
        blank=True,
        help_text="Optional head-and-shoulders photo for the public profile page.",
    )
    slug = models.SlugField(
        max_length=150,
        unique=True,
        help_text="The public profile's web address, e.g. jane-roe.",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The site admin who checked the licence and credentials.",
    )
    verified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the credentials were verified. Empty: the reviewer cannot sign yet.",
    )

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["printed_name"]
        permissions = [("verify_reviewerprofile", "Can verify reviewer credentials")]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by__isnull=True)
                | Q(verified_at__isnull=False, verified_by__isnull=False),
                name="reviewerprofile_verified_by_and_at_together",
                violation_error_message="A verification needs both who verified and when.",
            ),
            models.CheckConstraint(
                condition=Q(npi="") | Q(npi__regex=r"^[0-9]{10}$"),
                name="reviewerprofile_npi_ten_digits",
                violation_error_message="An NPI is exactly 10 digits.",
            ),
            models.CheckConstraint(
                condition=~Q(printed_name="") & ~Q(credentials=""),
                name="reviewerprofile_name_and_credentials_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        """The public profile page (served by the articles app, which lists pages reviewed)."""
        return reverse("articles:reviewer", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        """The name as the stamp prints it: "Jane Roe, DO"."""
        return f"{self.printed_name}, {self.credentials}"

    @property
    def is_verified(self) -> bool:
        """Whether a site admin has verified these credentials."""
        return self.verified_at is not None

    def licence_expired(self, today: date) -> bool:
        """Whether the licence had ended by ``today`` (it is valid through its expiry date)."""
        return today > self.licence_expires_on

    def signing_refusal(self, now: datetime) -> str | None:
        """
        Why this reviewer cannot sign at ``now``, as a sentence for the reviewer; None if they can.

        The licence date is compared in the site's time zone, because that is the calendar the
        licence expiry date is written in.
        """
        if not self.user.is_active:
            return "This reviewer's login is deactivated."
        if not self.is_verified:
            return (
                "Your reviewer credentials have not been verified yet; a site administrator "
                "must verify your licence before you can sign."
            )
        today = timezone.localdate(now)
        if self.licence_expired(today):
            return (
                f"Your licence expired on {self.licence_expires_on.isoformat()}; a site "
                "administrator must record the renewed licence before you can sign."
            )
        return None

    def can_sign(self, now: datetime) -> bool:
        """Whether this reviewer may sign at ``now`` (see `signing_refusal` for why not)."""
        return self.signing_refusal(now) is None
