"""
The demo's two figures, drawn here with Pillow (original work of this project, no downloads).

Each function returns PNG bytes; `loaddemo` uploads them to the figure library through the
same service an editor's upload uses, so they are checked, stripped and given renditions like
any other image. The numbers drawn are those of the cited trial (Murrough et al. 2013,
PMID 23982301) and of the course the clinic page describes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

INK = (27, 31, 36)
MUTED = (74, 85, 96)
ACCENT = (10, 110, 97)
PALE = (201, 209, 217)
WHITE = (255, 255, 255)


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def response_chart() -> bytes:
    """Bar chart: response at 24 hours, 64% after ketamine and 28% after midazolam."""
    width, height = 1200, 720
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), "Responded 24 hours after one infusion", font=_font(44), fill=INK)
    draw.text((60, 100), "Out of every 100 people in the trial", font=_font(30), fill=MUTED)
    base, top = 620, 180
    for index, (label, percent, colour) in enumerate(
        [("Ketamine", 64, ACCENT), ("Midazolam (comparison)", 28, MUTED)]
    ):
        left = 160 + index * 480
        bar_top = base - (base - top) * percent // 100
        draw.rectangle((left, bar_top, left + 300, base), fill=colour)
        draw.text((left + 95, bar_top - 70), f"{percent}%", font=_font(56), fill=INK)
        draw.text((left, base + 20), label, font=_font(30), fill=INK)
    draw.line((100, base, width - 100, base), fill=INK, width=3)
    return _png(image)


def course_timeline() -> bytes:
    """Timeline: assessment, six infusions over two to three weeks, then a review."""
    width, height = 1200, 440
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), "A typical course", font=_font(44), fill=INK)
    line_y = 280
    draw.line((100, line_y, width - 100, line_y), fill=PALE, width=8)
    stops = ["Assessment", *(f"{n}" for n in range(1, 7)), "Review"]
    step = (width - 200) // (len(stops) - 1)
    for index, label in enumerate(stops):
        x = 100 + index * step
        first_or_last = index in (0, len(stops) - 1)
        radius = 34 if first_or_last else 26
        fill = INK if first_or_last else ACCENT
        draw.ellipse((x - radius, line_y - radius, x + radius, line_y + radius), fill=fill)
        if first_or_last:
            draw.text((x - 70, line_y + 60), label, font=_font(30), fill=INK)
        else:
            draw.text((x - 8, line_y - 16), label, font=_font(30), fill=WHITE)
    draw.text((260, 160), "Up to six infusions over two to three weeks", font=_font(32), fill=MUTED)
    return _png(image)


DRAWINGS = {"response_chart": response_chart, "course_timeline": course_timeline}
