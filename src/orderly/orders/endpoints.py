"""The order API: read, list, timeline, hold; and customers. Capture, release and cancel are
`order_flows.endpoints`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from orderly.kit.deps import Conn
from orderly.kit.pagination import Cursor, Limit, Page, page_response
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.orders import customers, service
from orderly.orders.customers import CustomerOut
from orderly.orders.domain import OrderStatus
from orderly.orders.queries import OrderFilters
from orderly.orders.schemas import (
    OrderEventOut,
    OrderOut,
    OrderSummary,
    ReasonIn,
)
from orderly.tenancy.deps import OrderWriter, Reader

router = APIRouter(tags=["orders"])
# Mounted after the routes of `order_flows.endpoints`, so the API lists them in this order.
customers_router = APIRouter(tags=["orders"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=responses(404))
async def get_order(order_id: ResourceId, conn: Conn, principal: Reader) -> OrderOut:
    return await service.get_order(conn, principal.org_id, order_id)


@router.get("/orders", response_model=Page[OrderSummary])
async def list_orders(
    conn: Conn,
    principal: Reader,
    status: OrderStatus | None = None,
    channel: Annotated[str | None, Query(max_length=100)] = None,
    location: Annotated[str | None, Query(max_length=100, description="Location code")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    customer_email: Annotated[str | None, Query(max_length=254)] = None,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Newest first. Filters combine with AND."""
    filters = OrderFilters(
        status=status.value if status else None,
        channel=channel,
        location=location,
        created_from=created_from,
        created_to=created_to,
        customer_email=customer_email,
        sku=sku,
        tag=tag,
    )
    items, next_cursor = await service.order_summaries(
        conn, principal.org_id, filters, limit=limit, cursor=cursor
    )
    return page_response(items, next_cursor)


@router.get(
    "/orders/{order_id}/events", response_model=Page[OrderEventOut], responses=responses(404)
)
async def list_order_events(
    order_id: ResourceId, conn: Conn, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> Page[OrderEventOut]:
    """The order's timeline, oldest first."""
    return await service.order_events(conn, principal.org_id, order_id, limit=limit, cursor=cursor)


@router.post("/orders/{order_id}/hold", response_model=OrderOut, responses=WRITE_ERRORS)
async def hold_order(
    order_id: ResourceId, body: ReasonIn, conn: Conn, principal: OrderWriter
) -> OrderOut:
    return await service.hold_order(conn, principal, order_id, body.reason)


@customers_router.get("/customers", response_model=Page[CustomerOut], tags=["customers"])
async def list_customers(
    conn: Conn,
    principal: Reader,
    email: Annotated[str | None, Query(max_length=254)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of e-mail or name")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CustomerOut]:
    return await customers.list_customers(
        conn, principal.org_id, email=email, q=q, limit=limit, cursor=cursor
    )


@customers_router.get(
    "/customers/{customer_id}",
    response_model=CustomerOut,
    tags=["customers"],
    responses=responses(404),
)
async def get_customer(customer_id: ResourceId, conn: Conn, principal: Reader) -> CustomerOut:
    return await customers.get_customer(conn, principal.org_id, customer_id)
