"""Order use cases after capture: read, list, hold, release, cancel and edits. Cancelling what
of an order has not shipped is `orders.cancellation`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import service as fulfillment
from orderly.inventory.reservations import StockRequest, release_stock
from orderly.kit.errors import InvalidInput
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.orders import queries, repository
from orderly.orders.allocation import open_demands, shipped_by_line, source_stored_order
from orderly.orders.domain import (
    DeliveryMethod,
    HoldReason,
    OrderStatus,
    ensure_transition,
    missing_address_fields,
    status_after_release,
)
from orderly.orders.errors import (
    AddressNotEditable,
    InvalidAddress,
    OrderNotFound,
    OrderNotHeld,
)
from orderly.orders.presenters import order_summary, stored_order_out
from orderly.orders.queries import OrderFilters
from orderly.orders.queries import allocated_at as allocated_at
from orderly.orders.schemas import OrderEventOut, OrderOut, OrderSummary
from orderly.payments import service as payments
from orderly.sourcing import service as sourcing
from orderly.tenancy.domain import Principal


async def get_order(conn: AsyncConnection, org_id: int, order_id: int) -> OrderOut:
    return stored_order_out(await _order_row(conn, org_id, order_id))


async def list_orders(
    conn: AsyncConnection, org_id: int, filters: OrderFilters, *, limit: int, cursor: str | None
) -> Page[OrderSummary]:
    items, next_cursor = await order_summaries(conn, org_id, filters, limit=limit, cursor=cursor)
    return Page[OrderSummary].model_validate({"items": items, "next_cursor": next_cursor})


async def order_summaries(
    conn: AsyncConnection, org_id: int, filters: OrderFilters, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the list as OrderSummary fields in plain values (`presenters.order_summary`), and
    the cursor of the next page: what the API writes without a model per order."""
    after = id_cursor(cursor)
    rows = await queries.list_orders(conn, org_id, filters, limit=limit + 1, after_id=after)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
    return [order_summary(r) for r in page], next_cursor


async def order_events(
    conn: AsyncConnection, org_id: int, order_id: int, *, limit: int, cursor: str | None
) -> Page[OrderEventOut]:
    await _order_row(conn, org_id, order_id)
    after = id_cursor(cursor)
    rows = await queries.list_events(conn, org_id, order_id, limit=limit + 1, after_id=after)
    items = [OrderEventOut(**r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def hold_order(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str
) -> OrderOut:
    """Stop an order from moving on; its reservations are kept."""
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
    status = OrderStatus(row["status"])
    if status is not OrderStatus.ON_HOLD:
        ensure_transition(status, OrderStatus.ON_HOLD)
    reasons = _with(row["hold_reasons"], HoldReason.MANUAL)
    await repository.update_order(
        conn, principal.org_id, order_id, status=OrderStatus.ON_HOLD.value, hold_reasons=reasons
    )
    await repository.append_events(
        conn,
        principal.org_id,
        order_id,
        [("order.on_hold", {"hold_reasons": reasons, "reason": reason, "from": status.value})],
        principal.actor,
    )
    return await get_order(conn, principal.org_id, order_id)


async def release_order(
    conn: AsyncConnection,
    principal: Principal,
    order_id: int,
    *,
    hold: HoldReason | None,
    reason: str | None,
) -> OrderOut:
    """Lift one hold reason, or all of them; with none left, source what is still open."""
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
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
    await repository.append_events(conn, principal.org_id, order_id, events, principal.actor)
    if values.get("status") in (OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_SHIPPED):
        await fulfillment.open_for_uncovered(
            conn, org_id=principal.org_id, order_id=order_id, actor=principal.actor
        )
    return await get_order(conn, principal.org_id, order_id)


async def cancel_order(
    conn: AsyncConnection, principal: Principal, order_id: int, reason: str
) -> OrderOut:
    """Cancel the order and give every reserved unit back to available stock. Once units of
    it have shipped only the rest can be cancelled (`cancellation.cancel_unshipped`)."""
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
    ensure_transition(
        OrderStatus(row["status"]), OrderStatus.CANCELLED, units_shipped=bool(shipped_by_line(row))
    )
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
    await repository.append_events(
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
    if row["payment_method"] == payments.PAID_WITH_STORE_CREDIT:
        # Store credit is money Orderly holds: a cancelled order gives it back itself.
        await payments.give_back_store_credit(conn, principal, order_id)
    return await get_order(conn, principal.org_id, order_id)


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


async def _order_row(
    conn: AsyncConnection, org_id: int, order_id: int, *, for_update: bool = False
) -> dict[str, Any]:
    row = await queries.order_row(conn, org_id, order_id, for_update=for_update)
    if row is None:
        raise OrderNotFound(f"no order {order_id}")
    return row


def _with(reasons: list[str], reason: HoldReason) -> list[str]:
    return reasons if reason.value in reasons else [*reasons, reason.value]


# Edits from the dashboard -------------------------------------------------------------------

# Before anything has left, the address can still change.
ADDRESS_EDITABLE = frozenset({OrderStatus.ALLOCATED, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED})
MAX_TAGS = 20


async def edit_shipping_address(
    conn: AsyncConnection, principal: Principal, order_id: int, address: dict[str, Any]
) -> OrderOut:
    """Replace the shipping address of an order that has not shipped anything yet. The
    allocations stay where they are; the labels bought later use the new address."""
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
    status = OrderStatus(row["status"])
    if status not in ADDRESS_EDITABLE or row["delivery_method"] != DeliveryMethod.SHIP.value:
        raise AddressNotEditable(
            f"the shipping address of an order that is {status.value} cannot change",
            field="shipping_address",
        )
    missing = missing_address_fields(address)
    if missing:
        raise InvalidAddress(
            "the address lacks " + ", ".join(missing), field=f"shipping_address.{missing[0]}"
        )
    await repository.update_order(conn, principal.org_id, order_id, shipping_address=address)
    await repository.append_events(
        conn,
        principal.org_id,
        order_id,
        [("order.address_changed", {"from": row["shipping_address"], "to": address})],
        principal.actor,
    )
    return await get_order(conn, principal.org_id, order_id)


async def add_note(
    conn: AsyncConnection, principal: Principal, order_id: int, note: str
) -> OrderOut:
    """A note lands on the timeline; the order's notes keep every note, newest last."""
    text = note.strip()
    if not text:
        raise InvalidInput("write a note first", field="note")
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
    notes = f"{row['notes']}\n{text}" if row["notes"] else text
    await repository.update_order(conn, principal.org_id, order_id, notes=notes)
    await repository.append_events(
        conn, principal.org_id, order_id, [("order.note_added", {"note": text})], principal.actor
    )
    return await get_order(conn, principal.org_id, order_id)


async def add_tag(conn: AsyncConnection, principal: Principal, order_id: int, tag: str) -> OrderOut:
    label = tag.strip()
    if not label or len(label) > 50:
        raise InvalidInput("a tag has 1 to 50 characters", field="tag")
    row = await _order_row(conn, principal.org_id, order_id, for_update=True)
    if label in row["tags"]:
        return stored_order_out(row)
    if len(row["tags"]) >= MAX_TAGS:
        raise InvalidInput(f"an order has at most {MAX_TAGS} tags", field="tag")
    await repository.update_order(conn, principal.org_id, order_id, tags=[*row["tags"], label])
    await repository.append_events(
        conn, principal.org_id, order_id, [("order.tagged", {"tag": label})], principal.actor
    )
    return await get_order(conn, principal.org_id, order_id)
