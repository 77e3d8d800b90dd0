"""What fulfillment needs of an order, and how the order follows its fulfillment orders.

The fulfillment feature calls these functions: the order's status is derived from the units its
fulfillment orders have shipped and delivered, and the order's allocations follow the stock
out of the door.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import Conflict
from orderly.orders import queries, repository, timeline
from orderly.orders.domain import OrderStatus, ensure_transition, follows_fulfillment
from orderly.orders.errors import OrderNotFound
from orderly.orders.models import order_allocations, order_events
from orderly.sourcing.domain import Allocation

# Stock may leave only for an order in one of these.
SHIPPABLE = frozenset({OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_SHIPPED})


class OrderNotShippable(Conflict):
    code = "order_not_shippable"


class AllocationMismatch(Conflict):
    code = "allocation_mismatch"


@dataclass(frozen=True, slots=True)
class OrderLineRef:
    line_no: int
    sku_id: int
    sku: str
    quantity: int
    cancelled: int = 0
    unit_price_minor: int = 0
    discount_minor: int = 0

    @property
    def unit_paid_minor(self) -> int:
        """What the customer paid for one unit, discount taken off and tax left out: the value
        a customs declaration states."""
        return (self.quantity * self.unit_price_minor - self.discount_minor) // max(
            self.quantity, 1
        )


@dataclass(frozen=True, slots=True)
class OrderForFulfillment:
    id: int
    number: str
    status: OrderStatus
    channel_id: int
    channel: str
    delivery_method: str
    shipping_address: dict[str, Any] | None
    customer_name: str | None
    customer_email: str | None
    requested_delivery_date: date | None
    lines: tuple[OrderLineRef, ...]
    currency: str = ""
    customer_phone: str | None = None
    # units that have left (shipped or collected)
    units_shipped: int = 0

    @property
    def total_units(self) -> int:
        """The units the order still owes the customer: ordered less cancelled."""
        return sum(line.quantity - line.cancelled for line in self.lines)


async def order_for_fulfillment(
    conn: AsyncConnection, org_id: int, order_id: int, *, for_update: bool = False
) -> OrderForFulfillment:
    row = await queries.order_row(conn, org_id, order_id, for_update=for_update)
    if row is None:
        raise OrderNotFound(f"no order {order_id}")
    return OrderForFulfillment(
        id=row["id"],
        number=row["number"],
        status=OrderStatus(row["status"]),
        channel_id=row["channel_id"],
        channel=row["channel_code"],
        delivery_method=row["delivery_method"],
        shipping_address=row["shipping_address"],
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        requested_delivery_date=row["requested_delivery_date"],
        lines=tuple(
            OrderLineRef(
                x["line_no"],
                x["sku_id"],
                x["sku"],
                x["quantity"],
                x["cancelled_quantity"],
                x["unit_price_minor"],
                x["discount_minor"],
            )
            for x in row["lines"]
        ),
        currency=row["currency"],
        customer_phone=row["customer_phone"],
        units_shipped=sum(a["quantity"] for a in row["allocations"] if a["status"] == "shipped"),
    )


def ensure_shippable(order: OrderForFulfillment) -> None:
    if order.status not in SHIPPABLE:
        raise OrderNotShippable(
            f"order {order.number} is {order.status.value}: nothing of it may ship now",
            extra={"current_status": order.status.value},
        )


async def reserved_allocations(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[Allocation]:
    a = order_allocations
    rows = await conn.execute(
        sa.select(a.c.line_no, a.c.sku_id, a.c.location_id, a.c.quantity)
        .where(a.c.org_id == org_id, a.c.order_id == order_id, a.c.status == "reserved")
        .order_by(a.c.id)
    )
    return [Allocation(r.line_no, r.sku_id, r.location_id, r.quantity) for r in rows]


async def move_allocation_units(
    conn: AsyncConnection,
    org_id: int,
    order_id: int,
    units: Sequence[Allocation],
    *,
    to_status: str,
) -> None:
    """Move reserved units of the order's allocations to `released` or `shipped`, splitting an
    allocation row when only part of it moves."""
    a = order_allocations
    for unit in units:
        remaining = unit.quantity
        rows = await conn.execute(
            sa.select(a.c.id, a.c.quantity, a.c.order_status, a.c.channel_id)
            .where(
                a.c.org_id == org_id,
                a.c.order_id == order_id,
                a.c.line_no == unit.line_no,
                a.c.location_id == unit.location_id,
                a.c.status == "reserved",
            )
            .order_by(a.c.id)
            .with_for_update()
        )
        for row in rows.all():
            if remaining == 0:
                break
            take = min(row.quantity, remaining)
            remaining -= take
            if take == row.quantity:
                await conn.execute(sa.update(a).where(a.c.id == row.id).values(status=to_status))
                continue
            await conn.execute(
                sa.update(a).where(a.c.id == row.id).values(quantity=row.quantity - take)
            )
            await conn.execute(
                sa.insert(a).values(
                    org_id=org_id,
                    order_id=order_id,
                    line_no=unit.line_no,
                    sku_id=unit.sku_id,
                    location_id=unit.location_id,
                    quantity=take,
                    status=to_status,
                    order_status=row.order_status,
                    channel_id=row.channel_id,
                )
            )
        if remaining:
            raise AllocationMismatch(
                f"line {unit.line_no} has fewer units reserved at the location than move",
                extra={"line_no": unit.line_no, "missing": remaining},
            )


def progress_path(
    current: OrderStatus, *, shipped_units: int, total_units: int, delivered: bool
) -> list[OrderStatus]:
    """The statuses the order passes through to reflect its fulfillment, in order."""
    if shipped_units <= 0:
        return []
    if shipped_units < total_units:
        return [] if current is OrderStatus.PARTIALLY_SHIPPED else [OrderStatus.PARTIALLY_SHIPPED]
    path = []
    if current not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        path.append(OrderStatus.SHIPPED)
    if delivered and current is not OrderStatus.DELIVERED:
        path.append(OrderStatus.DELIVERED)
    return path


async def apply_fulfillment_progress(
    conn: AsyncConnection,
    org_id: int,
    order_id: int,
    *,
    shipped_units: int,
    total_units: int,
    delivered: bool,
    actor: str,
    shipped: Sequence[Allocation] = (),
    event_data: dict[str, Any] | None = None,
) -> OrderStatus:
    """Mark `shipped` units of the allocations shipped and move the order to the status its
    fulfillment orders add up to: partially_shipped, shipped or delivered. An order that waits
    (on hold, backordered) or is closed does not move: the news is noted on its timeline, and
    the order catches up when it moves on."""
    row = await queries.order_row(conn, org_id, order_id, for_update=True)
    if row is None:
        raise OrderNotFound(f"no order {order_id}")
    if shipped:
        await move_allocation_units(conn, org_id, order_id, shipped, to_status="shipped")
    status = OrderStatus(row["status"])
    path = progress_path(
        status, shipped_units=shipped_units, total_units=total_units, delivered=delivered
    )
    if path and not follows_fulfillment(status, path):
        note = {
            "status": status.value,
            "fulfillment_says": path[-1].value,
            "shipped_units": shipped_units,
            **(event_data or {}),
        }
        await timeline.append_events(conn, org_id, order_id, [("order.status_kept", note)], actor)
        return status
    events: list[tuple[str, dict[str, Any]]] = []
    for step in path:
        ensure_transition(status, step)
        events.append(
            (
                f"order.{step.value}",
                {"from": status.value, "shipped_units": shipped_units, **(event_data or {})},
            )
        )
        status = step
    if path:
        await repository.update_order(conn, org_id, order_id, status=status.value)
        await timeline.append_events(conn, org_id, order_id, events, actor)
    return status


async def append_events_for_orders(
    conn: AsyncConnection,
    org_id: int,
    events: Sequence[tuple[int, str, dict[str, Any]]],
    actor: str,
) -> None:
    """Timeline events of many orders in one statement: (order id, type, data)."""
    if events:
        await conn.execute(
            sa.insert(order_events),
            [
                {"org_id": org_id, "order_id": oid, "type": t, "data": d, "actor": actor}
                for oid, t, d in events
            ],
        )
