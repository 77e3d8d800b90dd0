"""A counter sale's receipt as a PDF on an 80 mm till roll: the store, the lines, the tax, the
tenders and the change, and a Code128 barcode of the order number that a return scans."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderly.orders.schemas import OrderOut

WIDTH = 80 * mm
_TEXT = ParagraphStyle("receipt", fontName="Helvetica", fontSize=8, leading=10)
_HEAD = ParagraphStyle("receipt-head", parent=_TEXT, fontName="Helvetica-Bold", fontSize=10)
_ROWS = TableStyle(
    [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]
)


def receipt_pdf(sale: dict[str, Any], order: OrderOut, change: str) -> bytes:
    address = sale["store_address"] or {}
    place = ", ".join(str(address[k]) for k in ("line1", "city", "postal_code") if address.get(k))
    lines: list[list[Any]] = [
        [Paragraph(f"{escape(x.sku)} x {x.quantity}", _TEXT), x.total] for x in order.lines
    ]
    sums: list[list[Any]] = [["Subtotal", order.subtotal]]
    tax = sale["sales_tax"]
    if tax:
        sums.append([f"{tax['name']} {tax['rate']}%", order.tax])
    sums.append(["Total " + order.currency, order.total])
    for p in order.payments:
        label = p.method or "paid"
        if p.reference:
            label += f" ({p.reference})"
        sums.append([label, p.amount])
    if change and change.strip("0.") != "":
        sums.append(["Change", change])
    story: list[Flowable] = [
        Paragraph(escape(sale["store_name"]), _HEAD),
        Paragraph(escape(place), _TEXT),
        Paragraph(f"Receipt {escape(order.number)} - {order.created_at:%Y-%m-%d %H:%M} UTC", _TEXT),
        Spacer(1, 2 * mm),
        Table(lines, colWidths=[50 * mm, 18 * mm], style=_ROWS),
        Spacer(1, 2 * mm),
        Table(sums, colWidths=[50 * mm, 18 * mm], style=_ROWS),
        Spacer(1, 3 * mm),
        Code128(order.number, barHeight=10 * mm, barWidth=0.3 * mm),
        Paragraph("Keep this receipt for returns.", _TEXT),
    ]
    buffer = io.BytesIO()
    height = (60 + 6 * (len(lines) + len(sums))) * mm
    document = SimpleDocTemplate(
        buffer,
        pagesize=(WIDTH, height),
        leftMargin=5 * mm,
        rightMargin=5 * mm,
        topMargin=5 * mm,
        bottomMargin=5 * mm,
        title=f"Receipt {order.number}",
    )
    document.build(story)
    return buffer.getvalue()
