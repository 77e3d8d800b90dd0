"""Shipments and cancellations as Square's UpdateOrder: a sparse order with the version it
applies to. Square updates only the orders made through its Orders API (they carry a
version; Point of Sale sales do not), only while they are OPEN, and such an order has one
fulfillment: its shipment holds one tracking number, and it is completed once every unit has
gone. What Orderly shipped so far, and its last push, are kept in the fulfillment's metadata."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.square.mapping import (
    FINISHED_FULFILLMENTS,
    FulfillmentState,
    FulfillmentType,
    Json,
    OrderState,
    fulfillments,
    product_items,
    shipment,
    units,
)
from orderly.connections.port import FulfillmentPush

REFERENCE_KEY = "orderly_reference"
SHIPPED_KEY = "orderly_shipped"
METADATA_VALUE_MAX = 255
CARRIER_MAX = 50
TRACKING_NUMBER_MAX = 100
TRACKING_URL_MAX = 2000
CANCEL_REASON_MAX = 100
_DETAILS_KEY: dict[str, str] = {
    FulfillmentType.SHIPMENT: "shipment_details",
    FulfillmentType.PICKUP: "pickup_details",
    FulfillmentType.DELIVERY: "delivery_details",
}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_updatable(order: Json) -> None:
    order_id = order.get("id")
    if order.get("version") is None:
        raise PlatformRefused(
            f"square order {order_id} was made in Square Point of Sale: Square's UpdateOrder "
            "cannot change it (mark it in Square)"
        )
    if order.get("state") != OrderState.OPEN:
        raise PlatformRefused(
            f"square order {order_id} is {order.get('state')}: Square updates open orders only"
        )


def already_pushed(order: Json, reference: str) -> str | None:
    """The fulfillment a push with this reference already updated, if any."""
    if not reference:
        return None
    for fulfillment in fulfillments(order):
        if (fulfillment.get("metadata") or {}).get(REFERENCE_KEY) == reference:
            return str(fulfillment["uid"])
    return None


def _to_ship(order: Json, fulfillment: Json) -> Counter[str]:
    """The whole units the fulfillment hands over, by line uid."""
    if fulfillment.get("line_item_application") == "ENTRY_LIST":
        rows = [(str(e["line_item_uid"]), units(e)) for e in fulfillment.get("entries") or ()]
    else:
        rows = [(str(i["uid"]), units(i)) for i in product_items(order)]
    wanted: Counter[str] = Counter()
    for uid, quantity in rows:
        if quantity is not None:
            wanted[uid] += quantity
    return wanted


def _shipped_before(fulfillment: Json) -> Counter[str]:
    record = str((fulfillment.get("metadata") or {}).get(SHIPPED_KEY) or "")
    shipped: Counter[str] = Counter()
    for part in filter(None, record.split(",")):
        uid, _, quantity = part.rpartition(":")
        shipped[uid] += int(quantity)
    return shipped


def shipment_update(order: Json, push: FulfillmentPush) -> tuple[str, dict[str, Any]]:
    """The shipment fulfillment's uid and the sparse order that records the push on it."""
    check_updatable(order)
    found = shipment(order)
    if found is None or found.get("state") in FINISHED_FULFILLMENTS:
        raise PlatformRefused(
            f"square order {order['id']} has no open shipment fulfillment to record a parcel on"
        )
    wanted = _to_ship(order, found)
    shipped = _shipped_before(found)
    for line in push.lines:
        if line.platform_line_id not in wanted:
            raise PlatformRefused(
                f"square order {order['id']}'s shipment has no line {line.platform_line_id}"
            )
        shipped[line.platform_line_id] += line.quantity
    over = [uid for uid, quantity in shipped.items() if quantity > wanted[uid]]
    if over:
        raise PlatformRefused(
            f"square order {order['id']}: more shipped of {', '.join(over)} than was ordered"
        )
    shipment_details: dict[str, Any] = {"shipped_at": rfc3339(push.shipped_at)}
    if push.carrier:
        shipment_details["carrier"] = push.carrier[:CARRIER_MAX]
    if push.tracking_number:
        shipment_details["tracking_number"] = push.tracking_number[:TRACKING_NUMBER_MAX]
    if push.tracking_url and len(push.tracking_url) <= TRACKING_URL_MAX:
        shipment_details["tracking_url"] = push.tracking_url
    metadata = {REFERENCE_KEY: push.reference} if push.reference else {}
    record = ",".join(f"{uid}:{quantity}" for uid, quantity in sorted(shipped.items()))
    if len(record) <= METADATA_VALUE_MAX:
        metadata[SHIPPED_KEY] = record
    change: dict[str, Any] = {"uid": found["uid"], "shipment_details": shipment_details}
    if metadata:
        change["metadata"] = metadata
    if all(shipped[uid] >= quantity for uid, quantity in wanted.items()):
        change["state"] = FulfillmentState.COMPLETED.value
    return str(found["uid"]), _sparse(order, fulfillments=[change])


def cancellation_update(order: Json, *, reason: str) -> dict[str, Any]:
    """The order and its open fulfillments CANCELED, with the reason Square keeps on them."""
    check_updatable(order)
    changes = []
    for fulfillment in fulfillments(order):
        if fulfillment.get("state") in FINISHED_FULFILLMENTS:
            continue
        change: dict[str, Any] = {"uid": fulfillment["uid"], "state": "CANCELED"}
        key = _DETAILS_KEY.get(str(fulfillment.get("type")))
        if key and reason:
            change[key] = {"cancel_reason": reason[:CANCEL_REASON_MAX]}
        changes.append(change)
    return _sparse(order, state=OrderState.CANCELED.value, fulfillments=changes)


def _sparse(order: Json, **fields: Any) -> dict[str, Any]:
    return {"location_id": order["location_id"], "version": order["version"], **fields}
