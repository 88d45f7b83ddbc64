"""Reviewing physicians: who may sign, and why someone may not."""

from __future__ import annotations

from datetime import date, datetime

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from reviews.db import StrictProtect

# The login a profile signs with. It is fixed when the profile is made: re-pointing a verified
# profile at another login would let that login sign under the physician's name.
IDENTITY_FIELDS = ("user",)

# Fields that make up a physician's credentials. Changing any of them after verification
# withdraws the verification (see `services.reviewer_profile_save`): an admin vouched for the
# old values, not the new ones.
CREDENTIAL_FIELDS = (
    "honorific",
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


def holds_admin_powers(user) -> bool:
    """
    Whether ``user`` is a superuser or may verify reviewers' credentials (the Site admins).

    Such a login may not hold a signing profile: whoever vouches for credentials, or can grant
    themselves any permission, must not also sign with them.
    """
    return bool(user.is_superuser or user.has_perm("reviews.verify_reviewerprofile"))


class ReviewerProfileQuerySet(models.QuerySet):
    """Named filters for reviewer profiles."""

    def verified(self) -> ReviewerProfileQuerySet:
        """Profiles whose credentials a site admin has verified and not revoked."""
        return self.filter(verified_at__isnull=False, revoked_at__isnull=True)

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
    honorific = models.CharField(
        max_length=20,
        blank=True,
        help_text='Optional title printed before the name on the public stamp, e.g. "Dr." or '
        '"Prof.". Leave empty for none. It is copied into each new signature; changing it '
        "withdraws the verification until another administrator checks it.",
    )
    printed_name = models.CharField(
        max_length=150,
        help_text="The name as printed on the public stamp, without title or credentials: "
        '"Jane Roe".',
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
    verification_evidence = models.TextField(
        blank=True,
        editable=False,
        help_text="How the licence was checked: the register consulted and what it showed.",
    )
    verification_checked_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The day the licence was checked with the issuing body.",
    )
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the credentials were revoked for cause. The physician's approvals no "
        "longer count anywhere.",
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The site admin who revoked the credentials.",
    )
    revocation_reason = models.TextField(
        blank=True, editable=False, help_text="Why the credentials were revoked."
    )

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["printed_name"]
        permissions = [("verify_reviewerprofile", "Can verify reviewer credentials")]
        # IDENTITY_FIELDS in the database: raw SQL cannot re-point a profile at another login.
        triggers = [
            StrictProtect(
                name="user_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("user"),
                message="%: a reviewer profile's login (user_id) is fixed once it is made",
                hint="Make a new profile for the other login instead.",
            ),
            # A profile is evidence of who signed: never deleted (a DELETE and INSERT would
            # otherwise re-point it), and a revocation for cause is never undone.
            StrictProtect(
                name="never_deleted",
                operation=pgtrigger.Delete,
                message="%: reviewer profiles are never deleted",
                hint="Revoke the credentials instead.",
            ),
            StrictProtect(
                name="revocation_final",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__revoked_at__isnull=False)
                & (
                    pgtrigger.Q(new__revoked_at__isnull=True)
                    | pgtrigger.Q(old__revoked_at__df=pgtrigger.F("new__revoked_at"))
                ),
                message="%: a revocation for cause is final",
                hint="Create a new profile if the physician is reinstated.",
            ),
        ]
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
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True)
                | (~Q(verification_evidence="") & Q(verification_checked_on__isnull=False)),
                name="reviewerprofile_verification_has_evidence",
                violation_error_message="A verification records how and when it was checked.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | (
                    Q(revoked_at__isnull=False, revoked_by__isnull=False)
                    & ~Q(revocation_reason="")
                ),
                name="reviewerprofile_revocation_complete",
                violation_error_message="A revocation records who, when and why.",
            ),
            # One physician, one signing identity: a licence (or NPI) is held by one profile
            # that is not revoked, so nobody can mint a second "Jane Roe, MD".
            models.UniqueConstraint(
                fields=["licensing_body", "licence_number"],
                condition=Q(revoked_at__isnull=True),
                name="reviewerprofile_one_profile_per_licence",
                violation_error_message="Another reviewer profile holds this licence.",
            ),
            models.UniqueConstraint(
                fields=["npi"],
                condition=~Q(npi="") & Q(revoked_at__isnull=True),
                name="reviewerprofile_one_profile_per_npi",
                violation_error_message="Another reviewer profile holds this NPI.",
            ),
            # Nobody verifies their own profile (also refused, with a message, by the service).
            models.CheckConstraint(
                condition=~Q(verified_by=F("user")),
                name="reviewerprofile_not_self_verified",
                violation_error_message="Nobody may verify their own reviewer profile.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        """The public profile page (served by the articles app, which lists pages reviewed)."""
        return reverse("articles:reviewer", kwargs={"slug": self.slug})

    def clean(self) -> None:
        # A sign-off records the name with its honorific in a field as long as `printed_name`.
        limit = self._meta.get_field("printed_name").max_length
        if len(self.signing_name) > limit:
            raise ValidationError(
                {
                    "honorific": f"With the title, the name is longer than {limit} characters "
                    "and would not fit on a signature; shorten the title or the name."
                },
                code="signing_name_too_long",
            )
        if self.user_id is not None and holds_admin_powers(self.user):
            raise ValidationError(
                {
                    "user": "This login is a superuser or a site administrator, and those "
                    "cannot hold a signing profile. Give the physician a login of their own."
                },
                code="admin_login",
            )

    @property
    def signing_name(self) -> str:
        """The name a new signature records: the honorific and printed name, "Dr. Jane Roe"."""
        return " ".join(part for part in (self.honorific.strip(), self.printed_name) if part)

    @property
    def display_name(self) -> str:
        """The name as the stamp prints it: "Dr. Jane Roe, DO"."""
        return f"{self.signing_name}, {self.credentials}"

    @property
    def is_verified(self) -> bool:
        """Whether a site admin has verified these credentials (and they were not revoked)."""
        return self.verified_at is not None and self.revoked_at is None

    @property
    def is_revoked(self) -> bool:
        """Whether the credentials were revoked for cause."""
        return self.revoked_at is not None

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
        if self.is_revoked:
            return "Your reviewer credentials were revoked; you cannot sign."
        if holds_admin_powers(self.user):
            return (
                "Site administrators and superusers cannot sign as medical reviewers: someone "
                "who verifies credentials must not also use them. Sign with a separate login."
            )
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
