"""
Fixtures for the figure library: figure files in a temporary folder, and pictures drawn with
Pillow in the test (a small bar chart, a photo-like JPEG), never downloaded.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from figures.services import figure_create


@pytest.fixture(autouse=True)
def figure_files(settings, tmp_path):
    """Figure files go to a fresh temporary folder for each test."""
    location = tmp_path / "figures"
    settings.STORAGES = {
        **settings.STORAGES,
        "figures": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


def chart(width: int = 1600, height: int = 900, *, bars=(3, 5, 8, 6)) -> Image.Image:
    """A simple bar chart: white background, an axis, coloured bars."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    margin = width // 10
    draw.line([(margin, height - margin), (width - margin, height - margin)], fill="black", width=4)
    draw.line([(margin, margin), (margin, height - margin)], fill="black", width=4)
    step = (width - 2 * margin) // len(bars)
    for index, value in enumerate(bars):
        left = margin + index * step + step // 4
        top = height - margin - int((height - 2 * margin) * value / max(bars))
        draw.rectangle([left, top, left + step // 2, height - margin - 2], fill=(30, 90, 160))
    return image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "chart.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


FIGURE_WORDS = {
    "alt_text": "Bar chart: pain scores fall over four weeks of exercise.",
    "caption": "Average pain score by week of the exercise programme.",
    "credit": "Clear Pain Health",
    "credit_url": "https://example.org/charts",
    "licence": "cc-by-4.0",
}


def make_figure(*, image: Image.Image | None = None, fmt: str = "PNG", user=None, **words):
    """A figure made through the real service from a drawn chart."""
    data = encoded(image or chart(), fmt)
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[fmt]
    return figure_create(
        image=upload(data, f"chart.{extension}"), data={**FIGURE_WORDS, **words}, user=user
    )
