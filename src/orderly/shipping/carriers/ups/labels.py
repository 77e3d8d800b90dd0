"""UPS label images as Orderly's 4x6 inch PDF: UPS makes GIF, EPL, SPL and ZPL labels but no
PDF, so the GIF (landscape, the label turned on its side) is turned upright onto a page."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Final, Literal

from PIL import Image, UnidentifiedImageError
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from orderly.shipping.errors import CarrierFailed
from orderly.shipping.labels import PAGE_HEIGHT, PAGE_WIDTH

# reportlab's text render mode 3 draws nothing: the number is on the page for search and for
# software that reads labels, while the printed label is UPS's own image.
INVISIBLE_TEXT: Final[Literal[3]] = 3


def decode(graphic_image: str) -> bytes:
    try:
        return base64.b64decode(graphic_image, validate=True)
    except (binascii.Error, ValueError):
        raise CarrierFailed("UPS sent a label that is not base64") from None


def gif_label_pdf(gif: bytes, tracking_number: str) -> bytes:
    """One 4x6 page with the label upright, scaled to fit, and its tracking number as text."""
    try:
        opened = Image.open(io.BytesIO(gif))
        opened.load()
    except (UnidentifiedImageError, OSError):
        raise CarrierFailed(f"UPS sent a label for {tracking_number} that is no image") from None
    image: Image.Image = opened
    if image.width > image.height:
        image = image.rotate(-90, expand=True)
    image = image.convert("RGB")
    scale = min(PAGE_WIDTH / image.width, PAGE_HEIGHT / image.height)
    width, height = image.width * scale, image.height * scale
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    canvas.setTitle(f"UPS label {tracking_number}")
    canvas.drawImage(
        ImageReader(image),
        (PAGE_WIDTH - width) / 2,
        (PAGE_HEIGHT - height) / 2,
        width=width,
        height=height,
    )
    text = canvas.beginText(4, 4)
    text.setTextRenderMode(INVISIBLE_TEXT)
    text.setFont("Helvetica", 6)
    text.textLine(tracking_number)
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
