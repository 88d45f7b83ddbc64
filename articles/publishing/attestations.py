"""
Public, verifiable attestations: "this physician signed exactly this content".

Each live article whose page shows a review stamp has an attestation at
``/articles/<slug>/review.json``: a JWS (RFC 7515, compact serialization) signed with the site's
Ed25519 key (`reviews.keys`), whose payload names the page, the SHA-256 of the revision's
canonical export (``/articles/<slug>/revision.json``, the exact bytes that were hashed) and the
sign-off in force (who, with what credentials, when, meaning what, and its position in the
public log of sign-offs, `reviews.log`). The site's public keys are
at ``/.well-known/jwks.json``. Anyone can then check, with any JOSE library and no trust in this
code, that the site vouches for the review and that the export is what was signed:

1. fetch ``review.json``; its ``jwks_url`` and ``canonical_export_url`` say where the rest is;
2. fetch the JWKS and take the key whose ``kid`` is the JWS header's ``kid``;
3. verify the JWS (algorithm ``Ed25519``, RFC 9864) with that key;
4. SHA-256 the export's bytes and compare with the payload's ``content_hash``;
5. compare the payload's ``url`` and ``reviewer`` with the page and its stamp.

`manage.py verify_page` does exactly that, against any site.

The protected header is ``{"alg": "Ed25519", "kid": <RFC 7638 thumbprint>, "typ":
"health-page-attestation+jwt"}``. The payload is a JWT claims set (``iss``, ``iat``) with our
own claims, so the ``+jwt`` suffix tells generic JWT tools how to read it, while the explicit
type (RFC 8725 section 3.11) keeps an attestation from being mistaken for any other token this
key might sign (a login token, say), and vice versa. The payload bytes are canonical JSON
(sorted keys, no spaces, UTF-8: `articles.content.snapshot.canonical_bytes`), so the same claims
give
the same bytes everywhere.

There is an attestation only when the page shows a stamp (`ReviewState.show_stamp`): no
approval in force, an approval taken back, content that no longer matches its hash or a page
withdrawn for an overdue review all mean "no attestation", never a weaker one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from articles.publishing.structured_data import absolute_url
from reviews import keys, log

if TYPE_CHECKING:
    from articles.content.models import Article, ArticleRevision
    from articles.publishing.review_state import ReviewState

TYPE = "health-page-attestation+jwt"
HASH_ALG = "sha-256"
HOW_TO_VERIFY = (
    "Verify `jws` (Ed25519, RFC 7515 compact) with the key in `jwks_url` whose `kid` matches "
    "its header, then check that the SHA-256 of the bytes at `canonical_export_url` equals "
    "the payload's `content_hash`."
)


class NoAttestation(Exception):
    """The page shows no review stamp, so there is nothing to attest."""


class AttestationInvalid(Exception):
    """An attestation failed verification; the message names the check that failed."""


@dataclass(frozen=True)
class VerifiedAttestation:
    """What `attestation_verify` established: the signed payload and the key that signed it."""

    payload: dict[str, Any]
    kid: str
    content_hash: str


def _iso_utc(value: datetime) -> str:
    # The form the sign-off record itself is hashed and signed in (SignOff.canonical_record).
    return value.astimezone(UTC).isoformat()


def attestation_payload(
    *, article: Article, revision: ArticleRevision, review: ReviewState, now: datetime
) -> dict[str, Any]:
    """
    The claims of the attestation of `revision` (the live one) of `article`, as of `now`.

    Everything comes from `review` (the same `ReviewState` that draws the stamp) and the
    revision. Raises `NoAttestation` when the page shows no stamp.
    """
    if not review.show_stamp:
        raise NoAttestation(f"'{article.slug}' shows no review stamp")
    signoff = review.signoff
    return {
        "iss": settings.SITE_URL,
        "iat": int(now.timestamp()),
        "url": absolute_url(article.get_absolute_url()),
        "article_slug": article.slug,
        "revision_number": revision.number,
        "content_hash": revision.content_hash,
        "hash_alg": HASH_ALG,
        "canonical_export_url": absolute_url(
            reverse("articles:revision_json", kwargs={"slug": article.slug})
        ),
        "reviewer": {
            "name": signoff.printed_name,
            "credentials": signoff.credentials,
            "profile_url": absolute_url(signoff.reviewer.get_absolute_url()),
        },
        "decision": str(signoff.decision),
        "meaning": signoff.meaning,
        "signed_at": _iso_utc(signoff.signed_at),
        "next_review_due": _iso_utc(review.next_review_due),
        "signoff_record_hash": signoff.record_hash,
        # The physician's sign-off as the public log holds it, with the site's signature of it:
        # anyone can check it with the published keys, independently of this attestation.
        "signoff": {
            **signoff.public_record(),
            "public_signature": signoff.public_signature,
        },
        "key_id": signoff.key_id,
        # Where the sign-off sits in the public log (`/transparency/`), for an inclusion proof.
        "log_index": log.entry_index(signoff),
    }


def attestation_jws(
    *, article: Article, revision: ArticleRevision, review: ReviewState, now: datetime
) -> str:
    """The attestation as a JWS compact serialization, signed with the site's active key."""
    payload = attestation_payload(article=article, revision=revision, review=review, now=now)
    return sign_payload(payload)


def sign_payload(payload: dict[str, Any]) -> str:
    """`payload` as canonical JSON in a JWS signed by the active key (header: module docstring)."""
    return keys.sign_jws(payload, typ=TYPE)


def jwks_url() -> str:
    """The absolute address of the site's JWK Set."""
    return absolute_url(reverse("jwks"))


def attestation_document(
    *, article: Article, revision: ArticleRevision, review: ReviewState, now: datetime
) -> dict[str, Any]:
    """The body of ``review.json``: the JWS, its payload in clear, and where the keys are."""
    payload = attestation_payload(article=article, revision=revision, review=review, now=now)
    return {
        "jws": sign_payload(payload),
        "payload": payload,
        "jwks_url": jwks_url(),
        "how_to_verify": HOW_TO_VERIFY,
    }


def attestation_verify(
    *, document: dict[str, Any], jwks: dict[str, Any], export: bytes
) -> VerifiedAttestation:
    """
    Verify a ``review.json`` document against a JWK Set and the canonical export's bytes.

    Checks, in order: the JWS header (algorithm, type, a ``kid`` present in `jwks`), the
    signature, that the signed payload is the document's ``payload``, and that the SHA-256 of
    `export` is the signed ``content_hash``. Raises `AttestationInvalid` naming the first
    check that fails. Trusts nothing in `document` that the signature does not cover.
    """
    token = document.get("jws") if isinstance(document, dict) else None
    if not isinstance(token, str):
        raise AttestationInvalid("The attestation has no `jws` string.")
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError) as error:
        raise AttestationInvalid(f"The JWS is malformed: {error}.") from error
    if header.get("alg") != keys.JWS_ALGORITHM:
        raise AttestationInvalid(f"The JWS algorithm is {header.get('alg')!r}, not Ed25519.")
    if header.get("typ") != TYPE:
        raise AttestationInvalid(f"The JWS type is {header.get('typ')!r}, not {TYPE!r}.")
    kid = header.get("kid")
    matching = [
        key
        for key in (jwks or {}).get("keys", [])
        if isinstance(key, dict) and key.get("kid") == kid
    ]
    if not matching:
        raise AttestationInvalid(f"The JWKS has no key with the JWS's kid {kid!r}.")
    try:
        key_set = KeySet.import_key_set({"keys": matching})
        verified = jws.deserialize_compact(token, key_set, algorithms=[keys.JWS_ALGORITHM])
    except JoseError as error:
        raise AttestationInvalid(
            f"The JWS signature does not verify with key {kid}: {error}."
        ) from error
    except (ValueError, TypeError) as error:
        raise AttestationInvalid(f"The JWKS key {kid} is not usable: {error}.") from error
    try:
        payload = json.loads(verified.payload)
    except (ValueError, UnicodeError) as error:
        raise AttestationInvalid(f"The signed payload is not JSON: {error}.") from error
    if not isinstance(payload, dict):
        raise AttestationInvalid("The signed payload is not a JSON object.")
    if payload != document.get("payload"):
        raise AttestationInvalid("The document's `payload` differs from the signed payload.")
    if payload.get("hash_alg") != HASH_ALG:
        raise AttestationInvalid(f"The hash algorithm is {payload.get('hash_alg')!r}, not sha-256.")
    digest = hashlib.sha256(export).hexdigest()
    claimed = payload.get("content_hash")
    if digest != claimed:
        raise AttestationInvalid(
            f"The export's SHA-256 ({digest}) is not the signed content_hash ({claimed})."
        )
    return VerifiedAttestation(payload=payload, kid=kid, content_hash=digest)
