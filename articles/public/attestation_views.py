"""
The machine-readable proof of review: ``review.json``, ``revision.json`` and the site's JWKS.

Short views over the public gate, like `articles.public.views`: an article that is not public, a
page withdrawn, or a page that shows no review stamp has neither an attestation nor an export (404),
so the pair exists exactly when the page says "Medically reviewed by". A former slug answers
301 to the current address, as the page does. What is signed and how to check it:
`articles.publishing.attestations`.

The three answers are public data about public pages: cacheable by shared caches and readable
from any origin (``Access-Control-Allow-Origin: *``), so a verifier running in a browser on
another site can fetch them. They carry no cookies and no per-visitor content.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.content.snapshot import canonical_bytes
from articles.public import freshness
from articles.public.views import public_record_or_redirect
from articles.publishing.attestations import attestation_document
from articles.publishing.publication import publication_intact, review_state_of
from reviews import keys

ATTESTATION_MAX_AGE = 300
JWKS_MAX_AGE = 3600


def _public(response: HttpResponse, max_age: int) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _attested(slug: str, url_name: str):
    """
    ``(article, review, None)`` for a page that shows a stamp, or ``(None, None, response)``
    with a redirect for a former slug; raises Http404 otherwise.
    """
    now = timezone.now()
    record, moved = public_record_or_redirect(slug, url_name, now=now)
    if moved is not None:
        return None, None, moved
    # A failing record is re-derived by the page view (and audited there); these answers only
    # refuse, so that nobody can make the app write at will.
    if not publication_intact(record):
        raise Http404("This page is under review")
    review = review_state_of(record, now=now)
    if review.withdrawn or not review.show_stamp:
        raise Http404("This page has no physician approval in force")
    return record, review, None


@require_safe
def review_json(request, slug):
    """The signed attestation of the live revision's review (`articles.publishing.attestations`)."""
    record, review, response = _attested(slug, "articles:review_json")
    if response is not None:
        return response
    now = timezone.now()
    document = attestation_document(
        article=record, revision=record.revision, review=review, now=now
    )
    response = _public(
        JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2}),
        ATTESTATION_MAX_AGE,
    )
    return freshness.attach(response, freshness.of_record(record, now))


@require_safe
def revision_json(request, slug):
    """
    The canonical export: the live revision's snapshot in exactly the bytes that were hashed,
    so that SHA-256 of this body is the attestation's ``content_hash``.
    """
    record, _review, response = _attested(slug, "articles:revision_json")
    if response is not None:
        return response
    response = _public(
        HttpResponse(
            canonical_bytes(record.revision.snapshot),
            content_type="application/json; charset=utf-8",
        ),
        ATTESTATION_MAX_AGE,
    )
    return freshness.attach(response, freshness.of_record(record, timezone.now()))


@require_safe
def jwks(request):
    """The site's public signing keys (RFC 7517 JWK Set): the active key first, then retired."""
    return _public(
        HttpResponse(json.dumps(keys.jwks(), indent=2), content_type="application/jwk-set+json"),
        JWKS_MAX_AGE,
    )
