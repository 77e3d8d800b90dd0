"""Which fulfillment order lines a shipment takes: Shopify fulfils fulfillment orders, not the
order's lines, so each shipped line is drawn from the open quantity of its fulfillment orders."""

from __future__ import annotations

from typing import Any

from orderly.connections.errors import PlatformRefused
from orderly.connections.platforms.shopify.mapping import legacy_id
from orderly.connections.port import FulfillmentPush

_OPEN_FULFILLMENT_ORDERS = {"OPEN", "IN_PROGRESS", "SCHEDULED"}


def allocate(
    fulfillment: FulfillmentPush, fulfillment_orders: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The fulfillment order lines to ship, by fulfillment order, from the lines' open quantity."""
    open_lines = [
        (fo["id"], line)
        for fo in fulfillment_orders
        if fo["status"] in _OPEN_FULFILLMENT_ORDERS
        for line in fo["lineItems"]["nodes"]
        if line["remainingQuantity"] > 0
    ]
    by_order: dict[str, list[dict[str, Any]]] = {}
    for shipped in fulfillment.lines:
        wanted = shipped.quantity
        for fo_id, line in open_lines:
            if wanted == 0:
                break
            if legacy_id(line["lineItem"]["id"]) != legacy_id(shipped.platform_line_id):
                continue
            take = min(wanted, line["remainingQuantity"])
            line["remainingQuantity"] -= take
            wanted -= take
            by_order.setdefault(fo_id, []).append({"id": line["id"], "quantity": take})
        if wanted:
            raise PlatformRefused(
                f"shopify has {shipped.quantity - wanted} of line {shipped.platform_line_id} "
                f"({shipped.sku}) open to fulfil, not {shipped.quantity}"
            )
    return by_order
