"""Passkeys: a physician's own signing devices (WebAuthn credentials)."""

from __future__ import annotations

from django.db import models


class Passkey(models.Model):
    """
    A WebAuthn credential a physician registered to sign with instead of their password.

    Only the public key is here; the private key never leaves the physician's device, so a
    sign-off made with it (`SignOff.passkey_assertion`) is a signature only that device could
    make, and `verify_signoffs` checks it again with this key. A passkey is never deleted (old
    sign-offs are verified with it): removing it sets `revoked_at`, after which it cannot sign.
    """

    profile = models.ForeignKey(
        "reviews.ReviewerProfile",
        on_delete=models.PROTECT,
        related_name="passkeys",
        help_text="The physician whose device holds it.",
    )
    name = models.CharField(
        max_length=80, help_text='What the physician calls it, e.g. "Work laptop".'
    )
    credential_id = models.CharField(
        max_length=1400, unique=True, help_text="The credential's id (base64url)."
    )
    public_key = models.BinaryField(help_text="The credential's public key (COSE).")
    sign_count = models.PositiveBigIntegerField(
        default=0, help_text="The device's signature counter at its last use."
    )
    created_at = models.DateTimeField(help_text="When it was registered.")
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="When it last signed.")
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was removed; it cannot sign after that."
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.profile})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
