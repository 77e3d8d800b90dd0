"""Carry shipment status changes on: a return label's to returns, which moves the return
along, and every other to fulfillment, which moves its orders along. Returns sits above
shipping, so the app and the worker install its follower (`follow_returns_with`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import service as fulfillment
from orderly.kit.errors import OrderlyError
from orderly.shipping.domain import ShipmentStatusChange

# Whether a change is a return label's, and if so what it did to the return.
ReturnFollower = Callable[[AsyncConnection, int, ShipmentStatusChange], Awaitable[bool]]

logger = logging.getLogger(__name__)
_returns: ReturnFollower | None = None


def follow_returns_with(follower: ReturnFollower) -> None:
    """The returns feature's follower, installed where the app and the worker start."""
    global _returns
    _returns = follower


async def follow_status_changes(
    conn: AsyncConnection, org_id: int, changes: list[ShipmentStatusChange]
) -> None:
    if not changes:
        return
    returns = _returns
    if returns is None:
        raise RuntimeError("no return follower: the app and the worker install returns'")
    for change in changes:
        # One change that cannot be applied must not fail the others, nor the shipments'
        # tracking already recorded: it is undone alone (a savepoint) and logged.
        try:
            async with conn.begin_nested():
                await _follow(conn, org_id, change, returns)
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
    returns: ReturnFollower,
) -> None:
    # A return label belongs to no fulfillment order; its moves are the return's news, not
    # the order's (they must not tell the customer "your order was delivered").
    if change.fulfillment_order_id is None and await returns(conn, org_id, change):
        return
    await fulfillment.on_shipment_status_changed(conn, org_id, change)
