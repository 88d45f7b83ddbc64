"""
Writes to the figure library: the one entry point for each change.

`figure_prepare` checks an upload and makes its files in memory; `figure_create` stores them
under their content address and records the figure; `figure_update` changes only the words
(alt text, caption, credit, licence): the image of a figure never changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from figures import storage
from figures.images import PreparedImage, prepare_image
from figures.models import Figure

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

# The words of a figure: what `figure_create` and `figure_update` accept.
FIGURE_FIELDS = ("alt_text", "caption", "credit", "credit_url", "licence", "licence_detail")


def figure_prepare(upload: IO[bytes]) -> PreparedImage:
    """
    Check an uploaded file and make its files (not stored yet), within the size limits
    `FIGURE_MAX_BYTES` and `FIGURE_MAX_PIXELS`, with renditions `FIGURE_RENDITION_WIDTHS`.

    Raises ValidationError (with a message for the editor) for anything that is not a usable
    JPEG, PNG or WebP image.
    """
    return prepare_image(
        upload,
        max_bytes=settings.FIGURE_MAX_BYTES,
        max_pixels=settings.FIGURE_MAX_PIXELS,
        widths=settings.FIGURE_RENDITION_WIDTHS,
    )


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(FIGURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown figure data: {', '.join(sorted(unknown))}")


def figure_create(
    *, image: PreparedImage | IO[bytes], data: Mapping[str, Any], user: AbstractBaseUser | None
) -> Figure:
    """
    Add a figure: `image` (an upload, or what `figure_prepare` made of one) and its words.

    Everything is checked before anything is written. The files are written first, under
    their content address (a file that is already there and sound is kept), then the row;
    files left by a row that then fails are harmless, as nothing points at them.
    """
    _check_keys(data)
    prepared = image if isinstance(image, PreparedImage) else figure_prepare(image)
    original = prepared.original
    figure = Figure(
        **{name: data[name] for name in FIGURE_FIELDS if name in data},
        source_name=prepared.source_name,
        sha256=original.sha256,
        format=original.format,
        width=original.width,
        height=original.height,
        byte_size=len(original.data),
        renditions=[
            {
                "width": item.width,
                "height": item.height,
                "format": item.format,
                "sha256": item.sha256,
                "bytes": len(item.data),
            }
            for item in prepared.renditions
        ],
        uploaded_by=user,
    )
    figure.full_clean()
    for item in prepared.files():
        storage.store(item)
    with transaction.atomic():
        figure.save(force_insert=True)
    logger.info("Figure %s (%s) uploaded by %s", figure.pk, figure.sha256, user)
    return figure


@transaction.atomic
def figure_update(*, figure: Figure, data: Mapping[str, Any], user: AbstractBaseUser) -> Figure:
    """
    Change a figure's words. Articles already signed keep showing the words they were signed
    with; the next revision of an article using the figure carries the new ones.
    """
    _check_keys(data)
    for name in FIGURE_FIELDS:
        if name in data:
            setattr(figure, name, data[name])
    figure.full_clean()
    figure.save(update_fields=[*FIGURE_FIELDS, "updated_at"])
    logger.info("Figure %s edited by %s", figure.pk, user)
    return figure
