"""Serving figure files: only bytes that still hash to the address they are asked by."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseNotModified
from django.views.decorators.http import require_safe

from figures import storage
from figures.images import MEDIA_TYPES

FORMAT_OF_EXTENSION = {"jpg": "jpeg", "png": "png", "webp": "webp"}
# The bytes behind an address never change, so caches may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


@require_safe
def figure_file(request, sha256: str, extension: str):
    """
    The figure file whose SHA-256 is `sha256`, if the stored bytes still hash to it.

    Anything else is 404: a file that is missing, or changed on the disk since it was stored,
    is never served (and a page that uses it is withdrawn by the articles app, which checks
    the same files). The answer is cacheable for a year: its address names its content.
    """
    fmt = FORMAT_OF_EXTENSION[extension]
    stream = storage.open_verified(sha256, fmt)
    if stream is None:
        raise Http404("No such figure file")
    etag = f'"{sha256}"'
    if etag in request.headers.get("If-None-Match", ""):
        stream.close()
        response = HttpResponseNotModified()
    else:
        response = FileResponse(stream, content_type=MEDIA_TYPES[extension])
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response
