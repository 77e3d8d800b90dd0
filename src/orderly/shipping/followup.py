"""Carry shipment status changes on to fulfillment, which moves its orders along."""

from __future__ import annotations

import importlib

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.shipping.domain import ShipmentStatusChange

FULFILLMENT_SERVICE = "orderly.fulfillment.service"


async def follow_status_changes(
    conn: AsyncConnection, org_id: int, changes: list[ShipmentStatusChange]
) -> None:
    if not changes:
        return
    # Imported when needed: fulfillment calls shipping, so shipping must not import it at load.
    try:
        fulfillment = importlib.import_module(FULFILLMENT_SERVICE)
    except ModuleNotFoundError:
        return
    handler = getattr(fulfillment, "on_shipment_status_changed", None)
    if handler is None:
        return
    for change in changes:
        await handler(conn, org_id, change)
