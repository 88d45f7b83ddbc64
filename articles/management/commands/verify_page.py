"""
``manage.py verify_page URL_OR_FILE [--export FILE_OR_URL] [--jwks FILE_OR_URL]``

The outsider's check of a page's review attestation, against any site running this software:
it needs no database and no key of ours, only what the site publishes. The attestation is a
saved ``review.json`` or its http(s) address; the JWK Set and the canonical export default to
the addresses the attestation names (``jwks_url``, ``canonical_export_url``), which must then
be on the same site as the attestation's issuer, so a forged attestation cannot point at keys
of its own choosing. The checks themselves are
`articles.publishing.attestations.attestation_verify`.

Exits 0 and prints what was verified, or fails (CommandError, non-zero exit) naming the check
that failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from django.core.management.base import BaseCommand, CommandError

from articles.publishing.attestations import AttestationInvalid, attestation_verify

TIMEOUT_SECONDS = 15
MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "healthpages-verify_page/1"


def _is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def read_source(source: str, *, what: str) -> bytes:
    """The bytes of a local file or of an http(s) address (fetched with a timeout and a cap)."""
    if not _is_url(source):
        try:
            return Path(source).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read the {what} file {source}: {error}") from error
    request = Request(source, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})  # noqa: S310 - http(s) only, checked above
    try:
        with urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
            body = response.read(MAX_BYTES + 1)
    except (URLError, OSError, ValueError) as error:
        raise CommandError(f"Cannot fetch the {what} from {source}: {error}") from error
    if len(body) > MAX_BYTES:
        raise CommandError(f"The {what} at {source} is larger than {MAX_BYTES} bytes.")
    return body


def _json(data: bytes, *, what: str, source: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeError) as error:
        raise CommandError(f"The {what} from {source} is not JSON: {error}") from error


class Command(BaseCommand):
    help = (
        "Verify a page's signed review attestation (review.json, a file or an http(s) URL) "
        "against the site's JWKS and the page's canonical export."
    )

    def add_arguments(self, parser):
        parser.add_argument("attestation", help="review.json: a saved file or its http(s) URL.")
        parser.add_argument(
            "--export",
            help="The canonical export (revision.json), file or URL. "
            "Default: the attestation's canonical_export_url.",
        )
        parser.add_argument(
            "--jwks",
            help="The site's JWK Set, file or URL. Default: the attestation's jwks_url.",
        )

    def handle(self, *args, attestation, export=None, jwks=None, **options):
        document = _json(
            read_source(attestation, what="attestation"), what="attestation", source=attestation
        )
        if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
            raise CommandError(f"{attestation} is not a review.json document (no `payload`).")
        issuer = document["payload"].get("iss")
        if _is_url(attestation) and (
            not isinstance(issuer, str) or _origin(attestation) != _origin(issuer)
        ):
            raise CommandError(
                f"The attestation at {attestation} names another issuer ({issuer!r})."
            )
        jwks_source = jwks or self._default(document, "jwks_url", document.get("jwks_url"))
        export_source = export or self._default(
            document, "canonical_export_url", document["payload"].get("canonical_export_url")
        )
        key_set = _json(read_source(jwks_source, what="JWKS"), what="JWKS", source=jwks_source)
        if not isinstance(key_set, dict):
            raise CommandError(f"The JWKS from {jwks_source} is not a JWK Set.")
        export_bytes = read_source(export_source, what="canonical export")
        try:
            verified = attestation_verify(document=document, jwks=key_set, export=export_bytes)
        except AttestationInvalid as error:
            raise CommandError(f"Verification FAILED: {error}") from error
        payload = verified.payload
        reviewer = payload.get("reviewer") or {}
        lines = [
            f"Verified: {payload.get('url')}",
            f"  signature: Ed25519, key {verified.kid} (from {jwks_source}), "
            f"issuer {payload.get('iss')}",
            f"  content:   SHA-256 {verified.content_hash} of {export_source} "
            f"(revision {payload.get('revision_number')})",
            f"  reviewer:  {reviewer.get('name')}, {reviewer.get('credentials')} "
            f"({reviewer.get('profile_url')})",
            f"  decision:  {payload.get('decision')}: {payload.get('meaning')}",
            f"  signed at: {payload.get('signed_at')}; next review due "
            f"{payload.get('next_review_due')}",
            f"  sign-off record hash: {payload.get('signoff_record_hash')}",
        ]
        self.stdout.write("\n".join(lines))

    @staticmethod
    def _default(document: dict[str, Any], name: str, value: Any) -> str:
        """An address named by the attestation, only if it is on the issuer's site."""
        issuer = document["payload"].get("iss")
        if not isinstance(value, str) or not _is_url(value):
            raise CommandError(f"The attestation has no usable `{name}`; pass it explicitly.")
        if not isinstance(issuer, str) or _origin(value) != _origin(issuer):
            raise CommandError(
                f"The attestation's {name} ({value}) is not on its issuer's site ({issuer!r}); "
                "pass it explicitly if you trust it."
            )
        return value
