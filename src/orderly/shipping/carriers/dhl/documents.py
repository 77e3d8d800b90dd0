"""The transport labels of a MyDHL API shipment (base64 PDF or ZPL documents), cut into one
label per piece in the order of the request's packages."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from typing import Any, TypeVar

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from orderly.shipping.carriers.dhl.settings import LabelFormat
from orderly.shipping.domain import LabelPiece
from orderly.shipping.errors import CarrierFailed
from orderly.shipping.labels import merge_pdfs

T = TypeVar("T")
U = TypeVar("U")

LABEL = "label"
ZPL_END = "^XZ"


def _decoded(document: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(str(document.get("content") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise CarrierFailed("DHL Express sent a label that is not base64") from None


def _pdf_pages(document: bytes) -> list[bytes]:
    try:
        reader = PdfReader(io.BytesIO(document))
        pages = []
        for page in reader.pages:
            writer = PdfWriter()
            writer.add_page(page)
            out = io.BytesIO()
            writer.write(out)
            pages.append(out.getvalue())
    except PdfReadError:
        raise CarrierFailed("DHL Express sent a label PDF that does not open") from None
    return pages


def _zpl_labels(document: bytes) -> list[str]:
    text = document.decode("utf-8", errors="replace")
    return [part.strip() + ZPL_END for part in text.split(ZPL_END) if part.strip()]


def _shared(items: list[T], count: int, whole: U, join: Callable[[list[T]], U]) -> list[U]:
    """The items shared evenly among `count` pieces (a template may print several pages a
    piece); when they cannot be shared so, every piece gets the whole."""
    if count == 0 or not items or len(items) % count:
        return [whole] * count
    size = len(items) // count
    return [join(items[i * size : (i + 1) * size]) for i in range(count)]


def _one_pdf(pages: list[bytes]) -> bytes:
    return pages[0] if len(pages) == 1 else merge_pdfs(pages)


def label_documents(answer: dict[str, Any]) -> list[bytes]:
    documents = answer.get("documents") or []
    labels = [_decoded(d) for d in documents if isinstance(d, dict) and d.get("typeCode") == LABEL]
    if not labels:
        raise CarrierFailed("DHL Express made the shipment but sent no transport label")
    return labels


def label_pieces(
    documents: list[bytes], tracking_numbers: list[str], *, encoding: LabelFormat
) -> tuple[bytes, str, tuple[LabelPiece, ...]]:
    """The whole shipment's PDF or ZPL, and one piece per tracking number."""
    count = len(tracking_numbers)
    if encoding == "zpl":
        blocks = [label for document in documents for label in _zpl_labels(document)]
        zpl = "\n".join(blocks)
        labels = _shared(blocks, count, zpl, "\n".join)
        pairs = zip(tracking_numbers, labels, strict=True)
        return b"", zpl, tuple(LabelPiece(number, b"", label) for number, label in pairs)
    pages = [page for document in documents for page in _pdf_pages(document)]
    pdf = _one_pdf(documents)
    sheets = _shared(pages, count, pdf, _one_pdf)
    per_piece = zip(tracking_numbers, sheets, strict=True)
    return pdf, "", tuple(LabelPiece(number, sheet, "") for number, sheet in per_piece)
