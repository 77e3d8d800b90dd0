"""Pickups not collected in time: the whole order is cancelled when it still can be, else the
pickup alone, and its units are cancelled rather than sourced again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import pickup
from orderly.order_flows import cancellation
from orderly.orders.domain import OrderStatus, can_transition
from orderly.tenancy.domain import Principal, Role

REASON = "pickup_expired"


async def expire_uncollected_pickups(conn: AsyncConnection, now: datetime) -> int:
    """Cancel pickups not collected by their expiry, in every organization, and give their
    stock back. Returns how many expired."""
    expired = 0
    for org_id, fo_id in await pickup.pickups_due(conn, now):
        principal = Principal(org_id=org_id, role=Role.ADMIN, actor="system:pickup_expiry")
        if await _expire(conn, principal, fo_id, now):
            expired += 1
    return expired


async def _expire(conn: AsyncConnection, principal: Principal, fo_id: int, now: datetime) -> bool:
    expired = await pickup.mark_expired(conn, principal, fo_id, now)
    if expired is None:
        return False
    order = expired.order
    if can_transition(order.status, OrderStatus.CANCELLED, units_shipped=order.units_shipped > 0):
        await cancellation.cancel_order(conn, principal, order.id, REASON)
        return True
    units = await pickup.cancel_expired(conn, principal, expired, reason=REASON)
    # The customer did not come: those units are cancelled, not sourced again.
    await cancellation.cancel_units(conn, principal, order.id, units, reason=REASON)
    return True
