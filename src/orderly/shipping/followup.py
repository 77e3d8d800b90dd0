"""Carry shipment status changes on: a return label's to returns, which moves the return
along, and every other to fulfillment, which moves its orders along."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.shipping.domain import ShipmentStatusChange

FULFILLMENT_SERVICE = "orderly.fulfillment.service"
RETURNS_SERVICE = "orderly.returns.service"


async def follow_status_changes(
    conn: AsyncConnection, org_id: int, changes: list[ShipmentStatusChange]
) -> None:
    if not changes:
        return
    # Imported when needed: both call shipping, so shipping must not import them at load.
    fulfillment = _handler(FULFILLMENT_SERVICE, "on_shipment_status_changed")
    returns = _handler(RETURNS_SERVICE, "on_return_shipment_status_changed")
    for change in changes:
        # A return label belongs to no fulfillment order; its moves are the return's news,
        # not the order's (they must not tell the customer "your order was delivered").
        if (
            change.fulfillment_order_id is None
            and returns is not None
            and await returns(conn, org_id, change)
        ):
            continue
        if fulfillment is not None:
            await fulfillment(conn, org_id, change)


def _handler(module: str, name: str) -> Callable[..., Awaitable[Any]] | None:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError:
        return None
    handler: Callable[..., Awaitable[Any]] | None = getattr(found, name, None)
    return handler
