"""Units a store sells at its counter that were reserved there for other orders: the latest
orders give them up, before anyone picked them, and are sourced again (docs/pos.md)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import service, steps
from orderly.fulfillment.domain import RejectReason
from orderly.tenancy.domain import Principal

# Fulfillment orders whose units at the store nobody has picked yet, the latest first.
_NOT_PICKED = sa.text(
    """
    SELECT fo.id AS fo_id, l.line_no, l.quantity - l.rejected AS units
      FROM fulfillment_orders fo
      JOIN fulfillment_order_lines l ON l.fulfillment_order_id = fo.id
     WHERE fo.org_id = :org_id AND fo.location_id = :location_id AND l.sku_id = :sku_id
       AND fo.status IN ('pending', 'accepted') AND l.quantity - l.rejected > 0
     ORDER BY fo.id DESC
    """
)


@dataclass(frozen=True, slots=True)
class GivenUp:
    order_id: int
    fulfillment_order_id: int
    line_no: int
    units: int


async def unpicked_units(conn: AsyncConnection, org_id: int, location_id: int, sku_id: int) -> int:
    rows = await conn.execute(
        _NOT_PICKED, {"org_id": org_id, "location_id": location_id, "sku_id": sku_id}
    )
    return sum(int(r.units) for r in rows)


async def give_up_for_counter_sale(
    conn: AsyncConnection,
    principal: Principal,
    *,
    location_id: int,
    sku_id: int,
    units: int,
    note: str,
) -> list[GivenUp]:
    """Release `units` of the SKU reserved at the store for other orders (the latest first,
    only what nobody picked), and source those orders again. Returns what each gave up; less
    than asked when fewer units are unpicked."""
    given: list[GivenUp] = []
    rows = await conn.execute(
        _NOT_PICKED, {"org_id": principal.org_id, "location_id": location_id, "sku_id": sku_id}
    )
    for row in list(rows):
        if units <= 0:
            break
        order, fo = await steps.lock(conn, principal.org_id, row.fo_id)
        line = fo.line(row.line_no)
        if fo.status not in ("pending", "accepted") or line is None:
            continue
        take = min(units, line.quantity - line.rejected)
        if take <= 0:
            continue
        await service.reject_units(
            conn,
            principal,
            order,
            fo,
            {row.line_no: take},
            reason=RejectReason.SOLD_AT_COUNTER,
            note=note,
        )
        given.append(GivenUp(order.id, fo.id, row.line_no, take))
        units -= take
    return given
