"""Orders: the filtered list, its CSV export, and one order with everything on it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from orderly.fulfillment import service as fulfillment
from orderly.kit.errors import InvalidInput
from orderly.orders import service as orders
from orderly.orders.domain import TRANSITIONS, OrderStatus, can_transition
from orderly.orders.errors import OrderNotFound
from orderly.orders.queries import OrderFilters
from orderly.orders.schemas import OrderOut
from orderly.payments import service as payments
from orderly.shipping import service as shipping
from orderly.tenancy.users import User
from orderly.web.deps import Conn, SignedIn, database
from orderly.web.lookups import org_channels, org_locations
from orderly.web.rendering import render

router = APIRouter()

PAGE_SIZE = 50
CSV_BATCH = 500
FILTER_NAMES = ("status", "channel", "location", "from", "to", "tag", "q")
CSV_COLUMNS = (
    "number", "created_at", "channel", "external_id", "status", "hold_reasons",
    "customer_email", "currency", "total",
)  # fmt: skip


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter a date as YYYY-MM-DD", field=name) from None


def order_filters(params: dict[str, str], user: User) -> OrderFilters:
    status = params.get("status") or None
    if status is not None and status not in OrderStatus.__members__.values():
        raise InvalidInput(f"there is no order status {status!r}", field="status")
    start, end = _day(params.get("from", ""), "from"), _day(params.get("to", ""), "to")
    return OrderFilters(
        status=status,
        channel=params.get("channel") or None,
        location=params.get("location") or None,
        created_from=datetime.combine(start, time(), UTC) if start else None,
        created_to=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        tag=params.get("tag") or None,
        search=params.get("q") or None,
        location_ids=user.location_ids or None,
    )


@router.get("/orders")
async def order_list(request: Request, conn: Conn, user: SignedIn) -> Response:
    params = {k: request.query_params.get(k, "").strip() for k in FILTER_NAMES}
    filters = order_filters(params, user)
    cursor = request.query_params.get("cursor") or None
    page = await orders.list_orders(conn, user.org_id, filters, limit=PAGE_SIZE, cursor=cursor)
    locations = [loc for loc in await org_locations(conn, user) if user.may_work_at(loc.id)]
    query = "&".join(f"{k}={v}" for k, v in request.query_params.multi_items() if k != "cursor")
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

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        cursor: str | None = None
        while True:
            async with db.transaction() as read:
                page = await orders.list_orders(
                    read, user.org_id, filters, limit=CSV_BATCH, cursor=cursor
                )
            for o in page.items:
                writer.writerow(
                    [
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
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            cursor = page.next_cursor
            if cursor is None:
                return

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


async def visible_order(conn: Conn, user: User, order_id: int) -> OrderOut:
    """The order, when the user may see it: a location-limited user sees only orders with
    units allocated at their locations (others are 404, as for another organization)."""
    order = await orders.get_order(conn, user.org_id, order_id)
    if user.limited:
        mine = {loc.code for loc in await org_locations(conn, user) if user.may_work_at(loc.id)}
        allocated = {a.location for line in order.lines for a in line.allocations}
        if not allocated & mine:
            raise OrderNotFound(f"no order {order_id}")
    return order


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
    fulfillment_orders = await fulfillment.list_fulfillment_orders(
        conn,
        user.org_id,
        location_id=None,
        status=None,
        order_id=order_id,
        limit=100,
        cursor=None,
    )
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
        fulfillment_orders=fulfillment_orders.items,
        shipments=await shipping.shipments_for_order(conn, user.org_id, order_id),
        store_credit=await payments.store_credit_of_order_customer(conn, user.org_id, order_id),
        can_hold=OrderStatus.ON_HOLD in TRANSITIONS[status] or status is OrderStatus.ON_HOLD,
        can_release=status is OrderStatus.ON_HOLD,
        can_cancel=can_transition(status, OrderStatus.CANCELLED, units_shipped=units_shipped),
        can_cancel_unshipped=units_shipped
        and status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.ON_HOLD),
        can_edit_address=status in orders.ADDRESS_EDITABLE and order.delivery_method == "ship",
        address=order.shipping_address or {},
    )
