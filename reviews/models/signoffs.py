"""Review requests and sign-offs: the electronic signatures on revisions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery

from reviews.db import append_only_trigger


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an append-only record (sign-offs, audit)."""


class AppendOnlyQuerySet(models.QuerySet):
    """
    Bulk `update()` and `delete()` would skip the model's guard, so they are refused too.

    Shared with `articles` (revisions are append-only records too); the error raised is the
    model's `append_only_error`.
    """

    def update(self, **kwargs):
        raise self.model.append_only_error(
            f"{self.model._meta.verbose_name_plural} are append-only: they cannot be updated."
        )

    def delete(self):
        raise self.model.append_only_error(
            f"{self.model._meta.verbose_name_plural} are append-only: they cannot be deleted."
        )

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """
    A record written once and never changed or deleted through the ORM.

    The guard is an invariant of the record, not a workflow, which is why it lives in `save()`
    and `delete()`. Database triggers back it up against raw SQL: each concrete model lists
    `append_only_trigger()` in `Meta.triggers` (PostgreSQL) and has SQLite triggers made by
    its migration; see `reviews.db` and docs/database-roles.md.
    """

    # The exception raised on a change or delete; subclasses may name their own.
    append_only_error: type[AppendOnlyError] = AppendOnlyError

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error(
                f"{self._meta.verbose_name} {self.pk} is append-only and cannot be changed; "
                "record a new one instead."
            )
        # A hand-set primary key must never turn this insert into an UPDATE of another row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(
            f"{self._meta.verbose_name} {self.pk} is append-only and cannot be deleted."
        )


class ReviewRequest(models.Model):
    """
    An editor asked for a medical review of one revision.

    Open requests make the reviewers' queue. A decision (a sign-off) closes the open requests of
    its revision; submitting a newer revision of the same article cancels older open ones.
    """

    class State(models.TextChoices):
        OPEN = "open", "Awaiting review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        CANCELLED = "cancelled", "Cancelled"

    revision = models.ForeignKey(
        "articles.ArticleRevision",
        on_delete=models.PROTECT,
        related_name="review_requests",
        help_text="The exact revision to review.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_requests_submitted",
        help_text="The editor who sent it for review; empty when the site sent it (a source the "
        "live page cites was retracted).",
    )
    submitted_at = models.DateTimeField(help_text="When it was sent for review.")
    note = models.TextField(
        blank=True, help_text="Optional note to the reviewer: what changed, what to look at."
    )
    state = models.CharField(
        max_length=20,
        choices=State.choices,
        default=State.OPEN,
        help_text="Where the request stands.",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was decided or cancelled."
    )
    assignee = models.ForeignKey(
        "reviews.ReviewerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        help_text="The physician asked to review it; empty: the physicians of the pool.",
    )
    pool = models.CharField(
        max_length=120,
        blank=True,
        help_text="When no physician is named: the specialty whose physicians are asked "
        "(empty: every reviewing physician).",
    )
    due_on = models.DateField(
        null=True, blank=True, help_text="The date by which the review is wanted."
    )

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True)
                | (~Q(state="open") & Q(closed_at__isnull=False)),
                name="reviewrequest_closed_at_iff_closed",
                violation_error_message="A closed request needs a closing time; an open one not.",
            ),
            # One open request per revision: submitting twice must not queue it twice.
            models.UniqueConstraint(
                fields=["revision"],
                condition=Q(state="open"),
                name="reviewrequest_one_open_per_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of revision {self.revision_id} ({self.get_state_display()})"


class SignOffQuerySet(AppendOnlyQuerySet):
    """Sign-offs; reads only."""

    def approvals(self) -> SignOffQuerySet:
        """Only the sign-offs that approved their revision."""
        return self.filter(decision=SignOff.Decision.APPROVED)

    def valid_approvals(self) -> SignOffQuerySet:
        """
        Approvals of exactly the content their revision holds, by a physician not revoked.

        What the public review history lists: every approval that was a real signature on
        that revision's content. Not all of them are in force (see `in_force`).
        """
        return self.approvals().filter(
            content_hash=F("revision__content_hash"), reviewer__revoked_at__isnull=True
        )

    def standing(self) -> SignOffQuerySet:
        """
        Valid approvals that no later "changes requested" on the same revision took back: the
        approvals an approval policy of several physicians counts (`reviews.approvals`).
        """
        taken_back = SignOff.objects.filter(
            revision_id=OuterRef("revision_id"),
            decision=SignOff.Decision.CHANGES_REQUESTED,
            pk__gt=OuterRef("pk"),
        )
        return self.valid_approvals().exclude(Exists(taken_back))

    def in_force(self) -> SignOffQuerySet:
        """
        **The approval in force**: the one rule every publishing and public path uses.

        An approval counts only while (1) it is the newest decision on its revision (a later
        "changes requested" takes it back), (2) its signed hash is the revision's stored hash,
        and (3) its signer's profile has not been revoked for cause. Publishing additionally
        demands that the signer is in good standing at that moment (`publishable`).
        """
        newest = (
            SignOff.objects.filter(revision_id=OuterRef("revision_id"))
            .order_by("-pk")
            .values("pk")[:1]
        )
        return self.valid_approvals().filter(pk=Subquery(newest))

    def publishable(self) -> SignOffQuerySet:
        """
        Approvals in force whose signer may still vouch for them now: the profile is verified
        and its login active. Checked when a revision is published (now or on schedule).
        """
        return self.in_force().filter(
            reviewer__verified_at__isnull=False, reviewer__user__is_active=True
        )


class SignOff(AppendOnlyModel):
    """
    One electronic signature on one revision (21 CFR Part 11, adopted voluntarily).

    It records who signed (printed name and credentials as they were at signing), when, what the
    signature means, and the exact `content_hash` of the revision signed. Sign-offs are never
    changed or deleted: the model, its queryset and database triggers refuse.
    They form one global hash chain: `previous_hash` is the `record_hash` of the sign-off made
    just before, and `record_hash` is the SHA-256 of this record's canonical JSON, so changing
    or removing a record behind the app's back breaks the chain (`signoff_chain_verify`).
    Create them only through `reviews.services.signoff_create`.
    """

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    MEANINGS = {
        Decision.APPROVED: "Medical review: accurate and appropriate for publication.",
        Decision.CHANGES_REQUESTED: "Medical review: changes requested before publication.",
    }
    NO_CONFLICT = "None declared"
    # Bump when the canonical record changes shape, so old records still verify. Version 2
    # adds the article, the revision number and the signing key's id, and is signed; version
    # 3 is a version 2 record signed with a passkey, and adds the passkey and its assertion.
    RECORD_VERSION = 2
    PASSKEY_RECORD_VERSION = 3

    revision = models.ForeignKey(
        "articles.ArticleRevision",
        on_delete=models.PROTECT,
        related_name="signoffs",
        help_text="The exact revision signed.",
    )
    reviewer = models.ForeignKey(
        "reviews.ReviewerProfile",
        on_delete=models.PROTECT,
        related_name="signoffs",
        help_text="The reviewing physician's profile.",
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="signoffs",
        help_text="The login that signed (it re-entered its password).",
    )
    printed_name = models.CharField(max_length=150, help_text="The name as it was at signing.")
    credentials = models.CharField(max_length=60, help_text="The credentials as at signing.")
    signed_at = models.DateTimeField(help_text="When the signature was made.")
    decision = models.CharField(
        max_length=20, choices=Decision.choices, help_text="Approved, or changes requested."
    )
    meaning = models.CharField(max_length=255, help_text="What this signature means.")
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the revision content that was signed."
    )
    comment = models.TextField(blank=True, help_text="The reviewer's comment to the editors.")
    conflict_of_interest = models.TextField(
        blank=True,
        help_text='The reviewer\'s conflict-of-interest declaration; empty means "None declared".',
    )
    previous_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="The record hash of the sign-off before this one (empty for the first).",
    )
    record_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of this record; links the chain."
    )
    version = models.PositiveSmallIntegerField(
        default=RECORD_VERSION, help_text="The shape of the signed record (see canonical_record)."
    )
    article_id_signed = models.BigIntegerField(
        null=True, help_text="The article of the revision, as signed."
    )
    revision_number = models.PositiveIntegerField(
        null=True, help_text="The revision's number within its article, as signed."
    )
    key_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The site signing key that signed this record (its JWK thumbprint).",
    )
    signature = models.CharField(
        max_length=128,
        blank=True,
        help_text="Ed25519 signature of the canonical record by the site key (base64url).",
    )
    passkey = models.ForeignKey(
        "reviews.Passkey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signoffs",
        help_text="The physician's passkey that signed, when not signed with the password.",
    )
    passkey_assertion = models.JSONField(
        default=dict,
        blank=True,
        help_text="The passkey's signature (WebAuthn assertion) and what its challenge was "
        "made from; verify_signoffs checks it again with the passkey's public key.",
    )
    public_signature = models.CharField(
        max_length=128,
        blank=True,
        help_text="Ed25519 signature of the public record (what the public log and the "
        "attestations show), so anyone can check it with the published keys.",
    )

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        get_latest_by = "pk"
        permissions = [("sign_revision", "Can sign a revision as its medical reviewer")]
        triggers = [append_only_trigger()]
        constraints = [
            # Each record has exactly one successor at most: two sign-offs naming the same
            # predecessor would fork the chain, so the database refuses the second.
            models.UniqueConstraint(fields=["previous_hash"], name="signoff_chain_no_fork"),
            models.CheckConstraint(
                condition=Q(decision__in=["approved", "changes_requested"]),
                name="signoff_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$")
                & Q(record_hash__regex=r"^[0-9a-f]{64}$")
                & (Q(previous_hash="") | Q(previous_hash__regex=r"^[0-9a-f]{64}$")),
                name="signoff_hashes_are_sha256",
            ),
            models.CheckConstraint(
                condition=~Q(meaning="") & ~Q(printed_name="") & ~Q(credentials=""),
                name="signoff_signature_manifest_complete",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_decision_display()} by {self.display_name} on "
            f"{self.signed_at:%Y-%m-%d %H:%M %Z} (revision {self.revision_id})"
        )

    @property
    def display_name(self) -> str:
        """The signer as printed at signing: "Jane Roe, DO"."""
        return f"{self.printed_name}, {self.credentials}"

    @property
    def is_approval(self) -> bool:
        """Whether this sign-off approved its revision."""
        return self.decision == self.Decision.APPROVED

    @property
    def conflict_of_interest_display(self) -> str:
        """The declaration as shown to readers: the text, or "None declared"."""
        return self.conflict_of_interest or self.NO_CONFLICT

    def canonical_record(self) -> dict[str, Any]:
        """
        Every signed field, in the form that `record_hash` and `signature` are computed over.

        Version 1 records (before site signatures) keep their original shape so their hashes
        still verify; version 2 adds what binds the record to one page and one key.
        """
        signed_at = self.signed_at.astimezone(UTC) if self.signed_at else None
        record = {
            "v": self.version,
            "revision_id": self.revision_id,
            "reviewer_id": self.reviewer_id,
            "signer_id": self.signer_id,
            "printed_name": self.printed_name,
            "credentials": self.credentials,
            "signed_at": signed_at.isoformat() if signed_at else None,
            "decision": str(self.decision),
            "meaning": self.meaning,
            "content_hash": self.content_hash,
            "comment": self.comment,
            "conflict_of_interest": self.conflict_of_interest,
            "previous_hash": self.previous_hash,
        }
        if self.version >= 2:
            record.update(
                article_id=self.article_id_signed,
                revision_number=self.revision_number,
                key_id=self.key_id,
            )
        if self.version >= 3:
            record.update(passkey_id=self.passkey_id, passkey_assertion=self.passkey_assertion)
        return record

    def public_record(self) -> dict[str, Any]:
        """
        What the public may know of this record: everything but the reviewer's comment to the
        editors and internal ids. `record_hash` commits it to the full record; the site signs
        it (`public_signature`) so that outsiders can check it with the published keys.
        """
        return {
            "v": 1,
            "article_id": self.article_id_signed,
            "revision_number": self.revision_number,
            "content_hash": self.content_hash,
            "decision": str(self.decision),
            "meaning": self.meaning,
            "printed_name": self.printed_name,
            "credentials": self.credentials,
            "signed_at": self.signed_at.astimezone(UTC).isoformat() if self.signed_at else None,
            "record_hash": self.record_hash,
            "previous_hash": self.previous_hash,
            "key_id": self.key_id,
        }

    def public_bytes(self) -> bytes:
        """The canonical JSON of `public_record()`: what `public_signature` signs."""
        return json.dumps(
            self.public_record(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def canonical_bytes(self) -> bytes:
        """The canonical JSON of this record (sorted keys, no spaces, UTF-8): what is signed."""
        return json.dumps(
            self.canonical_record(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def compute_record_hash(self) -> str:
        """SHA-256 of the canonical JSON of this record."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def clean(self) -> None:
        if self.signed_at is not None and self.signed_at.tzinfo is None:
            raise ValidationError({"signed_at": "The signing time must be timezone-aware."})
        if self.record_hash and self.record_hash != self.compute_record_hash():
            raise ValidationError({"record_hash": "The record hash does not match the record."})
