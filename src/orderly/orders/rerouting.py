"""Closing the loop when a location gives units back: release them, and source them again
from the next best location, or backorder them when none can take them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.inventory.reservations import (
    AvailabilitySnapshot,
    StockRequest,
    availability_snapshot,
    release_stock,
)
from orderly.orders import queries, repository, timeline
from orderly.orders.allocation import source_and_reserve
from orderly.orders.domain import DeliveryMethod, OrderStatus, ensure_transition
from orderly.orders.errors import OrderNotFound
from orderly.orders.fulfillment_status import SHIPPABLE, move_allocation_units
from orderly.sourcing import service as sourcing
from orderly.sourcing.domain import Allocation, Destination, LineDemand
from orderly.tenancy.domain import Principal


@dataclass(frozen=True, slots=True)
class Rerouted:
    allocations: tuple[Allocation, ...]
    backordered: dict[int, int]
    status: OrderStatus

    @property
    def may_fulfil(self) -> bool:
        """New fulfillment orders open only for an order that is moving (not held or short)."""
        return self.status in SHIPPABLE


async def give_back_units(
    conn: AsyncConnection,
    principal: Principal,
    order_id: int,
    *,
    units: Sequence[Allocation],
    reason: str,
) -> None:
    """Release these reserved units of the order at their location (allocations and stock)."""
    await move_allocation_units(conn, principal.org_id, order_id, units, to_status="released")
    await release_stock(
        conn,
        org_id=principal.org_id,
        requests=[StockRequest(u.sku_id, u.location_id, u.quantity) for u in units],
        order_id=order_id,
        reference=f"order:{order_id}",
        reason=reason,
        actor=principal.actor,
    )


async def reroute_units(
    conn: AsyncConnection,
    principal: Principal,
    order_id: int,
    *,
    demands: Sequence[LineDemand],
    exclude_location_id: int,
    reason: str,
) -> Rerouted:
    """Source these units again, anywhere but the location that gave them back. What no
    location can take is backordered (an allocated order becomes backordered)."""
    org_id = principal.org_id
    row = await queries.order_row(conn, org_id, order_id, for_update=True)
    if row is None:
        raise OrderNotFound(f"no order {order_id}")
    status = OrderStatus(row["status"])
    wanted = tuple(d for d in demands if d.quantity > 0)
    if not wanted or status is OrderStatus.CANCELLED:
        return Rerouted((), {}, status)
    snapshot = await _snapshot(conn, org_id, row, wanted, exclude_location_id)
    plan = await source_and_reserve(
        conn,
        principal,
        order_id=order_id,
        demands=wanted,
        destination=_destination(row),
        snapshot=snapshot,
        allow_shortfall=True,
        strategy=await sourcing.routing_for_channel(
            conn,
            org_id,
            row["channel_id"],
            delivery_method=row["delivery_method"],
            pickup_location_id=row["pickup_location_id"],
            promise_date=row["requested_delivery_date"],
            channel=row["channel_code"],
        ),
        sku_codes_by_id={line["sku_id"]: line["sku"] for line in row["lines"]},
    )
    await repository.insert_allocations(conn, org_id, order_id, plan.allocations)
    codes = {c.id: c.code for c in snapshot.candidates}
    backordered = dict(plan.shortfalls)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "sourcing.rerouted",
            {
                "reason": reason,
                "allocations": [
                    {"line_no": a.line_no, "location": codes[a.location_id], "quantity": a.quantity}
                    for a in plan.allocations
                ],
                "backordered": {str(k): v for k, v in backordered.items()},
                "explanation": list(plan.explanation),
            },
        )
    ]
    if backordered and status is OrderStatus.ALLOCATED:
        ensure_transition(status, OrderStatus.BACKORDERED)
        await repository.update_order(conn, org_id, order_id, status=OrderStatus.BACKORDERED.value)
        events.append(("order.backordered", {"from": status.value, "reason": reason}))
        status = OrderStatus.BACKORDERED
    await timeline.append_events(conn, org_id, order_id, events, principal.actor)
    return Rerouted(plan.allocations, backordered, status)


async def _snapshot(
    conn: AsyncConnection,
    org_id: int,
    row: dict[str, Any],
    demands: Sequence[LineDemand],
    exclude_location_id: int,
) -> AvailabilitySnapshot:
    channel = await channels.channel_policy(conn, org_id, row["channel_code"])
    pickup = row["delivery_method"] == DeliveryMethod.PICKUP.value
    destination = _destination(row)
    snapshot = await availability_snapshot(
        conn,
        org_id=org_id,
        sku_ids=sorted({d.sku_id for d in demands}),
        location_kinds=channel.eligible_location_kinds,
        capability="pickup" if pickup else "ship",
        country=destination.country if destination else None,
        pickup_location_id=row["pickup_location_id"],
    )
    return AvailabilitySnapshot(
        tuple(c for c in snapshot.candidates if c.id != exclude_location_id),
        {k: v for k, v in snapshot.available.items() if k[1] != exclude_location_id},
    )


def _destination(row: dict[str, Any]) -> Destination | None:
    address = row["shipping_address"] or {}
    if row["delivery_method"] == DeliveryMethod.PICKUP.value or not address.get("country"):
        return None
    return Destination(address["country"], address.get("latitude"), address.get("longitude"))
