"""Pick list and packing slip as PDF (A4), each with a Code128 barcode to scan at the bench."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderly.fulfillment.schemas import FulfillmentOrderOut, PickListOut

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


def pick_list_pdf(pick_list: PickListOut) -> bytes:
    rows: list[list[Any]] = [["Bin", "SKU", "Name", "Qty", "Orders"]]
    for item in pick_list.items:
        breakdown = "<br/>".join(
            f"{o.order_number} (FO {o.fulfillment_order_id}, line {o.line_no}): {o.quantity}"
            for o in item.orders
        )
        rows.append(
            [
                item.bin or "-",
                _text(item.sku),
                _text(item.name),
                str(item.quantity),
                Paragraph(breakdown, _STYLES["BodyText"]),
            ]
        )
    story: list[Flowable] = [
        Paragraph(f"Pick list {pick_list.id}", _STYLES["Title"]),
        Paragraph(
            f"Location {_esc(pick_list.location)} - {len(pick_list.fulfillment_order_ids)} "
            f"order(s) - created {pick_list.created_at:%Y-%m-%d %H:%M} UTC",
            _STYLES["Normal"],
        ),
        Spacer(1, 4 * mm),
        Code128(f"PL{pick_list.id}", barHeight=14 * mm, barWidth=0.4 * mm),
        Spacer(1, 4 * mm),
        Table(rows, colWidths=[22 * mm, 30 * mm, 50 * mm, 12 * mm, 66 * mm], style=_GRID),
    ]
    return _render(story, f"Pick list {pick_list.id}")


def packing_slip_pdf(
    fo: FulfillmentOrderOut, ship_to: dict[str, Any] | None, customer: str | None
) -> bytes:
    rows: list[list[Any]] = [["Line", "SKU", "Name", "Qty"]]
    for line in fo.lines:
        units = line.packed or line.quantity - line.rejected
        if units:
            rows.append([str(line.line_no), _text(line.sku), _text(line.name), str(units)])
    address = "<br/>".join(
        _esc(str(v))
        for v in (
            customer,
            *(
                (ship_to or {}).get(k)
                for k in ("line1", "line2", "city", "region", "postal_code", "country")
            ),
        )
        if v
    )
    story: list[Flowable] = [
        Paragraph(f"Packing slip - order {_esc(fo.order_number)}", _STYLES["Title"]),
        Code128(fo.order_number, barHeight=14 * mm, barWidth=0.4 * mm),
        Spacer(1, 4 * mm),
        Paragraph(
            f"Fulfillment order {fo.id} from {_esc(fo.location)}"
            + (" - store pickup" if fo.pickup else ""),
            _STYLES["Normal"],
        ),
        Paragraph(address or "-", _STYLES["Normal"]),
        Spacer(1, 4 * mm),
        Table(rows, colWidths=[14 * mm, 40 * mm, 100 * mm, 16 * mm], style=_GRID),
    ]
    if fo.parcels:
        parcels = [["Parcel", "Box", "Weight (g)", "Items"]] + [
            [
                str(p.id),
                _text(p.box),
                str(p.weight_grams),
                ", ".join(f"line {i['line_no']} x {i['quantity']}" for i in p.items),
            ]
            for p in fo.parcels
        ]
        story += [Spacer(1, 4 * mm), Table(parcels, style=_GRID)]
    return _render(story, f"Packing slip {fo.order_number}")


def _render(story: list[Flowable], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm
    )
    doc.build(story)
    return buffer.getvalue()


def _esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: str) -> Paragraph:
    return Paragraph(_esc(value), _STYLES["BodyText"])
