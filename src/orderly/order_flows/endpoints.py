"""The order API's release and cancels, which fulfillment and payments follow."""

from __future__ import annotations

from fastapi import APIRouter

from orderly.kit.deps import Conn
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.order_flows import cancellation, release
from orderly.orders.schemas import OrderOut, ReasonIn, ReleaseIn
from orderly.tenancy.deps import OrderWriter

router = APIRouter(tags=["orders"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)


@router.post("/orders/{order_id}/release", response_model=OrderOut, responses=WRITE_ERRORS)
async def release_order(
    order_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReleaseIn | None = None
) -> OrderOut:
    """Lift a hold (one reason, or all). With no hold left, open units are sourced again."""
    body = body or ReleaseIn()
    return await release.release_order(
        conn, principal, order_id, hold=body.hold, reason=body.reason
    )


@router.post("/orders/{order_id}/cancel", response_model=OrderOut, responses=WRITE_ERRORS)
async def cancel_order(
    order_id: ResourceId, body: ReasonIn, conn: Conn, principal: OrderWriter
) -> OrderOut:
    """Cancel with a reason; every reservation is released. Once units have shipped this is
    409 `illegal_transition`: cancel what has not shipped with `/cancel-unshipped`."""
    return await cancellation.cancel_order(conn, principal, order_id, body.reason)


@router.post("/orders/{order_id}/cancel-unshipped", response_model=OrderOut, responses=WRITE_ERRORS)
async def cancel_unshipped(
    order_id: ResourceId, body: ReasonIn, conn: Conn, principal: OrderWriter
) -> OrderOut:
    """Cancel every unit not shipped yet (reserved or backordered): they are released and no
    longer owed, and the order is shipped with what left. An order nothing of which has shipped
    is cancelled as a whole; one with nothing left to ship is 409 `nothing_to_cancel`."""
    return await cancellation.cancel_unshipped(conn, principal, order_id, body.reason)
