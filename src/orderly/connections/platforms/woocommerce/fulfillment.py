"""Shipments out. WooCommerce core has no shipments: tracking goes to the Shipment Tracking
extension when the shop has it, the shipped lines to an order note, and a shipment that covers
the whole order completes it (after the tracking, so the completed e-mail carries it)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.woocommerce.shop_api import ShopApi
from orderly.connections.port import FulfillmentPush

TRACKING = "/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings"


def _no_route(error: PlatformRefused) -> bool:
    return error.extra.get("vendor_status") == 404 and "rest_no_route" in error.detail


async def _trackings(shop: ShopApi, order_id: int) -> list[dict[str, Any]] | None:
    """The order's trackings, or None when the shop has no Shipment Tracking extension."""
    if shop.access.settings.get("shipment_tracking", "auto") == "off":
        return None
    try:
        response = await shop.call("GET", TRACKING.format(order_id=order_id))
    except PlatformRefused as error:
        if _no_route(error):
            return None
        raise
    rows: list[dict[str, Any]] = response.json()
    return rows


async def add_note_once(shop: ShopApi, order_id: int, note: str, *, customer: bool) -> str:
    """An order note, unless the same note is already there (a retried push)."""
    notes = await shop.api("GET", f"/orders/{order_id}/notes")
    for existing in notes:
        if existing.get("note") == note:
            return str(existing["id"])
    body = {"note": note, "customer_note": customer}
    created = await shop.api("POST", f"/orders/{order_id}/notes", json=body)
    return str(created["id"])


def describe(push: FulfillmentPush) -> str:
    lines = ", ".join(f"{line.quantity} x {line.sku}" for line in push.lines)
    parts = [f"Shipped: {lines}."]
    if push.carrier:
        parts.append(f"Carrier: {push.carrier}.")
    if push.tracking_number:
        parts.append(f"Tracking number: {push.tracking_number}.")
    if push.tracking_url:
        parts.append(push.tracking_url)
    if push.reference:
        parts.append(f"(Orderly {push.reference})")
    return " ".join(parts)


def covers_order(push: FulfillmentPush, order: dict[str, Any]) -> bool:
    shipped = Counter[str]()
    for line in push.lines:
        shipped[line.platform_line_id] += line.quantity
    return all(
        shipped[str(item["id"])] >= int(item.get("quantity") or 0)
        for item in order.get("line_items") or []
    )


async def push(shop: ShopApi, shipment: FulfillmentPush) -> str:
    order_id = int(shipment.platform_order_id)
    order = await shop.api("GET", f"/orders/{order_id}")
    trackings = await _trackings(shop, order_id) if shipment.tracking_number else None
    answer = ""
    if trackings is not None:
        same = [t for t in trackings if t.get("tracking_number") == shipment.tracking_number]
        if same:
            answer = str(same[0].get("tracking_id"))
        else:
            body: dict[str, Any] = {
                "tracking_number": shipment.tracking_number,
                "date_shipped": shipment.shipped_at.date().isoformat(),
            }
            if shipment.tracking_url:
                body["custom_tracking_provider"] = shipment.carrier or "Carrier"
                body["custom_tracking_link"] = shipment.tracking_url
            elif shipment.carrier:
                body["tracking_provider"] = shipment.carrier
            path = TRACKING.format(order_id=order_id)
            created = (await shop.call("POST", path, json=body)).json()
            answer = str(created.get("tracking_id"))
    # With the extension the customer hears of the tracking from it; without, from the note.
    note_id = await add_note_once(
        shop, order_id, describe(shipment), customer=shipment.notify_customer and trackings is None
    )
    if covers_order(shipment, order) and order.get("status") != "completed":
        await shop.api("PUT", f"/orders/{order_id}", json={"status": "completed"})
    return answer or f"note-{note_id}"
