"""What Orderly needs to know of a Flipkart shipment to act on it: who ships it (Flipkart's
logistics, the seller, or Flipkart from its own warehouse), how far it has got, and whether
Flipkart lets the seller act on it yet (`hold`, `dispatchAfterDate`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

Json = Mapping[str, Any]


class ItemStatus(StrEnum):
    APPROVED = "APPROVED"
    FORM_FAILED = "FORM_FAILED"
    PACKING_IN_PROGRESS = "PACKING_IN_PROGRESS"
    PACKED = "PACKED"
    READY_TO_DISPATCH = "READY_TO_DISPATCH"
    PICKUP_COMPLETE = "PICKUP_COMPLETE"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


# How far an item has got; a shipment is as far as its least advanced live item.
PROGRESS = [
    ItemStatus.APPROVED,
    ItemStatus.FORM_FAILED,
    ItemStatus.PACKING_IN_PROGRESS,
    ItemStatus.PACKED,
    ItemStatus.READY_TO_DISPATCH,
    ItemStatus.PICKUP_COMPLETE,
    ItemStatus.SHIPPED,
    ItemStatus.DELIVERED,
    ItemStatus.COMPLETED,
    ItemStatus.RETURN_REQUESTED,
    ItemStatus.RETURNED,
]
# Handed to the courier: nothing is left for the seller to dispatch.
HANDED_OVER = set(PROGRESS[PROGRESS.index(ItemStatus.PICKUP_COMPLETE) :])
# Marked ready for Flipkart's courier, or further.
DISPATCHED = HANDED_OVER | {ItemStatus.READY_TO_DISPATCH}


class ShippedBy(StrEnum):
    """Who carries the parcel: Flipkart's logistics (E-Kart) from the seller's location, the
    seller's own courier (self-ship), or Flipkart from its warehouse (Fulfilled by Flipkart)."""

    FLIPKART = "flipkart"
    SELLER = "seller"
    FLIPKART_WAREHOUSE = "flipkart_warehouse"


SELF_SHIP = "SELF"
WAREHOUSE_PROFILES = {"FBF", "Flipkart_Fulfilment"}


def platform_time(value: Any) -> datetime | None:
    """Flipkart's ISO times ("2017-04-10T10:00:00.000+05:30"), in UTC."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def units(item: Json) -> int:
    """An item's quantity: Flipkart sends it as a number, sometimes with a decimal point."""
    try:
        quantity = Decimal(str(item.get("quantity")))
    except InvalidOperation:
        return 0
    if not quantity.is_finite() or quantity != quantity.to_integral_value():
        return 0
    return max(int(quantity), 0)


def items(shipment: Json) -> list[Json]:
    return list(shipment.get("orderItems") or [])


def live_items(shipment: Json) -> list[Json]:
    return [i for i in items(shipment) if i.get("status") != ItemStatus.CANCELLED]


def status(shipment: Json) -> ItemStatus:
    """The shipment's state: CANCELLED when every item is, else its least advanced item's."""
    live = [str(i.get("status") or ItemStatus.APPROVED) for i in live_items(shipment)]
    if not live:
        return ItemStatus.CANCELLED
    known = [ItemStatus(s) for s in live if s in ItemStatus.__members__]
    return min(known, key=PROGRESS.index) if known else ItemStatus.APPROVED


def shipped_by(shipment: Json) -> ShippedBy:
    if any(str(i.get("serviceProfile")) in WAREHOUSE_PROFILES for i in items(shipment)):
        return ShippedBy.FLIPKART_WAREHOUSE
    if str(shipment.get("shipmentType") or "").upper() == SELF_SHIP:
        return ShippedBy.SELLER
    return ShippedBy.FLIPKART


def order_id(shipment: Json) -> str:
    return next((str(i["orderId"]) for i in items(shipment) if i.get("orderId")), "")


def cancellation_groups(shipment: Json) -> list[str]:
    found = [
        str(i["cancellationGroupId"]) for i in live_items(shipment) if i.get("cancellationGroupId")
    ]
    return list(dict.fromkeys(found))


def wait_before_acting(shipment: Json, now: datetime) -> float:
    """Seconds until Flipkart lets the seller act on it (its `dispatchAfterDate`), or 0."""
    after = platform_time(shipment.get("dispatchAfterDate"))
    return max((after - now).total_seconds(), 0.0) if after else 0.0
