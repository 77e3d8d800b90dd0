"""Cancelling an order, or what of it has not shipped: its fulfillment orders are cancelled,
its stock released, its payment's authorization voided (or its store credit given back); the
units left owed set its totals. Units in a provider's hands (a 3PL, a supplier) are cancelled
only once the provider agrees."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside_port
from orderly.fulfillment import service as fulfillment
from orderly.inventory.reservations import StockRequest, release_stock
from orderly.orders import repository, timeline
from orderly.orders import service as orders
from orderly.orders.allocation import shipped_by_line, unshipped_by_line
from orderly.orders.domain import OrderStatus, ensure_transition
from orderly.orders.errors import NothingToCancel
from orderly.orders.schemas import OrderOut
from orderly.payments import service as payments
from orderly.tenancy.domain import Principal


async def cancel_order(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str
) -> OrderOut:
    """Cancel the order and give every reserved unit back to available stock. Once units of
    it have shipped only the rest can be cancelled (`cancel_unshipped`)."""
    row = await orders.locked_order(conn, principal.org_id, order_id)
    ensure_transition(
        OrderStatus(row["status"]), OrderStatus.CANCELLED, units_shipped=bool(shipped_by_line(row))
    )
    if await outside_port.ask_to_withdraw(conn, principal, order_id, reason=reason):
        # Units are in a provider's hands: the order is cancelled once it agrees.
        return await orders.get_order(conn, principal.org_id, order_id)
    await fulfillment.cancel_for_order(
        conn, org_id=principal.org_id, order_id=order_id, reason=reason, actor=principal.actor
    )
    released = await repository.release_allocations(conn, principal.org_id, order_id)
    await release_stock(
        conn,
        org_id=principal.org_id,
        requests=[StockRequest(a.sku_id, a.location_id, a.quantity) for a in released],
        order_id=order_id,
        reference=f"order:{order_id}",
        reason="order_cancelled",
        actor=principal.actor,
    )
    await repository.cancel_every_unit(conn, principal.org_id, order_id)
    await repository.update_order(
        conn,
        principal.org_id,
        order_id,
        status=OrderStatus.CANCELLED.value,
        cancel_reason=reason,
        hold_reasons=[],
    )
    await timeline.append_events(
        conn,
        principal.org_id,
        order_id,
        [
            (
                "order.cancelled",
                {"reason": reason, "released_units": sum(a.quantity for a in released)},
            )
        ],
        principal.actor,
    )
    # Store credit is money Orderly holds: a cancelled order gives it back itself. Nothing
    # more will be captured: what is still authorized is released at the provider.
    await payments.give_back_store_credit(conn, principal, order_id)
    await payments.release_authorization(conn, principal, order_id, reason=reason)
    return await orders.get_order(conn, principal.org_id, order_id)


async def cancel_unshipped(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str
) -> OrderOut:
    """Cancel every unit of the order that has not shipped: its open fulfillment orders are
    cancelled, its reservations released, the units taken off its lines (and off what is
    owed), and the order is shipped (or delivered) with what left. An order nothing of which
    has shipped is cancelled as a whole."""
    org_id = principal.org_id
    row = await orders.locked_order(conn, org_id, order_id)
    if not shipped_by_line(row):
        return await cancel_order(conn, principal, order_id, reason)
    status = OrderStatus(row["status"])
    units = unshipped_by_line(row)
    if status not in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.ON_HOLD) or not units:
        raise NothingToCancel(f"every unit of order {row['number']} owed has shipped")
    if await outside_port.ask_to_withdraw(conn, principal, order_id, reason=reason):
        return await orders.get_order(conn, org_id, order_id)
    await fulfillment.cancel_for_order(
        conn, org_id=org_id, order_id=order_id, reason=reason, actor=principal.actor
    )
    released = await repository.release_allocations(conn, org_id, order_id)
    await release_stock(
        conn,
        org_id=org_id,
        requests=[StockRequest(a.sku_id, a.location_id, a.quantity) for a in released],
        order_id=order_id,
        reference=f"order:{order_id}",
        reason="order_units_cancelled",
        actor=principal.actor,
    )
    await _take_off(conn, principal, row, units, reason=reason)
    if status is OrderStatus.ON_HOLD:
        # What is left has shipped: no hold has anything to hold back any more.
        ensure_transition(status, OrderStatus.PARTIALLY_SHIPPED, units_shipped=True)
        await repository.update_order(
            conn, org_id, order_id, status=OrderStatus.PARTIALLY_SHIPPED.value, hold_reasons=[]
        )
        await timeline.append_events(
            conn,
            org_id,
            order_id,
            [("order.partially_shipped", {"from": status.value, "reason": reason})],
            principal.actor,
        )
    await fulfillment.follow_order(conn, principal, order_id)
    return await orders.get_order(conn, org_id, order_id)


async def cancel_units(
    conn: AsyncConnection,
    principal: Principal,
    order_id: int,
    units: dict[int, int],
    *,
    reason: str,
) -> None:
    """Take units whose reservations are already released off the order's lines (a pickup
    that expired on an order that shipped something else); the order follows what is left."""
    row = await orders.locked_order(conn, principal.org_id, order_id)
    left = unshipped_by_line(row)
    fitting = {n: min(q, left.get(n, 0)) for n, q in units.items() if min(q, left.get(n, 0))}
    if fitting:
        await _take_off(conn, principal, row, fitting, reason=reason)
        await fulfillment.follow_order(conn, principal, order_id)


async def _take_off(
    conn: AsyncConnection,
    principal: Principal,
    row: dict[str, Any],
    units: dict[int, int],
    *,
    reason: str,
) -> None:
    """Units off the lines and off what is owed, with the timeline event; store credit, which
    Orderly holds itself, gives the cancelled units' value back."""
    order_id = row["id"]
    value = await orders.take_off_lines(conn, principal.org_id, row, units)
    await timeline.append_events(
        conn,
        principal.org_id,
        order_id,
        [
            (
                "order.units_cancelled",
                {
                    "reason": reason,
                    "lines": {str(n): q for n, q in sorted(units.items())},
                    "total_before": row["total_minor"],
                    "total_after": row["total_minor"] - value,
                    "refund_due": value,
                },
            )
        ],
        principal.actor,
    )
    if value > 0:
        await payments.give_back_store_credit(conn, principal, order_id, amount_minor=value)
