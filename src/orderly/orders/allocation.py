"""Sourcing an order's open units and reserving them: shared by capture and release."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.reservations import AvailabilitySnapshot, StockRequest, reserve_stock
from orderly.orders.errors import InsufficientStock, StockContention
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
