"""A return at a store's counter, done at once: the customer brings the goods back (the
receipt's barcode names the order), the units are inspected and restocked at the store, and
the money goes back to the sale's tenders. docs/pos.md."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders.errors import OrderNotFound
from orderly.pos.errors import NotAStore
from orderly.pos.repository import store
from orderly.pos.schemas import CounterReturnIn, CounterReturnOut
from orderly.returns import receiving, settlement
from orderly.returns import service as returns
from orderly.returns.domain import ReturnMethod
from orderly.returns.schemas import InspectedLineIn, ReceiveIn, RefundIn, ReturnIn, ReturnLineIn
from orderly.tenancy.domain import Principal


async def take_back(
    conn: AsyncConnection, principal: Principal, data: CounterReturnIn, *, key: str | None
) -> CounterReturnOut:
    """Open, authorize, receive and refund an in-store return in the caller's transaction:
    all of it, or nothing (a unit the order cannot return is a 422 naming it)."""
    org_id = principal.org_id
    at = await store(conn, org_id, data.location)
    if at is None or not at.active or at.kind != "store":
        raise NotAStore(f"no active store {data.location!r}", field="location")
    order_id = await _order_id(conn, org_id, data.order)
    opened = await returns.open_return(
        conn,
        principal,
        ReturnIn(
            order_id=order_id,
            lines=[
                ReturnLineIn(line_no=x.line_no, quantity=x.quantity, reason=x.reason)
                for x in data.lines
            ],
            method=ReturnMethod.IN_STORE,
            location=at.code,
            authorize=False,
        ),
    )
    row = await returns.return_row(conn, org_id, opened.id, for_update=True)
    await returns.authorize(conn, principal, row, label=None)
    await receiving.receive_return(
        conn,
        principal,
        opened.id,
        ReceiveIn(
            location=at.code,
            lines=[
                InspectedLineIn(
                    line_no=x.line_no,
                    restock=0 if x.damaged else x.quantity,
                    damaged=x.quantity if x.damaged else 0,
                )
                for x in data.lines
            ],
        ),
    )
    refunded = await settlement.refund_return(
        conn, principal, opened.id, RefundIn(), header_key=key
    )
    return CounterReturnOut(refund=refunded.refund, return_=refunded.return_)


async def _order_id(conn: AsyncConnection, org_id: int, order: str) -> int:
    found = await order_of_receipt(conn, org_id, order)
    if found is None:
        raise OrderNotFound(f"no order {order}", field="order")
    return found


async def order_of_receipt(conn: AsyncConnection, org_id: int, order: str) -> int | None:
    """The order a receipt names: its number (the receipt's barcode) or its id."""
    row = await conn.execute(
        sa.text(
            "SELECT id FROM orders WHERE org_id = :org_id "
            "AND (number = :order OR CAST(id AS text) = :order)"
        ),
        {"org_id": org_id, "order": order},
    )
    found = row.scalar_one_or_none()
    return int(found) if found is not None else None
