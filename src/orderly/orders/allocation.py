"""Sourcing an order's units and reserving them: shared by capture, release, re-routing and
backorders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.inventory.reservations import (
    AvailabilitySnapshot,
    StockRequest,
    availability_snapshot,
    reserve_stock,
)
from orderly.orders.domain import DeliveryMethod
from orderly.orders.errors import InsufficientStock, StockContention
from orderly.sourcing import service as sourcing
from orderly.sourcing.domain import (
    Destination,
    LineDemand,
    SourcingPlan,
    SourcingRequest,
    SourcingStrategy,
)
from orderly.tenancy.domain import Principal

MAX_RESERVATION_ATTEMPTS = 5


def plan_sourcing(
    *,
    demands: tuple[LineDemand, ...],
    destination: Destination | None,
    snapshot: AvailabilitySnapshot,
    allow_shortfall: bool,
    strategy: SourcingStrategy,
    sku_codes_by_id: dict[int, str],
) -> SourcingPlan:
    """Plan on a snapshot; 409 insufficient_stock when units are short and may not be."""
    request = SourcingRequest(demands, destination, snapshot.candidates, snapshot.available)
    plan = strategy.plan(request)
    if plan.shortfalls and not allow_shortfall:
        raise insufficient_stock(demands, plan, sku_codes_by_id)
    return plan


async def source_and_reserve(
    conn: AsyncConnection,
    principal: Principal,
    *,
    order_id: int,
    demands: tuple[LineDemand, ...],
    destination: Destination | None,
    snapshot: AvailabilitySnapshot,
    allow_shortfall: bool,
    strategy: SourcingStrategy,
    sku_codes_by_id: dict[int, str],
) -> SourcingPlan:
    """Plan, then reserve; when a race is lost, plan again on the fresh numbers."""
    available = dict(snapshot.available)
    for _ in range(MAX_RESERVATION_ATTEMPTS):
        request = SourcingRequest(demands, destination, snapshot.candidates, available)
        plan = strategy.plan(request)
        if plan.shortfalls and not allow_shortfall:
            raise insufficient_stock(demands, plan, sku_codes_by_id)
        result = await reserve_stock(
            conn,
            org_id=principal.org_id,
            requests=[StockRequest(a.sku_id, a.location_id, a.quantity) for a in plan.allocations],
            order_id=order_id,
            reference=f"order:{order_id}",
            actor=principal.actor,
        )
        if result.reserved:
            return plan
        available.update(result.available)
    raise StockContention(
        "stock for this order is changing too fast; retry the request",
        extra={"retryable": True},
    )


def insufficient_stock(
    demands: tuple[LineDemand, ...], plan: SourcingPlan, sku_codes_by_id: dict[int, str]
) -> InsufficientStock:
    shortages = [
        {
            "line_no": d.line_no,
            "sku": sku_codes_by_id[d.sku_id],
            "requested": d.quantity,
            "short": plan.shortfalls[d.line_no],
        }
        for d in demands
        if d.line_no in plan.shortfalls
    ]
    skus = ", ".join(str(s["sku"]) for s in shortages)
    return InsufficientStock(
        f"not enough stock for {skus}", field="lines", extra={"shortages": shortages}
    )


def open_demands(row: dict[str, Any]) -> tuple[LineDemand, ...]:
    """The units of each line of a stored order that no reserved or shipped allocation holds
    and that were not cancelled: the line's backordered units."""
    held: dict[int, int] = {}
    for a in row["allocations"]:
        if a["status"] in ("reserved", "shipped"):
            held[a["line_no"]] = held.get(a["line_no"], 0) + a["quantity"]
    demands = []
    for line in row["lines"]:
        wanted = line["quantity"] - line["cancelled_quantity"] - held.get(line["line_no"], 0)
        if wanted > 0:
            demands.append(
                LineDemand(line["line_no"], line["sku_id"], wanted, line["unit_price_minor"])
            )
    return tuple(demands)


def shipped_by_line(row: Mapping[str, Any]) -> dict[int, int]:
    """Units of each line of a stored order that have left (shipped or collected)."""
    shipped: dict[int, int] = {}
    for a in row["allocations"]:
        if a["status"] == "shipped":
            shipped[a["line_no"]] = shipped.get(a["line_no"], 0) + a["quantity"]
    return shipped


def unshipped_by_line(row: Mapping[str, Any]) -> dict[int, int]:
    """Units of each line still owed and not shipped: reserved or backordered."""
    shipped = shipped_by_line(row)
    left = {
        line["line_no"]: line["quantity"]
        - line["cancelled_quantity"]
        - shipped.get(line["line_no"], 0)
        for line in row["lines"]
    }
    return {line_no: units for line_no, units in left.items() if units > 0}


async def source_stored_order(
    conn: AsyncConnection,
    principal: Principal,
    row: dict[str, Any],
    demands: tuple[LineDemand, ...],
) -> tuple[SourcingPlan, dict[int, str]]:
    """Plan and reserve units of a stored order (as read by orders.queries.order_row) under its
    channel's routing configuration, on a locked snapshot; what is short stays short.
    Returns the plan and the candidate locations' codes by id."""
    channel = await channels.channel_policy(conn, principal.org_id, row["channel_code"])
    pickup = row["delivery_method"] == DeliveryMethod.PICKUP.value
    address = row["shipping_address"] or {}
    destination = None
    if not pickup and address.get("country"):
        destination = Destination(
            address["country"],
            address.get("latitude"),
            address.get("longitude"),
            address.get("postal_code"),
        )
    snapshot = await availability_snapshot(
        conn,
        org_id=principal.org_id,
        sku_ids=sorted({d.sku_id for d in demands}),
        location_kinds=channel.eligible_location_kinds,
        capability="pickup" if pickup else "ship",
        country=destination.country if destination else None,
        pickup_location_id=row["pickup_location_id"],
    )
    plan = await source_and_reserve(
        conn,
        principal,
        order_id=row["id"],
        demands=demands,
        destination=destination,
        snapshot=snapshot,
        allow_shortfall=True,
        strategy=await sourcing.routing_for_channel(
            conn,
            principal.org_id,
            channel.id,
            delivery_method=row["delivery_method"],
            pickup_location_id=row["pickup_location_id"] if pickup else None,
            promise_date=row["requested_delivery_date"],
            channel=channel.code,
        ),
        sku_codes_by_id={line["sku_id"]: line["sku"] for line in row["lines"]},
    )
    return plan, {c.id: c.code for c in snapshot.candidates}
