"""Carry shipment status changes on: a return label's to returns, which moves the return
along, and every other to fulfillment, which moves its orders along."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import OrderlyError
from orderly.shipping.domain import ShipmentStatusChange

FULFILLMENT_SERVICE = "orderly.fulfillment.service"
RETURNS_SERVICE = "orderly.returns.service"

logger = logging.getLogger(__name__)


async def follow_status_changes(
    conn: AsyncConnection, org_id: int, changes: list[ShipmentStatusChange]
) -> None:
    if not changes:
        return
    # Imported when needed: both call shipping, so shipping must not import them at load.
    fulfillment = _handler(FULFILLMENT_SERVICE, "on_shipment_status_changed")
    returns = _handler(RETURNS_SERVICE, "on_return_shipment_status_changed")
    for change in changes:
        # One change that cannot be applied must not fail the others, nor the shipments'
        # tracking already recorded: it is undone alone (a savepoint) and logged.
        try:
            async with conn.begin_nested():
                await _follow(conn, org_id, change, fulfillment, returns)
        except OrderlyError as exc:
            logger.warning(
                "shipment %s: %s news not applied to its order (%s: %s)",
                change.shipment_id,
                change.new.value,
                exc.code,
                exc.detail,
            )


async def _follow(
    conn: AsyncConnection,
    org_id: int,
    change: ShipmentStatusChange,
    fulfillment: Callable[..., Awaitable[Any]] | None,
    returns: Callable[..., Awaitable[Any]] | None,
) -> None:
    # A return label belongs to no fulfillment order; its moves are the return's news, not
    # the order's (they must not tell the customer "your order was delivered").
    if (
        change.fulfillment_order_id is None
        and returns is not None
        and await returns(conn, org_id, change)
    ):
        return
    if fulfillment is not None:
        await fulfillment(conn, org_id, change)


def _handler(module: str, name: str) -> Callable[..., Awaitable[Any]] | None:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError:
        return None
    handler: Callable[..., Awaitable[Any]] | None = getattr(found, name, None)
    return handler
