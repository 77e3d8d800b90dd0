"""A fulfillment as BigCommerce's v2 shipment: its documented `shipping_provider` values, and
any other carrier as an AfterShip `tracking_carrier` slug."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from orderly.connections.port import FulfilledLine, FulfillmentPush

# Our carrier names (lower case, spaces and dashes removed) -> BigCommerce's `shipping_provider`.
SHIPPING_PROVIDERS = {
    "auspost": "auspost",
    "australiapost": "auspost",
    "canadapost": "canadapost",
    "endicia": "endicia",
    "usps": "usps",
    "fedex": "fedex",
    "royalmail": "royalmail",
    "ups": "ups",
}
# Stored in the shipment's comments, so that a retried push finds the shipment it made.
REFERENCE_PREFIX = "orderly:"


def carrier_fields(carrier: str | None) -> dict[str, str]:
    if not carrier:
        return {"shipping_provider": "", "tracking_carrier": ""}
    key = re.sub(r"[\s_-]+", "", carrier.lower())
    if key in SHIPPING_PROVIDERS:
        return {"shipping_provider": SHIPPING_PROVIDERS[key], "tracking_carrier": ""}
    slug = re.sub(r"[^a-z0-9]+", "-", carrier.lower()).strip("-")
    return {"shipping_provider": "", "tracking_carrier": slug}


def shipment_body(
    fulfillment: FulfillmentPush, *, order_address_id: int, lines: Iterable[FulfilledLine]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_address_id": order_address_id,
        "items": [
            {"order_product_id": int(line.platform_line_id), "quantity": line.quantity}
            for line in lines
        ],
        "tracking_number": fulfillment.tracking_number or "",
        **carrier_fields(fulfillment.carrier),
    }
    if fulfillment.tracking_url:
        body["tracking_link"] = fulfillment.tracking_url
    if fulfillment.reference:
        body["comments"] = REFERENCE_PREFIX + fulfillment.reference
    return body
