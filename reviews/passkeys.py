"""
Passkeys (WebAuthn) for signing: what a physician's device is asked to sign, and checking it.

A sign-off's challenge is not a random number: it is the SHA-256 of the canonical JSON of what
the physician decides (`signing_challenge`): the revision and its content hash, the decision,
its meaning, the review request, and a nonce the server issued for that screen. The device's
signature (the *assertion*) therefore covers exactly that decision on exactly that content,
and whoever holds the passkey's public key can check it again later (`assertion_verify`)
without trusting the site's signing key: a signature only the physician's device could make.

The WebAuthn checks themselves (origin, relying party, user presence and verification, the
signature) are the kept `webauthn` library's; this module only says what is expected.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from reviews.models import Passkey, ReviewerProfile

# Names this kind of challenge, so it can never be taken for any other value hashed the same way.
CHALLENGE_DOMAIN = "healthpages-signoff-v1"
# How long the browser lets the physician answer their device (milliseconds).
TIMEOUT_MS = 120_000


class PasskeyInvalid(Exception):
    """A passkey's registration or signature did not verify; the message says why."""


@dataclass(frozen=True)
class PasskeySignature:
    """
    A decision signed with a passkey, as the review screen posts it: the device's assertion
    (the browser's JSON of it), the nonce the screen was given, and the site as the browser
    saw it. `signoff_create` checks it and stores it with the sign-off.
    """

    assertion: dict[str, Any]
    nonce: str
    rp_id: str
    origin: str


@dataclass(frozen=True)
class RelyingParty:
    """The site as WebAuthn names it: the domain passkeys are bound to and the page's origin."""

    rp_id: str
    origin: str
    name: str


def relying_party(request: HttpRequest) -> RelyingParty:
    """
    `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGIN` when set (production), else the request's own host,
    which Django has checked against `ALLOWED_HOSTS`.
    """
    host = request.get_host()
    return RelyingParty(
        rp_id=settings.WEBAUTHN_RP_ID or host.rsplit(":", 1)[0],
        origin=settings.WEBAUTHN_ORIGIN or f"{request.scheme}://{host}",
        name=settings.SITE_NAME,
    )


def new_nonce() -> str:
    """A fresh nonce for one signing screen (kept in the session until the post)."""
    return secrets.token_urlsafe(18)


def signing_challenge(
    *,
    revision_id: int,
    content_hash: str,
    decision: str,
    meaning: str,
    request_id: int | None,
    nonce: str,
) -> bytes:
    """The challenge a physician's device signs for one decision: a hash of what is decided."""
    signed = {
        "domain": CHALLENGE_DOMAIN,
        "revision_id": revision_id,
        "content_hash": content_hash,
        "decision": decision,
        "meaning": meaning,
        "request_id": request_id,
        "nonce": nonce,
    }
    canonical = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def _descriptors(passkeys) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys]


def registration_options(
    *, profile: ReviewerProfile, rp: RelyingParty, challenge: bytes
) -> dict[str, Any]:
    """What the browser needs to create a passkey for ``profile`` (JSON-ready)."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=f"reviewer-{profile.pk}".encode(),
        user_name=profile.user.get_username(),
        user_display_name=profile.display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(profile.passkeys.all()),
    )
    return json.loads(options_to_json(options))


def registration_verify(
    *, credential: dict[str, Any], challenge: bytes, rp: RelyingParty
) -> tuple[str, bytes, int]:
    """
    Check a new passkey the browser created: ``(credential id, public key, sign count)``.
    The device must have verified the physician (PIN or biometrics), not only their presence.
    """
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyInvalid(f"The new passkey could not be verified ({error}).") from error
    return (
        bytes_to_base64url(verified.credential_id),
        verified.credential_public_key,
        verified.sign_count,
    )


def signing_options(*, challenge: bytes, rp: RelyingParty, passkeys) -> dict[str, Any]:
    """What the browser needs to ask one of ``passkeys`` to sign ``challenge`` (JSON-ready)."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options))


def credential_id_of(assertion: dict[str, Any]) -> str:
    """The credential id an assertion names ("" when it names none)."""
    value = assertion.get("id") if isinstance(assertion, dict) else None
    return value if isinstance(value, str) else ""


def assertion_verify(
    *,
    assertion: dict[str, Any],
    passkey: Passkey,
    challenge: bytes,
    rp_id: str,
    origin: str,
    sign_count: int = 0,
) -> int:
    """
    Check that ``passkey``'s device signed ``challenge`` for this site, with the physician
    verified; returns the device's new signature counter. Raises `PasskeyInvalid`.

    ``sign_count`` is the counter last seen (0 to skip that check, as when re-verifying an old
    sign-off: the counter has moved on since).
    """
    try:
        verified = verify_authentication_response(
            credential=assertion,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyInvalid(f"The passkey's signature does not verify ({error}).") from error
    return verified.new_sign_count
