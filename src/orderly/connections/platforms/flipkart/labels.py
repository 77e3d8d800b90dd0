"""Flipkart's labels and invoices for the shipments its logistics carry: generating them packs
the shipments (each item's GST rate and the invoice date are needed), Flipkart makes them in
the background, and the label and invoice PDFs are then downloaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.flipkart import shipment as fk
from orderly.connections.platforms.flipkart.api import PDF, FlipkartApi

GENERATE = "/sellers/v3/shipments/labels"
SHIPMENTS = "/sellers/v3/shipments"
PACK_PER_CALL = 25
PDF_PER_CALL = 50
SUCCESS = "SUCCESS"


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """The shipments Flipkart took to make labels for, and those it refused, with why."""

    generating: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)


def outcomes(answer: Any) -> dict[str, str]:
    """Shipment id -> Flipkart's refusal, for the shipments an answer says were not done."""
    refused: dict[str, str] = {}
    for row in (answer or {}).get("shipments") or []:
        outcome = str(row.get("status") or row.get("processingStatus") or "").upper()
        if outcome != SUCCESS:
            said = ": ".join(str(p) for p in (row.get("errorCode"), row.get("errorMessage")) if p)
            refused[str(row.get("shipmentId"))] = (
                said or f"Flipkart answered {outcome or 'nothing'}"
            )
    return refused


def rate_number(rate: Decimal) -> float | int:
    return int(rate) if rate == rate.to_integral_value() else float(rate)


def pack_request(
    shipment: Mapping[str, Any], rates: Mapping[str, Decimal], invoice_date: date
) -> dict[str, Any]:
    live = fk.live_items(shipment)
    orders = list(dict.fromkeys(str(i.get("orderId")) for i in live if i.get("orderId")))
    return {
        "shipmentId": shipment["shipmentId"],
        "locationId": shipment.get("locationId"),
        "taxItems": [
            {
                "orderItemId": item.get("orderItemId"),
                "taxRate": rate_number(rates[str(item.get("sku"))]),
                "quantity": fk.units(item),
            }
            for item in live
        ],
        "invoices": [{"orderId": o, "invoiceDate": invoice_date.isoformat()} for o in orders],
    }


async def generate(
    api: FlipkartApi,
    shipments: Sequence[Mapping[str, Any]],
    rates: Mapping[str, Decimal],
    invoice_date: date,
) -> LabelRequest:
    """Asks Flipkart for the labels; a shipment with an item of unknown GST rate is refused
    here, before any call."""
    refused: dict[str, str] = {}
    ready = []
    for shipment in shipments:
        unknown = sorted({str(i.get("sku")) for i in fk.live_items(shipment)} - set(rates))
        if unknown:
            refused[str(shipment["shipmentId"])] = (
                f"no GST rate for {', '.join(unknown)}: set it on the Flipkart listing or "
                "the connection's gst_rate option"
            )
        else:
            ready.append(pack_request(shipment, rates, invoice_date))
    for start in range(0, len(ready), PACK_PER_CALL):
        chunk = ready[start : start + PACK_PER_CALL]
        refused.update(outcomes(await api.post(GENERATE, {"shipments": chunk})))
    taken = tuple(str(r["shipmentId"]) for r in ready if str(r["shipmentId"]) not in refused)
    return LabelRequest(generating=taken, refused=refused)


def _ids(shipment_ids: Sequence[str]) -> str:
    if not shipment_ids:
        raise PlatformRefused("name at least one Flipkart shipment")
    if len(shipment_ids) > PDF_PER_CALL:
        raise PlatformRefused(f"Flipkart gives the labels of at most {PDF_PER_CALL} shipments")
    return ",".join(quote(i, safe="") for i in shipment_ids)


def _pdf(content: bytes, what: str) -> bytes:
    if not content.startswith(b"%PDF"):
        raise PlatformRefused(f"flipkart's {what} is not a PDF (are the labels generated yet?)")
    return content


async def label_pdf(api: FlipkartApi, shipment_ids: Sequence[str], *, reprint: bool) -> bytes:
    url = api.url(f"{SHIPMENTS}/{_ids(shipment_ids)}/labelOnly/pdf")
    params = {"reprint": "true"} if reprint else None
    response = await api.send("POST", url, params=params, accept=PDF)
    return _pdf(response.content, "label")


async def invoice_pdf(api: FlipkartApi, shipment_ids: Sequence[str]) -> bytes:
    url = api.url(f"{SHIPMENTS}/{_ids(shipment_ids)}/invoices")
    return _pdf((await api.send("GET", url, accept=PDF)).content, "invoice")
