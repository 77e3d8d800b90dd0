"""A parcel as Amazon's confirmShipment: the package's carrier, tracking number, ship date and
order items. Amazon keys a package by a positive number the seller chooses and treats a second
confirmation with the same number as an edit of that package, so the number is derived from
Orderly's push reference and a retried push changes nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.port import FulfillmentPush

OTHER = "Other"  # with `carrierName`, for a carrier Amazon has no code for
# Carrier names as Orderly's carriers give them, lower-cased, to Amazon's carrier codes.
CARRIER_CODES = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
}


def package_reference(push: FulfillmentPush) -> str:
    """A positive number, the same for every retry of one push."""
    seed = push.reference or f"{push.platform_order_id}:{push.tracking_number}"
    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) + 1)


def carrier_fields(carrier: str | None) -> dict[str, str]:
    name = (carrier or "").strip()
    code = CARRIER_CODES.get(name.lower())
    if code:
        return {"carrierCode": code}
    if not name:
        raise PlatformRefused("amazon needs the parcel's carrier to confirm a shipment")
    return {"carrierCode": OTHER, "carrierName": name}


def shipment_confirmation(push: FulfillmentPush, *, marketplace_id: str) -> dict[str, Any]:
    if not push.tracking_number:
        raise PlatformRefused(
            f"amazon needs a tracking number to confirm the shipment of {push.platform_order_id}"
        )
    items: dict[str, int] = {}
    for line in push.lines:
        items[line.platform_line_id] = items.get(line.platform_line_id, 0) + line.quantity
    if not items:
        raise PlatformRefused(f"no order items to confirm for {push.platform_order_id}")
    shipped_at = push.shipped_at.astimezone(UTC).isoformat(timespec="seconds")
    return {
        "marketplaceId": marketplace_id,
        "packageDetail": {
            "packageReferenceId": package_reference(push),
            **carrier_fields(push.carrier),
            "trackingNumber": push.tracking_number,
            "shipDate": shipped_at.replace("+00:00", "Z"),
            "orderItems": [
                {"orderItemId": item, "quantity": quantity} for item, quantity in items.items()
            ],
        },
    }
