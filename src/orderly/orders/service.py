"""Order use cases after capture that need no other feature: read, list, hold, edit, take
units off the lines. Release and cancel, which other features follow, are in `order_flows`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import InvalidInput
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.orders import queries, repository, timeline
from orderly.orders.domain import (
    DeliveryMethod,
    HoldReason,
    LineAmounts,
    OrderStatus,
    can_transition,
    ensure_transition,
    missing_address_fields,
    order_totals,
    owed_amounts,
)
from orderly.orders.errors import AddressNotEditable, InvalidAddress, OrderNotFound
from orderly.orders.presenters import order_summary, stored_order_out
from orderly.orders.queries import OrderFilters
from orderly.orders.queries import allocated_at as allocated_at
from orderly.orders.schemas import OrderEventOut, OrderOut, OrderSummary
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
    rows = await timeline.list_events(conn, org_id, order_id, limit=limit + 1, after_id=after)
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
    await _hold(conn, principal.org_id, row, HoldReason.MANUAL, {"reason": reason}, principal.actor)
    return await get_order(conn, principal.org_id, order_id)


async def hold_for_check(
    conn: AsyncConnection,
    org_id: int,
    order_id: int,
    reason: HoldReason,
    data: dict[str, Any],
    actor: str,
) -> bool:
    """Hold an order that failed a check made after its capture; False when it has moved on
    meanwhile (shipped, cancelled) and can no longer be held."""
    row = await _order_row(conn, org_id, order_id, for_update=True)
    status = OrderStatus(row["status"])
    if status is not OrderStatus.ON_HOLD and not can_transition(status, OrderStatus.ON_HOLD):
        return False
    await _hold(conn, org_id, row, reason, data, actor)
    return True


async def _hold(
    conn: AsyncConnection,
    org_id: int,
    row: Mapping[str, Any],
    reason: HoldReason,
    data: dict[str, Any],
    actor: str,
) -> None:
    reasons = _with(row["hold_reasons"], reason)
    await repository.update_order(
        conn, org_id, row["id"], status=OrderStatus.ON_HOLD.value, hold_reasons=reasons
    )
    event = {"hold_reasons": reasons, **data, "from": row["status"]}
    await timeline.append_events(conn, org_id, row["id"], [("order.on_hold", event)], actor)


async def locked_order(conn: AsyncConnection, org_id: int, order_id: int) -> dict[str, Any]:
    """The stored order, locked for the use case that changes it."""
    return await _order_row(conn, org_id, order_id, for_update=True)


async def take_off_lines(
    conn: AsyncConnection, org_id: int, row: Mapping[str, Any], units: Mapping[int, int]
) -> int:
    """Record `units` (per line number) as cancelled on the stored order `row` and bring the
    lines' and the order's amounts down to what is still owed. Returns the value taken off
    the order's total, in minor units."""
    owed: list[LineAmounts] = []
    for line in row["lines"]:
        taken = units.get(line["line_no"], 0)
        stored = LineAmounts(
            quantity=line["quantity"] - line["cancelled_quantity"],
            unit_price_minor=line["unit_price_minor"],
            discount_minor=line["discount_minor"],
            tax_minor=line["tax_minor"],
        )
        # The stored amounts are those of the owed units already: sharing them over the owed
        # units gives each unit the share it had of the line as ordered.
        now = owed_amounts(stored, cancelled=taken)
        owed.append(now)
        if taken:
            await repository.update_line(
                conn,
                org_id,
                row["id"],
                line["line_no"],
                cancelled_quantity=line["cancelled_quantity"] + taken,
                discount_minor=now.discount_minor,
                tax_minor=now.tax_minor,
                total_minor=now.total_minor,
            )
    totals = order_totals(owed, row["shipping_minor"])
    await repository.update_order(
        conn,
        org_id,
        row["id"],
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
    )
    return int(row["total_minor"]) - totals.total_minor


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
    await timeline.append_events(
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
    await timeline.append_events(
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
    await timeline.append_events(
        conn, principal.org_id, order_id, [("order.tagged", {"tag": label})], principal.actor
    )
    return await get_order(conn, principal.org_id, order_id)
