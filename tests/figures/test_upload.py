"""Uploading a figure: what is accepted, what is refused, and what is stored."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from figures.models import Figure
from figures.services import figure_create, figure_prepare, figure_update
from figures.storage import figure_storage, storage_name
from tests.factories.articles import EditorFactory
from tests.figures.conftest import FIGURE_WORDS, chart, encoded, make_figure, upload

pytestmark = pytest.mark.django_db

GPS = 0x8825  # the EXIF GPS IFD


def jpeg_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(GPS).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    return encoded(chart(400, 200), "JPEG", exif=exif.tobytes(), quality=90)


def stored_files(figure: Figure) -> list[bytes]:
    storage = figure_storage()
    names = {storage_name(figure.sha256, figure.format)} | {
        storage_name(r["sha256"], r["format"]) for r in figure.renditions
    }
    out = []
    for name in sorted(names):
        with storage.open(name, "rb") as handle:
            out.append(handle.read())
    return out


def test_a_jpeg_with_gps_comes_back_without_any_exif_and_upright():
    source = jpeg_with_gps_and_rotation()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS)  # the upload carries GPS

    figure = figure_create(image=upload(source, "photo.jpg"), data=FIGURE_WORDS, user=None)

    assert (figure.format, figure.width, figure.height) == ("jpeg", 200, 400)  # rotated
    files = stored_files(figure)
    assert len(files) == 2  # 200 px wide: one size, as JPEG and as WebP
    for data in files:
        image = Image.open(io.BytesIO(data))
        assert image.size == (200, 400)
        assert not image.getexif()
        assert "exif" not in image.info and "xmp" not in image.info
        assert b"CameraMaker" not in data and b"GPS" not in data


def test_a_text_file_named_png_is_refused_and_nothing_is_stored(figure_files):
    with pytest.raises(ValidationError) as refused:
        figure_create(
            image=upload(b"Not a picture at all\n", "chart.png"), data=FIGURE_WORDS, user=None
        )
    assert "not an image we can use" in str(refused.value)
    assert Figure.objects.count() == 0
    assert not figure_files.exists() or not any(figure_files.rglob("*.*"))


def test_a_damaged_png_is_refused():
    data = encoded(chart(), "PNG")
    with pytest.raises(ValidationError, match="could not be read"):
        figure_prepare(upload(data[: len(data) // 2]))


def test_too_many_bytes_or_pixels_is_refused(settings):
    data = encoded(chart(), "PNG")
    settings.FIGURE_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError, match="the limit is"):
        figure_prepare(upload(data))
    settings.FIGURE_MAX_BYTES = 10_000_000
    settings.FIGURE_MAX_PIXELS = 1600 * 900 - 1
    with pytest.raises(ValidationError, match="pixels in all"):
        figure_prepare(upload(data))
    settings.FIGURE_MAX_PIXELS = 1600 * 900
    assert figure_prepare(upload(data)).original.width == 1600


def test_an_animated_image_is_refused():
    frames = [chart(200, 100), chart(200, 100, bars=(1, 2, 3, 4))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(ValidationError, match="Animated"):
        figure_prepare(upload(buffer.getvalue()))


@pytest.mark.parametrize(("fmt", "expected"), [("PNG", "png"), ("WEBP", "webp")])
def test_png_and_webp_are_accepted_by_what_they_decode_as(fmt, expected):
    # The name says .jpg: the type is what the bytes decode as, never the extension.
    figure = figure_create(
        image=upload(encoded(chart(), fmt), "misnamed.jpg"), data=FIGURE_WORDS, user=None
    )
    assert figure.format == expected
    assert figure.source_name == "misnamed.jpg"


def test_renditions_are_made_once_content_addressed_with_their_hashes():
    figure = make_figure()  # a 1600 × 900 PNG chart
    widths = sorted({(r["width"], r["format"]) for r in figure.renditions})
    assert widths == [
        (480, "png"), (480, "webp"), (800, "png"), (800, "webp"), (1200, "png"), (1200, "webp")
    ]  # fmt: skip
    storage = figure_storage()
    for item in [{"sha256": figure.sha256, "format": figure.format}, *figure.renditions]:
        name = storage_name(item["sha256"], item["format"])
        assert item["sha256"] in name
        with storage.open(name, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == item["sha256"]
    rendition = next(r for r in figure.renditions if r["width"] == 800 and r["format"] == "png")
    assert rendition["height"] == 450
    # Editing the words later makes no new files and changes no hash.
    before = sorted(p.name for p in Path(storage.location).rglob("*.*"))
    renditions = figure.renditions
    figure_update(figure=figure, data={"caption": "A new caption"}, user=None)
    figure.refresh_from_db()
    assert sorted(p.name for p in Path(storage.location).rglob("*.*")) == before
    assert (figure.renditions, figure.caption) == (renditions, "A new caption")


def test_words_are_required_and_a_credit_link_must_be_a_web_address():
    with pytest.raises(ValidationError) as refused:
        make_figure(alt_text="  ", credit_url="javascript:alert(1)")
    assert set(refused.value.message_dict) == {"alt_text", "credit_url"}
    with pytest.raises(ValidationError) as refused:
        make_figure(licence="other", licence_detail="")
    assert "licence_detail" in refused.value.message_dict
    assert Figure.objects.count() == 0
    assert make_figure(licence="other", licence_detail="Crown copyright").licence_text == (
        "Crown copyright"
    )


def test_the_admin_upload_form_refuses_a_text_file_and_the_change_form_keeps_the_image(client):
    client.force_login(EditorFactory())
    add = reverse("admin:figures_figure_add")
    refused = client.post(add, {**FIGURE_WORDS, "image": upload(b"hello", "notes.png")})
    assert refused.status_code == 200
    assert "not an image we can use" in refused.context["adminform"].form.errors["image"][0]
    assert Figure.objects.count() == 0

    accepted = client.post(add, {**FIGURE_WORDS, "image": upload(encoded(chart(), "PNG"))})
    assert accepted.status_code == 302
    figure = Figure.objects.get()
    change = client.get(reverse("admin:figures_figure_change", args=[figure.pk]))
    page = change.content.decode()
    assert 'name="image"' not in page
    assert "upload it as a new figure" in page
    assert figure.sha256 in page
    client.post(
        reverse("admin:figures_figure_change", args=[figure.pk]),
        {**FIGURE_WORDS, "caption": "Better caption"},
    )
    figure.refresh_from_db()
    assert figure.caption == "Better caption"
    assert client.post(reverse("admin:figures_figure_delete", args=[figure.pk])).status_code == 403
