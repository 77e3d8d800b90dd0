"""Rows to API shapes."""

from __future__ import annotations

from typing import Any

from orderly.kit.money import from_minor
from orderly.shipping.domain import RateQuote
from orderly.shipping.schemas import RateQuoteOut, ShipmentView, TrackingEventOut


def shipment_view(row: dict[str, Any], events: list[dict[str, Any]] | None = None) -> ShipmentView:
    sid = row["id"]
    return ShipmentView(
        id=sid,
        order_id=row["order_id"],
        fulfillment_order_id=row["fulfillment_order_id"],
        carrier=row["carrier"],
        service=row["service"],
        service_name=row["service_name"],
        tracking_number=row["tracking_number"],
        master_tracking_number=row.get("master_tracking_number"),
        label_purchase_id=row.get("label_purchase_id"),
        status=row["status"],
        cost=from_minor(row["cost_minor"], row["currency"]),
        cost_minor=row["cost_minor"],
        currency=row["currency"],
        weight_grams=row["weight_grams"],
        reference=row["reference"],
        estimated_delivery=row["estimated_delivery"],
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        label_pdf_url=f"/v1/shipments/{sid}/label.pdf",
        label_zpl_url=f"/v1/shipments/{sid}/label.zpl",
        tracking_url=f"/track/{row['tracking_number']}",
        events=[event_view(e) for e in events or []],
    )


def event_view(row: dict[str, Any]) -> TrackingEventOut:
    return TrackingEventOut(
        code=row["code"],
        occurred_at=row["occurred_at"],
        description=row["description"],
        location=row["location"],
        applied=row["applied"],
    )


def quote_out(quote: RateQuote) -> RateQuoteOut:
    return RateQuoteOut(
        carrier=quote.carrier,
        service=quote.service,
        service_name=quote.service_name,
        price=from_minor(quote.price_minor, quote.currency),
        currency=quote.currency,
        transit_days=quote.transit_days,
        estimated_delivery=quote.estimated_delivery,
    )
