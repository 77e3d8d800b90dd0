"""Steps every fulfillment use case takes: lock, move along the state machine, tell the
order's timeline, and let the order follow its fulfillment orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import payment_port, repository
from orderly.fulfillment.domain import FulfillmentStatus, ensure_transition
from orderly.fulfillment.errors import FulfillmentOrderNotFound, InvalidLines
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import LineQuantity
from orderly.orders import fulfillment_status
from orderly.orders import timeline as order_timeline
from orderly.orders.fulfillment_status import OrderForFulfillment
from orderly.sourcing.domain import Allocation
from orderly.tenancy.domain import Principal

F = FulfillmentStatus


async def lock(
    conn: AsyncConnection, org_id: int, fo_id: int
) -> tuple[OrderForFulfillment, FulfillmentRow]:
    """Lock the order, then its fulfillment order: always in this order, as the order's own
    use cases do, so that the two never deadlock."""
    found = await repository.fulfillment_row(conn, org_id, fo_id)
    if found is None:
        raise FulfillmentOrderNotFound(f"no fulfillment order {fo_id}")
    order = await fulfillment_status.order_for_fulfillment(
        conn, org_id, found.order_id, for_update=True
    )
    fo = await repository.fulfillment_row(conn, org_id, fo_id, for_update=True)
    assert fo is not None  # locked rows of this org are not deleted
    return order, fo


async def move(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    target: FulfillmentStatus,
    *,
    data: dict[str, Any] | None = None,
    **values: Any,
) -> None:
    """Move a fulfillment order along its state machine, with a timeline event."""
    ensure_transition(F(fo.status), target)
    if target in (F.DELIVERED, F.CANCELLED, F.REJECTED):
        values.setdefault("closed_at", sa.func.now())
    await repository.update_fulfillment_order(
        conn, principal.org_id, fo.id, status=target.value, **values
    )
    await event(
        conn,
        principal,
        order,
        f"fulfillment.{target.value}",
        fo,
        {"from": fo.status, **(data or {})},
    )


async def event(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    kind: str,
    fo: FulfillmentRow,
    data: dict[str, Any],
) -> None:
    await order_timeline.append_events(
        conn,
        principal.org_id,
        order.id,
        [(kind, {"fulfillment_order_id": fo.id, "location": fo.location_code, **data})],
        principal.actor,
    )


async def record_progress(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    shipped: Sequence[Allocation] = (),
) -> None:
    """Let the order follow what its fulfillment orders shipped and delivered."""
    shipped_units, delivered = await repository.order_fulfillment_totals(
        conn, principal.org_id, order.id
    )
    await fulfillment_status.apply_fulfillment_progress(
        conn,
        principal.org_id,
        order.id,
        shipped_units=shipped_units,
        total_units=order.total_units,
        delivered=delivered,
        actor=principal.actor,
        shipped=shipped,
    )
    if shipped:
        await payment_port.collect_for_shipment(conn, principal, order.id)


def requested_units(fo: FulfillmentRow, lines: Sequence[LineQuantity] | None) -> dict[int, int]:
    """Units per line asked for in a request, checked against what the line still holds."""
    if lines is None:
        return {x.line_no: x.open for x in fo.lines if x.open > 0}
    units: dict[int, int] = defaultdict(int)
    for i, item in enumerate(lines):
        line = fo.line(item.line_no)
        if line is None:
            raise InvalidLines(
                f"the fulfillment order has no line {item.line_no}", field=f"lines.{i}.line_no"
            )
        units[item.line_no] += item.quantity
        if units[item.line_no] > line.open:
            raise InvalidLines(
                f"line {item.line_no} holds {line.open} open unit(s)", field=f"lines.{i}.quantity"
            )
    return dict(units)


def by_line(units: dict[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(units.items())}
