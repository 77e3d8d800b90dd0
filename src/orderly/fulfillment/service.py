"""Fulfillment orders: opened when an order is allocated, accepted, rejected and re-routed,
cancelled, and moved along by what the carriers report. Picking, packing, shipping and store
pickup have modules of their own; they share the helpers at the bottom of this one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import outside_port, repository, steps
from orderly.fulfillment.domain import (
    FulfillmentStatus,
    ParcelStatus,
    RejectReason,
    ensure_transition,
)
from orderly.fulfillment.errors import FulfillmentOrderNotFound
from orderly.fulfillment.repository import FulfillmentRow
from orderly.fulfillment.schemas import FulfillmentOrderOut, LineQuantity, fulfillment_out
from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import write_off_stock
from orderly.kit.db import Transaction
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.orders import fulfillment_status, rerouting
from orderly.orders import timeline as order_timeline
from orderly.orders.fulfillment_status import OrderForFulfillment
from orderly.sourcing.domain import Allocation, LineDemand
from orderly.tenancy.domain import Principal, Role

F = FulfillmentStatus
SYSTEM_ACTOR = "orderly"


# Opening and closing with the order ---------------------------------------------------------


async def open_for_order(
    conn: AsyncConnection,
    *,
    org_id: int,
    order_id: int,
    allocations: Sequence[Allocation],
    actor: str = SYSTEM_ACTOR,
    announce: bool = False,
) -> dict[str, int]:
    """A fulfillment order per location for these reserved units, in one statement. Capture
    calls it without `announce` (its `sourcing.decided` event already says where the units
    go); later callers put a `fulfillment.opened` event on the timeline.
    Returns {location code: fulfillment order id}."""
    opened = await repository.open_fulfillment_orders(
        conn, org_id=org_id, order_id=order_id, allocations=allocations
    )
    if announce and opened:
        await order_timeline.append_events(
            conn,
            org_id,
            order_id,
            [
                (
                    "fulfillment.opened",
                    {
                        "fulfillment_orders": [
                            {"id": fo_id, "location": code}
                            for code, fo_id in sorted(opened.items(), key=lambda x: x[1])
                        ]
                    },
                )
            ],
            actor,
        )
    return opened


def open_for_captured_order(
    tx: Transaction, *, org_id: int, order_id: int, allocations: Sequence[Allocation]
) -> None:
    """`open_for_order` for capture: the statement travels with the capture's COMMIT."""
    repository.open_fulfillment_orders_at_commit(
        tx, org_id=org_id, order_id=order_id, allocations=allocations
    )


async def open_for_uncovered(
    conn: AsyncConnection, *, org_id: int, order_id: int, actor: str = SYSTEM_ACTOR
) -> dict[str, int]:
    """Open fulfillment orders for the order's reserved units that none holds yet: call it
    whenever an order becomes allocated after capture (hold released, backorder sourced)."""
    reserved: dict[tuple[int, int, int], int] = defaultdict(int)
    for a in await fulfillment_status.reserved_allocations(conn, org_id, order_id):
        reserved[(a.line_no, a.location_id, a.sku_id)] += a.quantity
    covered = await repository.open_units(conn, org_id, order_id)
    missing = [
        Allocation(line_no, sku_id, location_id, units - covered.get((line_no, location_id), 0))
        for (line_no, location_id, sku_id), units in reserved.items()
        if units > covered.get((line_no, location_id), 0)
    ]
    return await open_for_order(
        conn, org_id=org_id, order_id=order_id, allocations=missing, actor=actor, announce=True
    )


async def cancel_for_order(
    conn: AsyncConnection, *, org_id: int, order_id: int, reason: str, actor: str
) -> list[int]:
    """Cancel the order's open fulfillment orders (the order gives its stock back itself)."""
    ids = await repository.open_fulfillment_order_ids(conn, org_id, order_id)
    for fo_id in ids:
        await repository.update_fulfillment_order(
            conn,
            org_id,
            fo_id,
            status=F.CANCELLED.value,
            cancel_reason=reason,
            closed_at=sa.func.now(),
        )
    if ids:
        await order_timeline.append_events(
            conn,
            org_id,
            order_id,
            [("fulfillment.cancelled", {"fulfillment_orders": ids, "reason": reason})],
            actor,
        )
    return ids


async def follow_order(conn: AsyncConnection, principal: Principal, order_id: int) -> None:
    """Let the order follow what its fulfillment orders shipped and delivered, after the
    order itself changed (units of it cancelled)."""
    order = await fulfillment_status.order_for_fulfillment(
        conn, principal.org_id, order_id, for_update=True
    )
    await steps.record_progress(conn, principal, order)


# Reading ------------------------------------------------------------------------------------


async def get_fulfillment_order(
    conn: AsyncConnection, org_id: int, fo_id: int
) -> FulfillmentOrderOut:
    rows = await repository.views(conn, org_id, [fo_id])
    if not rows:
        raise FulfillmentOrderNotFound(f"no fulfillment order {fo_id}")
    return fulfillment_out(rows[0])


async def list_fulfillment_orders(
    conn: AsyncConnection,
    org_id: int,
    *,
    location_id: int | None,
    status: FulfillmentStatus | None,
    order_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[FulfillmentOrderOut]:
    before = id_cursor(cursor)
    ids = await repository.list_ids(
        conn,
        org_id,
        location_id=location_id,
        status=status.value if status else None,
        order_id=order_id,
        limit=limit + 1,
        before_id=before,
    )
    rows = await repository.views(conn, org_id, ids[:limit])
    items = [fulfillment_out(r) for r in rows]
    next_cursor = encode_cursor(items[-1].id) if len(ids) > limit else None
    return Page(items=items, next_cursor=next_cursor)


# Accept, reject, cancel ---------------------------------------------------------------------


async def accept(conn: AsyncConnection, principal: Principal, fo_id: int) -> FulfillmentOrderOut:
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    await steps.move(conn, principal, order, fo, F.ACCEPTED, accepted_at=sa.func.now())
    return await get_fulfillment_order(conn, principal.org_id, fo_id)


async def reject(
    conn: AsyncConnection,
    principal: Principal,
    fo_id: int,
    *,
    reason: RejectReason,
    lines: Sequence[LineQuantity] | None,
    note: str | None = None,
) -> FulfillmentOrderOut:
    """The location cannot send these units (all open ones by default): they are released,
    the location's count is corrected when they are missing or damaged, and they are
    sourced again elsewhere."""
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    await outside_port.refuse_if_out_at_provider(conn, principal.org_id, fo_id)
    ensure_transition(F(fo.status), F.REJECTED)
    units = steps.requested_units(fo, lines)
    await reject_units(conn, principal, order, fo, units, reason=reason, note=note)
    return await get_fulfillment_order(conn, principal.org_id, fo_id)


async def cancel(
    conn: AsyncConnection, principal: Principal, fo_id: int, *, reason: str
) -> FulfillmentOrderOut:
    """This location will not send the order after all: its units are released and sourced
    again elsewhere (no stock correction)."""
    order, fo = await steps.lock(conn, principal.org_id, fo_id)
    await outside_port.refuse_if_out_at_provider(conn, principal.org_id, fo_id)
    ensure_transition(F(fo.status), F.CANCELLED)
    units = {x.line_no: x.open for x in fo.lines if x.open > 0}
    await repository.update_fulfillment_order(
        conn,
        principal.org_id,
        fo.id,
        status=F.CANCELLED.value,
        cancel_reason=reason,
        closed_at=sa.func.now(),
    )
    await steps.event(
        conn,
        principal,
        order,
        "fulfillment.cancelled",
        fo,
        {"reason": reason, "from": fo.status, "units": steps.by_line(units)},
    )
    await give_back(conn, principal, order, fo, units, reason="fulfillment_cancelled")
    return await get_fulfillment_order(conn, principal.org_id, fo_id)


async def reject_units(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    units: dict[int, int],
    *,
    reason: RejectReason,
    note: str | None,
) -> None:
    await repository.add_to_lines(conn, fo.id, "rejected", units)
    left = sum(x.wanted - units.get(x.line_no, 0) for x in fo.lines)
    values: dict[str, Any] = {"reject_reason": reason.value}
    if left == 0:
        values.update(status=F.REJECTED.value, closed_at=sa.func.now())
    await repository.update_fulfillment_order(conn, principal.org_id, fo.id, **values)
    corrected = await give_back(
        conn, principal, order, fo, units, reason=f"rejected_{reason.value}", correct=reason
    )
    await steps.event(
        conn,
        principal,
        order,
        "fulfillment.rejected",
        fo,
        {
            "reason": reason.value,
            "note": note,
            "units": steps.by_line(units),
            "partial": left > 0,
            "stock_corrected": corrected,
        },
    )


async def give_back(
    conn: AsyncConnection,
    principal: Principal,
    order: OrderForFulfillment,
    fo: FulfillmentRow,
    units: dict[int, int],
    *,
    reason: str,
    correct: RejectReason | None = None,
) -> list[dict[str, Any]]:
    """Release units at the fulfillment order's location, correct its count when the reason
    says so, and re-route them. Returns the stock corrections made."""
    skus = {x.line_no: x.sku_id for x in fo.lines}
    released = [
        Allocation(line_no, skus[line_no], fo.location_id, q) for line_no, q in units.items() if q
    ]
    if not released:
        return []
    await rerouting.give_back_units(conn, principal, order.id, units=released, reason=reason)
    corrections: list[dict[str, Any]] = []
    if correct is not None and correct.corrects_stock:
        asked: dict[int, int] = defaultdict(int)
        for a in released:
            asked[a.sku_id] += a.quantity
        applied = await write_off_stock(
            conn,
            org_id=principal.org_id,
            requests=[StockRequest(a.sku_id, a.location_id, a.quantity) for a in released],
            order_id=order.id,
            reference=f"fulfillment_order:{fo.id}",
            reason=correct.value,
            actor=principal.actor,
        )
        codes = {x.sku_id: x.sku for x in order.lines}
        corrections = [
            {
                "sku": codes.get(sku_id, str(sku_id)),
                "location": fo.location_code,
                "requested": asked[sku_id],
                "written_off": done,
                "clamped": done < asked[sku_id],
            }
            for (sku_id, _), done in sorted(applied.items())
        ]
    rerouted = await rerouting.reroute_units(
        conn,
        principal,
        order.id,
        demands=[LineDemand(a.line_no, a.sku_id, a.quantity) for a in released],
        exclude_location_id=fo.location_id,
        reason=reason,
    )
    if rerouted.may_fulfil and rerouted.allocations:
        await open_for_order(
            conn,
            org_id=principal.org_id,
            order_id=order.id,
            allocations=rerouted.allocations,
            actor=principal.actor,
            announce=True,
        )
    return corrections


# Carrier news -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Change:
    shipment_id: int
    order_id: int
    fulfillment_order_id: int | None
    new_status: str
    tracking_number: str | None


def _change(change: Any) -> _Change:
    new = getattr(change, "new_status", None) or getattr(change, "new", None)
    return _Change(
        shipment_id=int(change.shipment_id),
        order_id=int(change.order_id),
        fulfillment_order_id=getattr(change, "fulfillment_order_id", None),
        new_status=str(getattr(new, "value", new)),
        tracking_number=getattr(change, "tracking_number", None) or None,
    )


async def on_shipment_status_changed(conn: AsyncConnection, org_id: int, change: Any) -> None:
    """Called by shipping tracking when a shipment moves. `change` carries shipment_id,
    order_id, fulfillment_order_id and the new status (in_transit, out_for_delivery,
    delivered, exception). Delivery of every parcel of a fulfillment order delivers it, and
    the order is delivered when all its fulfillment orders are."""
    c = _change(change)
    principal = Principal(org_id=org_id, role=Role.ADMIN, actor="carrier")
    order = await fulfillment_status.order_for_fulfillment(
        conn, org_id, c.order_id, for_update=True
    )
    data = {
        "shipment_id": c.shipment_id,
        "fulfillment_order_id": c.fulfillment_order_id,
        "tracking_number": c.tracking_number,
    }
    if c.new_status != ParcelStatus.DELIVERED.value:
        await order_timeline.append_events(
            conn, org_id, order.id, [(f"shipment.{c.new_status}", data)], principal.actor
        )
        return
    parcels = await repository.parcels_of_shipment(conn, org_id, c.shipment_id)
    for p in parcels:
        if p["status"] == ParcelStatus.SHIPPED.value:
            await repository.update_parcel(
                conn, p["id"], status=ParcelStatus.DELIVERED.value, delivered_at=sa.func.now()
            )
    await order_timeline.append_events(
        conn, org_id, order.id, [("shipment.delivered", data)], principal.actor
    )
    for fo_id in sorted({p["fulfillment_order_id"] for p in parcels}):
        fo = await repository.fulfillment_row(conn, org_id, fo_id, for_update=True)
        if fo is None or fo.status != F.SHIPPED.value:
            continue
        states = {p["status"] for p in await repository.parcels_of(conn, org_id, fo_id)}
        if states == {ParcelStatus.DELIVERED.value}:
            await steps.move(conn, principal, order, fo, F.DELIVERED, delivered_at=sa.func.now())
    await steps.record_progress(conn, principal, order)
