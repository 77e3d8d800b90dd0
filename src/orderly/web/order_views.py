"""Orders: the filtered list, its CSV export, and one order with everything on it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from orderly.fulfillment import service as fulfillment
from orderly.kit.db import Database
from orderly.kit.errors import InvalidInput
from orderly.kit.pagination import Page
from orderly.kit.query import query_day
from orderly.kit.spreadsheet import safe_row
from orderly.orders import service as orders
from orderly.orders.domain import TRANSITIONS, OrderStatus, can_transition
from orderly.orders.queries import OrderFilters
from orderly.orders.schemas import OrderSummary
from orderly.payments import service as payments
from orderly.shipping import service as shipping
from orderly.tenancy.users import User
from orderly.web.deps import Conn, SignedIn, database
from orderly.web.lookups import org_channels, org_locations
from orderly.web.rendering import render
from orderly.web.scope import location_codes, location_ids, visible_order, within

router = APIRouter()

PAGE_SIZE = 50
CSV_BATCH = 500
FILTER_NAMES = ("status", "channel", "location", "from", "to", "tag", "q")
CSV_COLUMNS = (
    "number", "created_at", "channel", "external_id", "status", "hold_reasons",
    "customer_email", "currency", "total",
)  # fmt: skip


def order_filters(params: dict[str, str], user: User) -> OrderFilters:
    status = params.get("status") or None
    if status is not None and status not in OrderStatus.__members__.values():
        raise InvalidInput(f"there is no order status {status!r}", field="status")
    start, end = query_day(params.get("from", ""), "from"), query_day(params.get("to", ""), "to")
    return OrderFilters(
        status=status,
        channel=params.get("channel") or None,
        location=params.get("location") or None,
        created_from=datetime.combine(start, time(), UTC) if start else None,
        created_to=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        tag=params.get("tag") or None,
        search=params.get("q") or None,
        location_ids=location_ids(user),
    )


@router.get("/orders")
async def order_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    params = {k: request.query_params.get(k, "").strip() for k in FILTER_NAMES}
    filters = order_filters(params, user)
    cursor = request.query_params.get("cursor") or None
    page = await orders.list_orders(conn, user.org_id, filters, limit=PAGE_SIZE, cursor=cursor)
    locations = [loc for loc in await org_locations(conn, user) if user.may_work_at(loc.id)]
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "cursor"])
    return render(
        request,
        "orders.html",
        user,
        title="Orders",
        page=page,
        params=params,
        statuses=[s.value for s in OrderStatus],
        channels=[c.code for c in await org_channels(conn, user)],
        locations=[loc.code for loc in locations],
        query=query,
    )


@router.get("/orders.csv")
async def order_export(request: Request, conn: Conn, user: SignedIn) -> Response:
    """Every order matching the filters, streamed in batches (each its own short read)."""
    params = {k: request.query_params.get(k, "").strip() for k in FILTER_NAMES}
    filters = order_filters(params, user)
    db = database(request)
    # The first batch is read before the response starts, so that a filter the database
    # refuses is answered with an error page instead of a cut-off download.
    first = await _export_batch(db, user, filters, cursor=None)

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        page = first
        while True:
            writer.writerows(safe_row(_csv_cells(o)) for o in page.items)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if page.next_cursor is None:
                return
            page = await _export_batch(db, user, filters, cursor=page.next_cursor)

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


async def _export_batch(
    db: Database, user: User, filters: OrderFilters, *, cursor: str | None
) -> Page[OrderSummary]:
    """One batch of the export, each its own short read."""
    async with db.transaction() as transaction:
        read = transaction.connection
        return await orders.list_orders(read, user.org_id, filters, limit=CSV_BATCH, cursor=cursor)


def _csv_cells(o: OrderSummary) -> list[object]:
    return [
        o.number,
        o.created_at.isoformat(),
        o.channel,
        o.external_id or "",
        o.status,
        " ".join(o.hold_reasons),
        o.customer_email or "",
        o.currency,
        o.total,
    ]


def _explanations(events: list[Any]) -> list[dict[str, Any]]:
    """The sourcing decisions on the timeline: where units went and why."""
    return [
        {"at": e.created_at, "type": e.type, **e.data}
        for e in events
        if e.type in ("sourcing.decided", "sourcing.rerouted")
    ]


@router.get("/orders/{order_id}")
async def order_detail(request: Request, order_id: int, conn: Conn, user: SignedIn) -> Response:
    order = await visible_order(conn, user, order_id)
    events = (await orders.order_events(conn, user.org_id, order_id, limit=500, cursor=None)).items
    page = await fulfillment.list_fulfillment_orders(
        conn,
        user.org_id,
        location_id=None,
        status=None,
        order_id=order_id,
        limit=100,
        cursor=None,
    )
    # A limited user works only the fulfillment orders, and their parcels, of their locations.
    codes = await location_codes(conn, user)
    fulfillment_orders = [fo for fo in page.items if within(codes, fo.location)]
    mine = {fo.id for fo in fulfillment_orders}
    shipments = [
        s
        for s in await shipping.shipments_for_order(conn, user.org_id, order_id)
        if codes is None or s.fulfillment_order_id in mine
    ]
    status = OrderStatus(order.status)
    units_shipped = any(a.status == "shipped" for x in order.lines for a in x.allocations)
    return render(
        request,
        "order.html",
        user,
        title=f"Order {order.number}",
        order=order,
        events=list(reversed(events)),
        explanations=_explanations(events),
        fulfillment_orders=fulfillment_orders,
        shipments=shipments,
        store_credit=await payments.store_credit_of_order_customer(conn, user.org_id, order_id),
        can_hold=OrderStatus.ON_HOLD in TRANSITIONS[status] or status is OrderStatus.ON_HOLD,
        can_release=status is OrderStatus.ON_HOLD,
        can_cancel=can_transition(status, OrderStatus.CANCELLED, units_shipped=units_shipped),
        can_cancel_unshipped=units_shipped
        and status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.ON_HOLD),
        can_edit_address=status in orders.ADDRESS_EDITABLE and order.delivery_method == "ship",
        address=order.shipping_address or {},
    )
