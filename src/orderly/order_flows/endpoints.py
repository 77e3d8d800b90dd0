"""The order API's capture, release and cancels: the flows that fulfillment, payments and
inventory follow."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from orderly.fulfillment import outside_port
from orderly.kit.deps import Conn, Tx
from orderly.kit.errors import InvalidInput
from orderly.kit.idempotency import IdempotencyKey, run_idempotent
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.order_flows import cancellation, release
from orderly.order_flows.capture import capture_order
from orderly.order_flows.capture_route import CaptureRoute
from orderly.orders.schemas import OrderIn, OrderOut, ReasonIn, ReleaseIn
from orderly.tenancy.deps import OrderWriter

router = APIRouter(tags=["orders"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)
PROVIDER_ASKED = (
    "Units are in a provider's hands (a 3PL, a supplier): it was asked to cancel them, and the"
    " order is cancelled when it agrees (`order.cancellation_requested` on the timeline)"
)


async def create_order(
    request: Request,
    payload: OrderIn,
    tx: Tx,
    principal: OrderWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Verify (availability, payment, shipping, fraud), source and reserve stock, and store
    the order. It ends `allocated`, `on_hold` (see `hold_reasons`) or `backordered`, or is
    refused with 409 `insufficient_stock` when its channel does not allow backorders."""

    max_lines: int = request.app.state.settings.max_order_lines
    if len(payload.lines) > max_lines:
        raise InvalidInput(f"an order may have at most {max_lines} lines", field="lines")

    async def create() -> tuple[int, bytes]:
        captured = await capture_order(tx, principal, payload)
        return (201 if captured.created else 200), captured.order.model_dump_json().encode()

    # Capture's first round trip reads and locks, and nothing leaves the database before it:
    # the key's claim rides on it.
    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create, claim_rides=True
    )


# Parameters resolved by CaptureRoute for plain requests (order_flows/capture_route.py).
router.add_api_route(
    "/orders",
    create_order,
    methods=["POST"],
    route_class_override=CaptureRoute,
    status_code=201,
    response_model=OrderOut,
    summary="Capture an order",
    responses={
        200: {"description": "The channel's order was captured before", "model": OrderOut},
        **responses(
            401,
            403,
            404,
            422,
            described={
                409: "insufficient_stock, store_credit_insufficient, or the"
                " Idempotency-Key is in use"
            },
        ),
    },
)


@router.post("/orders/{order_id}/release", response_model=OrderOut, responses=WRITE_ERRORS)
async def release_order(
    order_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReleaseIn | None = None
) -> OrderOut:
    """Lift a hold (one reason, or all). With no hold left, open units are sourced again."""
    body = body or ReleaseIn()
    return await release.release_order(
        conn, principal, order_id, hold=body.hold, reason=body.reason
    )


CANCEL_RESPONSES = {
    202: {"description": PROVIDER_ASKED, "model": OrderOut},
    **WRITE_ERRORS,
}


@router.post("/orders/{order_id}/cancel", response_model=OrderOut, responses=CANCEL_RESPONSES)
async def cancel_order(
    order_id: ResourceId, body: ReasonIn, conn: Conn, principal: OrderWriter, response: Response
) -> OrderOut:
    """Cancel with a reason; every reservation is released. Once units have shipped this is
    409 `illegal_transition`: cancel what has not shipped with `/cancel-unshipped`. 202 when
    units are in a provider's hands (a 3PL, a supplier): it is asked first."""
    out = await cancellation.cancel_order(conn, principal, order_id, body.reason)
    return await _asked_provider(conn, principal.org_id, out, response)


@router.post(
    "/orders/{order_id}/cancel-unshipped", response_model=OrderOut, responses=CANCEL_RESPONSES
)
async def cancel_unshipped(
    order_id: ResourceId, body: ReasonIn, conn: Conn, principal: OrderWriter, response: Response
) -> OrderOut:
    """Cancel every unit not shipped yet (reserved or backordered): they are released and no
    longer owed, and the order is shipped with what left. An order nothing of which has shipped
    is cancelled as a whole; one with nothing left to ship is 409 `nothing_to_cancel`. 202 when
    units are in a provider's hands: it is asked first."""
    out = await cancellation.cancel_unshipped(conn, principal, order_id, body.reason)
    return await _asked_provider(conn, principal.org_id, out, response)


async def _asked_provider(
    conn: AsyncConnection, org_id: int, out: OrderOut, response: Response
) -> OrderOut:
    if await outside_port.withdrawal_pending(conn, org_id, out.id):
        response.status_code = 202
    return out
