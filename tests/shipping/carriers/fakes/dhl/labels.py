"""The transport labels the fake prints: a 4x6 inch PDF (reportlab, Code128 of the piece number,
the waybill number as text) or the same content as ZPL, one label per piece."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas


def piece_label(
    *, waybill: str, piece: str, index: int, count: int, product: str, to: dict[str, str], fmt: str
) -> bytes:
    """The label of the piece `index` (from 0) of `count`; `to` holds the receiver's name and
    `postalCode cityName countryCode` line."""
    if fmt == "zpl":
        return (
            "^XA^CI28\n"
            "^FO40,40^A0N,50,50^FDDHL EXPRESS^FS\n"
            f"^FO40,110^A0N,30,30^FD{product}^FS\n"
            f"^FO40,160^A0N,28,28^FD{to['name']}^FS\n"
            f"^FO40,200^A0N,28,28^FD{to['place']}^FS\n"
            f"^FO40,260^BY3^BCN,120,Y,N,N^FD{piece}^FS\n"
            f"^FO40,440^A0N,30,30^FDWAYBILL {waybill}^FS\n"
            f"^FO40,490^A0N,30,30^FDPiece {index + 1}/{count}^FS\n"
            "^XZ\n"
        ).encode()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(4 * inch, 6 * inch))
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(14, 400, "DHL EXPRESS")
    canvas.setFont("Helvetica", 10)
    canvas.drawString(14, 382, product)
    canvas.drawString(14, 350, f"To: {to['name']}")
    canvas.drawString(14, 336, to["place"])
    Code128(piece, barHeight=60, barWidth=0.9).drawOn(canvas, 14, 230)
    canvas.drawString(14, 215, f"(J) {piece}")
    canvas.drawString(14, 190, f"WAYBILL {waybill}")
    canvas.drawString(14, 176, f"Piece {index + 1}/{count}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def merged(documents: list[bytes]) -> bytes:
    """Several PDFs as one, in order."""
    writer = PdfWriter()
    for document in documents:
        writer.append(io.BytesIO(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
