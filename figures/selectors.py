"""Reads of the figure library."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from figures import storage
from figures.models import Figure


def figures_in_bulk(ids: Iterable[int]) -> dict[int, Figure]:
    """The figures with these ids, by id (unknown ids are simply absent)."""
    return Figure.objects.in_bulk(list(dict.fromkeys(ids)))


def thumbnail(figure: Figure) -> dict[str, Any] | None:
    """The smallest WebP rendition (or the original) of `figure`, for admin lists and pickers."""
    candidates = [r for r in figure.renditions if r.get("format") == "webp"] or [
        {"width": figure.width, "height": figure.height, "format": figure.format,
         "sha256": figure.sha256}
    ]  # fmt: skip
    smallest = min(candidates, key=lambda r: r["width"])
    return {
        "url": storage.public_url(smallest["sha256"], smallest["format"]),
        "width": smallest["width"],
        "height": smallest["height"],
    }


def figure_picker_entries(*, limit: int = 500) -> list[dict[str, Any]]:
    """The newest figures as the article form's picker lists them."""
    entries = []
    for figure in Figure.objects.all()[:limit]:
        entries.append(
            {
                "id": figure.pk,
                "marker": figure.marker,
                "label": f"{figure.pk}: {figure.caption[:80]}",
                "alt": figure.alt_text,
                "thumbnail": thumbnail(figure),
            }
        )
    return entries
