"""Shipments and cancellations out. Flipkart dispatches a shipment whole: marked ready for its
courier once packed, or dispatched by the seller's courier with tracking (self-ship). A seller
may cancel a shipment until it is packed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from orderly.connections.errors import PlatformBusy, PlatformRefused
from orderly.connections.platforms.flipkart import shipment as fk
from orderly.connections.platforms.flipkart.labels import outcomes
from orderly.connections.platforms.flipkart.orders import stamp
from orderly.connections.platforms.flipkart.shipment import ItemStatus, ShippedBy
from orderly.connections.port import FulfillmentPush

DISPATCH = "/sellers/v3/shipments/dispatch"
SELF_SHIP_DISPATCH = "/sellers/v3/shipments/selfShip/dispatch"
CANCEL = "/sellers/v3/shipments/cancel"
# Flipkart's dates are India's: an invoice date is a day in India.
INDIA = timezone(timedelta(hours=5, minutes=30))
CANCEL_REASONS = {
    "inventory": "not_enough_inventory",
    "stock": "not_enough_inventory",
    "b2b": "b2b_order",
}
DEFAULT_CANCEL_REASON = "cannot_procure_item"
CANCELLABLE = {ItemStatus.APPROVED, ItemStatus.FORM_FAILED}

Json = Mapping[str, Any]


def refuse_unless_actionable(shipment: Json, now: datetime) -> None:
    """Raises unless the seller may act on the shipment now: `PlatformBusy` while Flipkart
    holds it or before its dispatch-after date (the push is retried), `PlatformRefused` when
    it is cancelled or Flipkart ships it from its own warehouse."""
    name = shipment.get("shipmentId")
    if fk.status(shipment) is ItemStatus.CANCELLED:
        raise PlatformRefused(f"flipkart shipment {name} is cancelled")
    if fk.shipped_by(shipment) is ShippedBy.FLIPKART_WAREHOUSE:
        raise PlatformRefused(f"flipkart ships {name} from its own warehouse")
    if shipment.get("hold"):
        raise PlatformBusy(f"flipkart holds shipment {name}", extra={"retry_after": 3600})
    wait = fk.wait_before_acting(shipment, now)
    if wait > 0:
        raise PlatformBusy(
            f"flipkart lets shipment {name} be dispatched from {shipment.get('dispatchAfterDate')}",
            extra={"retry_after": int(wait) + 1},
        )


def refuse_unless_whole(shipment: Json, push: FulfillmentPush) -> None:
    """Flipkart dispatches every live item of a shipment together, in full."""
    wanted = {str(i.get("orderItemId")): fk.units(i) for i in fk.live_items(shipment)}
    given: dict[str, int] = {}
    for line in push.lines:
        given[line.platform_line_id] = given.get(line.platform_line_id, 0) + line.quantity
    short = sorted(k for k, units in wanted.items() if given.get(k, 0) < units)
    if short:
        raise PlatformRefused(
            f"flipkart dispatches shipment {shipment.get('shipmentId')} whole: items "
            f"{', '.join(short)} are not in this parcel in full; ship them together"
        )


def ready_request(shipment: Json) -> dict[str, Any]:
    return {"shipmentIds": [shipment["shipmentId"]], "locationId": shipment.get("locationId")}


def self_ship_request(
    shipment: Json, push: FulfillmentPush, *, partner_code: str | None, delivery_days: int
) -> dict[str, Any]:
    if not push.tracking_number or not (push.carrier or partner_code):
        raise PlatformRefused(
            f"self-ship shipment {shipment.get('shipmentId')} needs its courier and tracking"
        )
    shipped = push.shipped_at
    live = fk.live_items(shipment)
    entry = {
        "shipmentId": shipment["shipmentId"],
        "dispatchDate": stamp(shipped),
        "tentativeDeliveryDate": stamp(shipped + timedelta(days=delivery_days)),
        "deliveryPartner": push.carrier or partner_code,
        "deliveryPartnerCode": partner_code or str(push.carrier).upper().replace(" ", "_"),
        "trackingId": push.tracking_number,
        "locationId": shipment.get("locationId"),
        "invoice": {
            "invoiceDate": shipped.astimezone(INDIA).date().isoformat(),
            "items": [{"orderItemId": i.get("orderItemId"), "quantity": fk.units(i)} for i in live],
        },
    }
    return {"shipments": [entry]}


def cancel_reason(reason: str) -> str:
    """Flipkart takes three reasons a seller cancels; Orderly's words are matched to one."""
    said = reason.lower()
    return next(
        (fk_reason for word, fk_reason in CANCEL_REASONS.items() if word in said), None
    ) or (DEFAULT_CANCEL_REASON)


def cancel_request(shipment: Json, reason: str) -> dict[str, Any]:
    state = fk.status(shipment)
    if state not in CANCELLABLE:
        raise PlatformRefused(
            f"flipkart shipment {shipment.get('shipmentId')} is {state.value}: the seller may "
            "cancel only before it is packed; cancel it on Flipkart's seller portal"
        )
    entry = {
        "shipmentId": shipment["shipmentId"],
        "locationId": shipment.get("locationId"),
        "reason": cancel_reason(reason),
        "cancellationGroupIds": fk.cancellation_groups(shipment),
    }
    return {"shipments": [entry]}


def refuse_if_refused(answer: Any, what: str) -> None:
    refused = outcomes(answer)
    if refused:
        said = "; ".join(f"{k}: {v}" for k, v in refused.items())
        raise PlatformRefused(f"flipkart refused the {what}: {said}")
