"""
The site's signing keys: Ed25519, held outside the database.

Every sign-off record and every public attestation is signed with the site's private key, so
that someone who can write to the database (and recompute every hash there) still cannot make
a record that verifies: they do not have the key. The key is read from a file
(``SIGNING_KEY_FILE``) or an environment variable (``SIGNING_KEY``, PEM text), never from the
database. Keys are named by their RFC 7638 JWK thumbprint (``kid``).

Rotation: move the old key's *public* half into ``SIGNING_RETIRED_PUBLIC_KEYS_FILE`` (PEM
blocks, one after another) and install a new private key. Old records keep verifying, and the
retired keys stay published in the JWKS (`/.well-known/jwks.json`) so that anyone can still
check old attestations.

This module is the only place that reads those settings. Cryptography is the `cryptography`
and `joserfc` libraries'; nothing here is hand-written.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc import jws
from joserfc.jwk import OKPKey

# The JWS algorithm name for Ed25519 (RFC 9864, which replaces the older "EdDSA").
JWS_ALGORITHM = "Ed25519"
_PEM_BLOCK = re.compile(
    rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL
)


class SigningKeyMissing(ImproperlyConfigured):
    """No private signing key is configured, or it cannot be read."""


@dataclass(frozen=True)
class PublicKey:
    """One public key of the site, with its key id and whether it still signs."""

    kid: str
    key: Ed25519PublicKey
    active: bool

    def jwk(self) -> dict[str, str]:
        """The key as a public JWK (RFC 8037), with `kid`, `alg` and `use`."""
        jwk = OKPKey.import_key(self.key).as_dict(private=False)
        return {**jwk, "kid": self.kid, "alg": JWS_ALGORITHM, "use": "sig"}


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of a public key: its stable, public name."""
    return OKPKey.import_key(public_key).thumbprint()


def generate_private_key_pem() -> bytes:
    """A new Ed25519 private key as PKCS#8 PEM (for `manage.py signing_key_create`)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_key_pem() -> bytes:
    inline = (getattr(settings, "SIGNING_KEY", "") or "").strip()
    if inline:
        return inline.encode("ascii")
    path = getattr(settings, "SIGNING_KEY_FILE", "") or ""
    if not path:
        raise SigningKeyMissing(
            "No signing key: set SIGNING_KEY_FILE to an Ed25519 private key file "
            "(create one with `manage.py signing_key_create PATH`) or SIGNING_KEY to its PEM."
        )
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SigningKeyMissing(f"The signing key file cannot be read: {error}.") from error


@functools.cache
def _private_key() -> Ed25519PrivateKey:
    pem = _private_key_pem()
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyMissing(f"The signing key is not a readable PEM key: {error}.") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("The signing key must be an Ed25519 key.")
    return key


@functools.cache
def _retired_keys() -> tuple[Ed25519PublicKey, ...]:
    path = getattr(settings, "SIGNING_RETIRED_PUBLIC_KEYS_FILE", "") or ""
    if not path:
        return ()
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"Retired public keys cannot be read: {error}.") from error
    keys = []
    for block in _PEM_BLOCK.findall(data):
        key = serialization.load_pem_public_key(block)
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured("Retired public keys must be Ed25519 keys.")
        keys.append(key)
    return tuple(keys)


def reset_cache() -> None:
    """Forget the loaded keys (after the settings change: key rotation in tests)."""
    _private_key.cache_clear()
    _retired_keys.cache_clear()


def active_key_id() -> str:
    """The key id of the key that signs now."""
    return key_id(_private_key().public_key())


def public_keys() -> list[PublicKey]:
    """Every public key of the site: the active one first, then the retired ones."""
    active = _private_key().public_key()
    keys = [PublicKey(kid=key_id(active), key=active, active=True)]
    seen = {keys[0].kid}
    for retired in _retired_keys():
        kid = key_id(retired)
        if kid not in seen:
            keys.append(PublicKey(kid=kid, key=retired, active=False))
            seen.add(kid)
    return keys


def jwks() -> dict[str, list[dict[str, str]]]:
    """The public keys as a JWK Set (RFC 7517), for `/.well-known/jwks.json`."""
    return {"keys": [key.jwk() for key in public_keys()]}


def private_jwk() -> OKPKey:
    """The active private key as a joserfc key, for signing JWS attestations."""
    return OKPKey.import_key(_private_key())


def canonical_json(data: dict) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): what the site signs."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign_jws(payload: dict, *, typ: str) -> str:
    """A compact JWS of ``payload`` (canonical JSON) by the active key, typed ``typ``."""
    header = {"alg": JWS_ALGORITHM, "kid": active_key_id(), "typ": typ}
    return jws.serialize_compact(
        header, canonical_json(payload), private_jwk(), algorithms=[JWS_ALGORITHM]
    )


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The inverse of `b64url`; raises ValueError on malformed input."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"Not base64url: {error}") from error


def sign(data: bytes) -> tuple[str, str]:
    """Sign ``data`` with the active key; returns ``(kid, base64url signature)``."""
    key = _private_key()
    return key_id(key.public_key()), b64url(key.sign(data))


def verify(*, kid: str, data: bytes, signature: str) -> bool:
    """Whether ``signature`` is a valid signature of ``data`` by the site's key ``kid``."""
    for public in public_keys():
        if public.kid == kid:
            try:
                public.key.verify(b64url_decode(signature), data)
            except (InvalidSignature, ValueError):
                return False
            return True
    return False
