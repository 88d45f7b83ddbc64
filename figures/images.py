"""
Checking an uploaded image and making its files, with Pillow (no Django models here).

An upload is trusted for nothing: its type is what Pillow decodes it as (only the JPEG, PNG and
WebP decoders are tried, whatever the file is called), its size is bounded in bytes before it
is read and in pixels before it is decoded, and it is decoded in full so that a truncated or
corrupt file is refused now rather than served later. What is stored is never the uploaded
file: the pixels are re-encoded after the EXIF orientation is applied, so EXIF (GPS position,
camera serial numbers), XMP, comments and colour profiles are all left behind. The renditions
for `srcset` are made here too, once: each width in the original format and in WebP.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format name -> (our format name, file extension, media type).
FORMATS = {
    "JPEG": ("jpeg", "jpg", "image/jpeg"),
    "PNG": ("png", "png", "image/png"),
    "WEBP": ("webp", "webp", "image/webp"),
}
EXTENSIONS = {name: ext for name, ext, _ in FORMATS.values()}
MEDIA_TYPES = {ext: media_type for _, ext, media_type in FORMATS.values()}

ACCEPTED = "Upload a JPEG, PNG or WebP image."


@dataclass(frozen=True)
class EncodedImage:
    """One stored file: its bytes, their SHA-256 and what they show."""

    data: bytes
    sha256: str
    format: str  # "jpeg", "png" or "webp"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


@dataclass(frozen=True)
class PreparedImage:
    """A checked upload: the re-encoded original and its renditions, not stored yet."""

    original: EncodedImage
    renditions: tuple[EncodedImage, ...]
    source_name: str = ""

    def files(self) -> list[EncodedImage]:
        """Every file to store, the original first, each once."""
        unique: dict[str, EncodedImage] = {}
        for item in (self.original, *self.renditions):
            unique.setdefault(item.sha256, item)
        return list(unique.values())


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _read_bounded(upload: IO[bytes], max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _refuse(_too_large_bytes(size, max_bytes), "too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(_too_large_bytes(len(data), max_bytes), "too_large")
    if not data:
        raise _refuse(f"The file is empty. {ACCEPTED}", "empty")
    return data


def _too_large_bytes(size: int, max_bytes: int) -> str:
    return (
        f"The file is {size / 1_000_000:.1f} MB; the limit is {max_bytes / 1_000_000:.1f} MB. "
        "Export the image smaller (a chart rarely needs more than 2,400 pixels across)."
    )


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = image.size
            if width * height > max_pixels:
                raise _refuse(
                    f"The image is {width:,} × {height:,} pixels; the limit is "
                    f"{max_pixels:,} pixels in all. Export it smaller.",
                    "too_many_pixels",
                )
            if getattr(image, "n_frames", 1) > 1:
                raise _refuse(
                    "Animated images cannot be used as figures: upload a still image.",
                    "animated",
                )
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(f"This file is not an image we can use. {ACCEPTED}", "not_an_image") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise _refuse(
            f"The image could not be read (it may be damaged or cut short). {ACCEPTED}",
            "damaged",
        ) from error
    return image


def _clean_pixels(image: Image.Image, fmt: str) -> Image.Image:
    """The pixels upright, in a mode the format can store, with no metadata attached."""
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith(("I", "F")):
        image = image.convert("L")  # 16-bit or floating-point grey: 8 bits are plenty on screen
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    # RGB (or RGBA where there is transparency and the format keeps it): every format and
    # every rendition can store it.
    clean = image.convert("RGBA" if has_alpha and fmt != "jpeg" else "RGB")
    # Nothing of the upload's info (EXIF, XMP, ICC profile, comments, text chunks) goes on.
    clean.info = {}
    return clean


def encode(image: Image.Image, fmt: str, *, lossless: bool = False) -> EncodedImage:
    """`image` saved as `fmt` with fixed settings (so the same pixels give the same bytes)."""
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "png":
        image.save(buffer, "PNG", optimize=True)
    else:
        if lossless:
            image.save(buffer, "WEBP", lossless=True, quality=80, method=4)
        else:
            image.save(buffer, "WEBP", quality=82, method=4)
    data = buffer.getvalue()
    return EncodedImage(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        width=image.width,
        height=image.height,
    )


def rendition_widths(width: int, widths: Iterable[int]) -> list[int]:
    """The widths to make for an image `width` pixels wide: never wider than the original."""
    return sorted({min(int(w), width) for w in widths if int(w) > 0} or {width})


def prepare_image(
    upload: IO[bytes], *, max_bytes: int, max_pixels: int, widths: Iterable[int]
) -> PreparedImage:
    """
    Check `upload` and make its files: the re-encoded original, and for each of `widths` (no
    wider than the original) one rendition in the original's format and one in WebP.

    Raises ValidationError with a message for the editor when the file is too large, is not a
    JPEG, PNG or WebP image, is damaged, or is animated.
    """
    data = _read_bounded(upload, max_bytes)
    decoded = _decode(data, max_pixels)
    fmt = FORMATS[decoded.format][0]
    image = _clean_pixels(decoded, fmt)
    original = encode(image, fmt)
    # A chart or diagram arrives as PNG: lossless WebP keeps its lines and lettering sharp.
    lossless = fmt == "png"
    renditions: list[EncodedImage] = []
    for width in rendition_widths(image.width, widths):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        renditions.append(original if resized is image else encode(resized, fmt))
        if fmt != "webp":
            renditions.append(encode(resized, "webp", lossless=lossless))
    return PreparedImage(
        original=original,
        renditions=tuple(renditions),
        source_name=str(getattr(upload, "name", "") or "")[:255],
    )
