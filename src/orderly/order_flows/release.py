"""Releasing a held order: with no hold left its open units are sourced, and fulfillment
orders open for what is reserved."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import service as fulfillment
from orderly.orders import repository, timeline
from orderly.orders import service as orders
from orderly.orders.allocation import open_demands, shipped_by_line, source_stored_order
from orderly.orders.domain import HoldReason, OrderStatus, ensure_transition, status_after_release
from orderly.orders.errors import OrderNotHeld
from orderly.orders.schemas import OrderOut
from orderly.sourcing import service as sourcing
from orderly.tenancy.domain import Principal


async def release_order(
    conn: AsyncConnection,
    principal: Principal,
    order_id: int,
    *,
    hold: HoldReason | None,
    reason: str | None,
) -> OrderOut:
    """Lift one hold reason, or all of them; with none left, source what is still open."""
    row = await orders.locked_order(conn, principal.org_id, order_id)
    if row["status"] != OrderStatus.ON_HOLD.value:
        raise OrderNotHeld(f"order {row['number']} is {row['status']}, not on hold")
    remaining = [] if hold is None else [r for r in row["hold_reasons"] if r != hold.value]
    events: list[tuple[str, dict[str, Any]]] = [
        ("order.hold_released", {"released": hold.value if hold else "all", "reason": reason})
    ]
    values: dict[str, Any] = {"hold_reasons": remaining}
    if not remaining:
        short, sourcing_event = await _source_open_units(conn, principal, row)
        if sourcing_event is not None:
            events.append(sourcing_event)
        units_shipped = bool(shipped_by_line(row))
        status = status_after_release(short=short, units_shipped=units_shipped)
        ensure_transition(OrderStatus.ON_HOLD, status, units_shipped=units_shipped)
        values["status"] = status.value
        events.append((f"order.{status.value}", {"from": OrderStatus.ON_HOLD.value}))
    await repository.update_order(conn, principal.org_id, order_id, **values)
    await timeline.append_events(conn, principal.org_id, order_id, events, principal.actor)
    if values.get("status") in (OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_SHIPPED):
        await fulfillment.open_for_uncovered(
            conn, org_id=principal.org_id, order_id=order_id, actor=principal.actor
        )
    return await orders.get_order(conn, principal.org_id, order_id)


async def _source_open_units(
    conn: AsyncConnection, principal: Principal, row: dict[str, Any]
) -> tuple[bool, tuple[str, dict[str, Any]] | None]:
    """Reserve what no allocation holds yet. Returns (still short, timeline event)."""
    demands = open_demands(row)
    if not demands:
        return False, None
    plan, codes = await source_stored_order(conn, principal, row, demands)
    await repository.insert_allocations(conn, principal.org_id, row["id"], plan.allocations)
    return bool(plan.shortfalls), ("sourcing.decided", sourcing.decision_record(plan, codes))
