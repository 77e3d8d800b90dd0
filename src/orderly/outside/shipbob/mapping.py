"""ShipBob's shapes (API 2026-01, its published OpenAPI specification) and ours: the order we
create, and the news its order views carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderly.outside.port import EventKind, OutboundOrder, ProviderEvent, ShippedParcel

# Orders.OrderStatus and the shipment statuses of the Status Reference.
ORDER_CANCELLED = "Cancelled"
SHIPMENT_COMPLETED = "Completed"  # it has left ShipBob
SHIPMENT_CANCELLED = "Cancelled"
# The order is in ShipBob's hands and being fulfilled.
TAKEN = {"Processing", "PartiallyFulfilled", "Fulfilled", "Exception", "OnHold"}


def order_payload(
    order: OutboundOrder, *, shipping_method: str, location_id: int | None
) -> dict[str, Any]:
    """Orders.CreateOrderModel: products by reference_id (our SKU, or the mapped one) with their
    name, so ShipBob finds (or makes) the product; a DTC order; our reference as reference_id."""
    to = order.ship_to
    payload: dict[str, Any] = {
        "reference_id": order.reference,
        "order_number": order.order_number,
        "type": "DTC",
        "shipping_method": order.shipping_method or shipping_method,
        "purchase_date": order.ordered_at.isoformat(),
        "recipient": {
            "name": to.name,
            "address": {
                "address1": to.line1,
                "address2": to.line2,
                "company_name": to.company,
                "city": to.city,
                "state": to.region,
                "zip_code": to.postal_code,
                "country": to.country,
            },
            "email": to.email,
            "phone_number": to.phone,
        },
        "products": [
            {
                "reference_id": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "external_line_id": line.line_no,
            }
            for line in order.lines
        ],
    }
    if location_id is not None:
        payload["location_id"] = location_id
    return payload


def events_of(view: dict[str, Any]) -> list[ProviderEvent]:
    """The news one Orders.OrderViewModel carries, each with an id that stays the same however
    often it is read: accepted, a shipment completed (with its tracking and units), cancelled."""
    reference = str(view.get("reference_id") or "")
    order_id = view.get("id")
    status = view.get("status")
    shipments = [s for s in view.get("shipments") or [] if isinstance(s, dict)]
    events: list[ProviderEvent] = []
    if status in TAKEN or any(s.get("status") == SHIPMENT_COMPLETED for s in shipments):
        events.append(ProviderEvent(f"order:{order_id}:accepted", EventKind.ACCEPTED, reference))
    for shipment in shipments:
        if shipment.get("status") != SHIPMENT_COMPLETED:
            continue
        tracking = shipment.get("tracking") or {}
        events.append(
            ProviderEvent(
                f"shipment:{shipment.get('id')}:completed",
                EventKind.SHIPPED,
                reference,
                parcels=(
                    ShippedParcel(
                        tracking_number=tracking.get("tracking_number"),
                        carrier=tracking.get("carrier"),
                        service=tracking.get("carrier_service") or shipment.get("ship_option"),
                        units=shipment_units(shipment),
                    ),
                ),
                occurred_at=_time(shipment.get("actual_fulfillment_date")),
            )
        )
    cancelled = status == ORDER_CANCELLED or (
        bool(shipments) and all(s.get("status") == SHIPMENT_CANCELLED for s in shipments)
    )
    if cancelled:
        events.append(
            ProviderEvent(
                f"order:{order_id}:cancelled",
                EventKind.CANCELLED,
                reference,
                reason="cancelled at ShipBob",
            )
        )
    return events


def shipment_units(shipment: dict[str, Any]) -> dict[str, int]:
    """Units per product reference id: a product's inventory items carry its quantity."""
    units: dict[str, int] = {}
    for product in shipment.get("products") or []:
        sku = product.get("reference_id") or product.get("sku")
        if not sku:
            continue
        count = sum(int(item.get("quantity") or 0) for item in product.get("inventory_items") or [])
        units[sku] = units.get(sku, 0) + count
    return {sku: count for sku, count in units.items() if count}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
