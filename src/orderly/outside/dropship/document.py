"""The drop-ship purchase order as a PDF (A4): our number as Code128, the customer's ship-to
address, the lines with our SKU, the supplier's SKU and the quantities. No prices: the parcel
goes to the customer."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderly.outside.port import OutboundOrder

_STYLES = getSampleStyleSheet()
_GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)


def purchase_order_pdf(order: OutboundOrder) -> bytes:
    to = order.ship_to
    address = "<br/>".join(
        _esc(v)
        for v in (
            to.name,
            to.company,
            to.line1,
            to.line2,
            " ".join(p for p in (to.postal_code, to.city) if p),
            to.region,
            to.country,
            to.phone,
        )
        if v
    )
    rows: list[list[Any]] = [["Line", "Our SKU", "Your SKU", "Description", "Qty"]]
    for line in order.lines:
        rows.append(
            [
                str(line.line_no),
                _text(line.our_sku or line.sku),
                _text(line.sku if line.sku != line.our_sku else "-"),
                _text(line.name),
                str(line.quantity),
            ]
        )
    story: list[Flowable] = [
        Paragraph(f"Drop-ship purchase order {_esc(order.reference)}", _STYLES["Title"]),
        Code128(order.reference, barHeight=14 * mm, barWidth=0.4 * mm),
        Spacer(1, 4 * mm),
        Paragraph(
            f"Customer order {_esc(order.order_number)} - placed"
            f" {order.ordered_at:%Y-%m-%d} (UTC). Ship directly to the customer below; put no"
            " prices or invoice in the parcel.",
            _STYLES["Normal"],
        ),
        Spacer(1, 4 * mm),
        Paragraph("<b>Ship to</b>", _STYLES["Normal"]),
        Paragraph(address or "-", _STYLES["Normal"]),
        Spacer(1, 4 * mm),
        Table(rows, colWidths=[12 * mm, 36 * mm, 36 * mm, 84 * mm, 12 * mm], style=_GRID),
    ]
    if order.confirm_url:
        story += [
            Spacer(1, 6 * mm),
            Paragraph(
                "Once shipped, confirm with the carrier and tracking number at:<br/>"
                f"{_esc(order.confirm_url)}",
                _STYLES["Normal"],
            ),
        ]
    buffer = io.BytesIO()
    title = f"Drop-ship purchase order {order.reference}"
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm
    )
    doc.build(story)
    return buffer.getvalue()


def _esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: str) -> Paragraph:
    return Paragraph(_esc(value), _STYLES["BodyText"])
