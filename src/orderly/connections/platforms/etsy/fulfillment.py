"""Shipments out to Etsy (`createReceiptShipment`), which has no idempotency key and e-mails the
buyer each time: the receipt is read first, a tracking code it has is not sent again, a lost
answer is not repeated blindly, and a carrier Etsy does not know goes as `other`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.etsy.errors import etsy_error
from orderly.connections.platforms.etsy.mapping import ReceiptStatus
from orderly.connections.port import FulfillmentPush

Call = Callable[..., Awaitable[Any]]
OTHER_CARRIER = "other"
NOTE_MAX = 500


def _same_code(shipment: Mapping[str, Any], code: str) -> bool:
    return str(shipment.get("tracking_code") or "").strip().lower() == code.strip().lower()


def shipment_id(receipt: Mapping[str, Any], code: str | None) -> str | None:
    """The receipt's shipment record for a tracking code; None when Etsy has none yet."""
    receipt_id = receipt["receipt_id"]
    for shipment in receipt.get("shipments") or ():
        if code and _same_code(shipment, code):
            return str(shipment.get("receipt_shipping_id") or f"{receipt_id}:{code}")
    if not code and receipt.get("is_shipped"):
        return f"{receipt_id}:shipped"
    return None


def tracking_body(push: FulfillmentPush, *, carrier: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"send_bcc": False}
    if push.tracking_number:
        body["tracking_code"] = push.tracking_number
        body["carrier_name"] = carrier or OTHER_CARRIER
    return body


def other_carrier_body(push: FulfillmentPush) -> dict[str, Any]:
    body = tracking_body(push, carrier=OTHER_CARRIER)
    note = f"Shipped with {push.carrier}: tracking {push.tracking_number}"
    if push.tracking_url:
        note += f" ({push.tracking_url})"
    body["note_to_buyer"] = note[:NOTE_MAX]
    return body


async def push_tracking(call: Call, shop_id: str, push: FulfillmentPush) -> str:
    """The receipt's shipment record for the parcel, made once."""
    path = f"/v3/application/shops/{shop_id}/receipts/{push.platform_order_id}"
    receipt = await call("GET", path)
    if str(receipt.get("status") or "").lower() == ReceiptStatus.CANCELED:
        raise PlatformRefused(f"etsy receipt {push.platform_order_id} is canceled on Etsy")
    done = shipment_id(receipt, push.tracking_number)
    if done is not None:
        return done
    carrier = (push.carrier or "").strip().lower() or None
    try:
        answer = await call(
            "POST", f"{path}/tracking", body=tracking_body(push, carrier=carrier), once=True
        )
    except PlatformRefused as refusal:
        unknown_carrier = "carrier" in etsy_error(refusal).lower()
        if not (unknown_carrier and carrier and carrier != OTHER_CARRIER):
            raise
        answer = await call("POST", f"{path}/tracking", body=other_carrier_body(push), once=True)
    made = shipment_id(answer, push.tracking_number)
    return made or f"{push.platform_order_id}:{push.tracking_number or 'shipped'}"
