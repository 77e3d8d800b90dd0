"""Closing the loop when stock arrives: waiting orders get their open units sourced, oldest
first, taken FOR UPDATE SKIP LOCKED so two workers never fight over one (docs/automation.md,
"Backorders sourced when stock arrives").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import service as fulfillment
from orderly.inventory.arrivals import WAITING_FOR_STOCK
from orderly.orders import queries, repository, timeline
from orderly.orders.allocation import open_demands, source_stored_order
from orderly.orders.domain import WAITS_FOR_STOCK, OrderStatus, ensure_transition
from orderly.sourcing import service as sourcing
from orderly.sourcing.domain import Allocation, LineDemand
from orderly.tenancy.domain import Principal, Role

# How many backordered orders one run takes; the rest wait for the next run.
BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class BackorderRun:
    """What one run did: orders that got units, and those of them now fully allocated."""

    sourced: tuple[int, ...] = ()
    allocated: tuple[int, ...] = ()


# Oldest first. Orders other workers hold are skipped, never waited for.
_WAITING = sa.text(
    f"""
    SELECT o.id
      FROM orders o
     WHERE o.org_id = :org_id AND {WAITING_FOR_STOCK}
       AND (CAST(:sku_ids AS bigint[]) IS NULL OR EXISTS (
            SELECT 1 FROM order_lines ol
             WHERE ol.org_id = o.org_id AND ol.order_id = o.id
               AND ol.sku_id = ANY(CAST(:sku_ids AS bigint[]))))
     ORDER BY o.created_at, o.id
     LIMIT :limit
       FOR UPDATE OF o SKIP LOCKED
    """  # noqa: S608 (constant SQL only)
)

# Every stock row of the SKUs these orders want, locked in (sku, location) order before any
# order is sourced: the per-order snapshots that follow then only re-lock rows this transaction
# already holds, so the run never takes stock locks out of the house order.
_LOCK_STOCK = sa.text(
    """
    SELECT sl.id
      FROM stock_levels sl
     WHERE sl.org_id = :org_id
       AND sl.sku_id IN (SELECT ol.sku_id FROM order_lines ol
                          WHERE ol.org_id = :org_id AND ol.order_id = ANY(:order_ids))
     ORDER BY sl.sku_id, sl.location_id
       FOR UPDATE OF sl
    """
)


async def allocate_backorders(
    conn: AsyncConnection,
    org_id: int,
    sku_ids: Collection[int] | None,
    actor: str,
    *,
    limit: int = BATCH_SIZE,
) -> BackorderRun:
    """Source the open units of backordered orders wanting any of `sku_ids` (None: any SKU)."""
    params = {"org_id": org_id, "sku_ids": None if sku_ids is None else sorted(sku_ids)}
    order_ids = [row.id for row in await conn.execute(_WAITING, {**params, "limit": limit})]
    if not order_ids:
        return BackorderRun()
    await conn.execute(_LOCK_STOCK, {"org_id": org_id, "order_ids": order_ids})
    principal = Principal(org_id=org_id, role=Role.ADMIN, actor=actor)
    sourced: list[int] = []
    allocated: list[int] = []
    for order_id in order_ids:
        outcome = await _source_order(conn, principal, order_id)
        if outcome is None:
            continue
        sourced.append(order_id)
        if outcome:
            allocated.append(order_id)
    return BackorderRun(tuple(sourced), tuple(allocated))


async def _source_order(conn: AsyncConnection, principal: Principal, order_id: int) -> bool | None:
    """Source what the order still lacks. None when nothing could be sourced; otherwise
    whether nothing is short any more. A backordered order then becomes allocated; a partially
    shipped one stays so, and what was sourced for it is fulfilled at once."""
    org_id = principal.org_id
    row = await queries.order_row(conn, org_id, order_id)
    if row is None or row["status"] not in WAITS_FOR_STOCK:
        return None
    status = OrderStatus(row["status"])
    demands = open_demands(row)
    if demands:
        allocations, still_short, event = await _source(conn, principal, row, demands)
        if not allocations:
            return None
        await repository.insert_allocations(conn, org_id, order_id, allocations)
        events: list[tuple[str, dict[str, Any]]] = [event]
    elif status is OrderStatus.BACKORDERED:  # every unit is reserved: only the status lagged
        still_short, events = False, []
    else:
        return None
    if not still_short and status is OrderStatus.BACKORDERED:
        ensure_transition(status, OrderStatus.ALLOCATED)
        await repository.update_order(conn, org_id, order_id, status=OrderStatus.ALLOCATED.value)
        events.append(("order.allocated", {"from": status.value}))
    await timeline.append_events(conn, org_id, order_id, events, principal.actor)
    if not still_short or status is OrderStatus.PARTIALLY_SHIPPED:
        await fulfillment.open_for_uncovered(
            conn, org_id=org_id, order_id=order_id, actor=principal.actor
        )
    return not still_short


async def _source(
    conn: AsyncConnection,
    principal: Principal,
    row: dict[str, Any],
    demands: tuple[LineDemand, ...],
) -> tuple[tuple[Allocation, ...], bool, tuple[str, dict[str, Any]]]:
    """Plan and reserve on a locked snapshot: (allocations, still short, timeline event)."""
    plan, codes = await source_stored_order(conn, principal, row, demands)
    event = ("backorder.sourced", sourcing.decision_record(plan, codes))
    return tuple(plan.allocations), bool(plan.shortfalls), event
