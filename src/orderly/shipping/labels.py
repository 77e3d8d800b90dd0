"""Shipping labels: a 4x6 inch PDF for office printers and ZPL for thermal printers (203 dpi).

Both carry the same content: carrier and service, ship-from and ship-to, weight, the order
reference and the tracking number as a Code128 barcode with its human-readable text beneath.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from pypdf import PdfWriter
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH = 4 * inch  # 288 points
PAGE_HEIGHT = 6 * inch  # 432 points
ZPL_DOTS_PER_INCH = 203


@dataclass(frozen=True)
class LabelContent:
    carrier_name: str
    service_name: str
    tracking_number: str
    ship_from: dict[str, Any]
    ship_to: dict[str, Any]
    weight_grams: int
    reference: str
    ship_date: date
    hazmat: bool = False


def address_lines(address: dict[str, Any]) -> list[str]:
    city_line = " ".join(
        str(address[k]) for k in ("city", "region", "postal_code") if address.get(k)
    )
    parts = [
        address.get("name"),
        address.get("company"),
        address.get("line1"),
        address.get("line2"),
        city_line,
        address.get("country"),
    ]
    return [str(p)[:48] for p in parts if p]


def weight_text(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def render_pdf(label: LabelContent) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    canvas.setTitle(f"{label.carrier_name} label {label.tracking_number}")
    margin = 14
    top = PAGE_HEIGHT - margin

    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(margin, top - 14, label.carrier_name.upper())
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(PAGE_WIDTH - margin, top - 12, label.ship_date.isoformat())
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(margin, top - 32, label.service_name.upper())
    canvas.line(margin, top - 40, PAGE_WIDTH - margin, top - 40)

    y = _address_block(canvas, "FROM", label.ship_from, margin, top - 54, size=8)
    canvas.line(margin, y - 4, PAGE_WIDTH - margin, y - 4)
    y = _address_block(canvas, "SHIP TO", label.ship_to, margin, y - 20, size=12)
    canvas.line(margin, y - 4, PAGE_WIDTH - margin, y - 4)

    canvas.setFont("Helvetica", 9)
    canvas.drawString(margin, y - 18, f"WEIGHT: {weight_text(label.weight_grams)}")
    canvas.drawString(margin, y - 30, f"REF: {label.reference[:40]}")
    if label.hazmat:
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawRightString(PAGE_WIDTH - margin, y - 18, "HAZMAT")

    barcode = Code128(label.tracking_number, barHeight=70, barWidth=1.2, humanReadable=False)
    x = (PAGE_WIDTH - barcode.width) / 2
    barcode.drawOn(canvas, x, 48)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, 30, label.tracking_number)
    canvas.setFont("Helvetica", 7)
    canvas.drawCentredString(PAGE_WIDTH / 2, 16, "TRACKING #")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _address_block(
    canvas: Canvas, title: str, address: dict[str, Any], x: float, y: float, *, size: int
) -> float:
    canvas.setFont("Helvetica-Bold", 7)
    canvas.drawString(x, y, title)
    canvas.setFont("Helvetica", size)
    for line in address_lines(address):
        y -= size + 3
        canvas.drawString(x + 8, y, line)
    return y


def _zpl_text(value: object) -> str:
    # ^ and ~ start ZPL commands; they cannot appear in field data.
    return str(value).replace("^", " ").replace("~", " ")


def render_zpl(label: LabelContent) -> str:
    width, height = 4 * ZPL_DOTS_PER_INCH, 6 * ZPL_DOTS_PER_INCH
    out = ["^XA", "^CI28", f"^PW{width}", f"^LL{height}"]
    out.append(f"^FO30,30^A0N,40,40^FD{_zpl_text(label.carrier_name.upper())}^FS")
    out.append(f"^FO560,36^A0N,24,24^FD{label.ship_date.isoformat()}^FS")
    out.append(f"^FO30,80^A0N,32,32^FD{_zpl_text(label.service_name.upper())}^FS")
    out.append("^FO30,122^GB752,3,3^FS")
    y = 140
    out.append(f"^FO30,{y}^A0N,20,20^FDFROM^FS")
    for line in address_lines(label.ship_from):
        y += 24
        out.append(f"^FO50,{y}^A0N,22,22^FD{_zpl_text(line)}^FS")
    y += 40
    out.append(f"^FO30,{y}^GB752,3,3^FS")
    y += 16
    out.append(f"^FO30,{y}^A0N,22,22^FDSHIP TO^FS")
    for line in address_lines(label.ship_to):
        y += 38
        out.append(f"^FO50,{y}^A0N,34,34^FD{_zpl_text(line)}^FS")
    y += 56
    out.append(f"^FO30,{y}^GB752,3,3^FS")
    out.append(f"^FO30,{y + 16}^A0N,24,24^FDWEIGHT: {weight_text(label.weight_grams)}^FS")
    out.append(f"^FO30,{y + 46}^A0N,24,24^FDREF: {_zpl_text(label.reference[:40])}^FS")
    if label.hazmat:
        out.append(f"^FO560,{y + 16}^A0N,30,30^FDHAZMAT^FS")
    out.append(f"^FO60,{height - 300}^BY3,3,200^BCN,200,Y,N,N^FD{label.tracking_number}^FS")
    out.append("^XZ")
    return "\n".join(out) + "\n"


def merge_pdfs(documents: list[bytes]) -> bytes:
    """One PDF with every page of `documents`, in order (the labels of a shipment's parcels)."""
    writer = PdfWriter()
    for document in documents:
        writer.append(io.BytesIO(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
