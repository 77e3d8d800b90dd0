"""The returns API: open, authorise, receive, refund, exchange, and the lifecycle moves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Db, Tx
from orderly.kit.idempotency import IdempotencyKey, KeyAcrossTransactions, run_idempotent
from orderly.kit.pagination import Cursor, Limit, Page
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.returns import labels, receiving, service, settlement
from orderly.returns.domain import ReturnStatus
from orderly.returns.schemas import (
    ExchangeIn,
    ExchangeOut,
    ReasonIn,
    ReceiveIn,
    RefundIn,
    ReturnIn,
    ReturnOut,
    ReturnRefundOut,
)
from orderly.tenancy.deps import OrderWriter, OrderWriterOutsideTransaction, Reader

router = APIRouter(tags=["returns"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)
ONE = "/returns/{return_id}"


@router.post("/returns", response_model=ReturnOut, status_code=201, responses=WRITE_ERRORS)
async def open_return(
    body: ReturnIn,
    request: Request,
    database: Db,
    principal: OrderWriterOutsideTransaction,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Open a return (RMA) for shipped units of an order, within the channel's return policy.
    Authorised at once unless `authorize` is false; a ship-back return gets its label, bought
    with no transaction open while the carrier answers. If the label cannot be bought, the
    return is opened `requested` with the reason in `label_problem`."""
    idempotency = await KeyAcrossTransactions.of(
        request, org_id=principal.org_id, key=idempotency_key
    )
    opened = await labels.open_return(database, principal, body, idempotency=idempotency)
    return Response(opened.model_dump_json(), status_code=201, media_type="application/json")


@router.get("/returns", response_model=Page[ReturnOut])
async def list_returns(
    conn: Conn,
    principal: Reader,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    status: ReturnStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReturnOut]:
    """Newest first."""
    return await service.list_returns(
        conn, principal.org_id, order_id=order_id, status=status, limit=limit, cursor=cursor
    )


@router.get(ONE, response_model=ReturnOut, responses=responses(404))
async def get_return(return_id: ResourceId, conn: Conn, principal: Reader) -> ReturnOut:
    return await service.get_return(conn, principal.org_id, return_id)


@router.post(ONE + "/authorize", response_model=ReturnOut, responses=WRITE_ERRORS)
async def authorize_return(
    return_id: ResourceId, database: Db, principal: OrderWriterOutsideTransaction
) -> ReturnOut:
    """A ship-back return's label is bought with no transaction open while the carrier
    answers; if it cannot be, the error is answered and the return stays `requested`."""
    return await labels.authorize_return(database, principal, return_id)


@router.post(ONE + "/reject", response_model=ReturnOut, responses=WRITE_ERRORS)
async def reject_return(
    return_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReasonIn | None = None
) -> ReturnOut:
    return await service.reject_return(conn, principal, return_id, body.reason if body else None)


@router.post(ONE + "/cancel", response_model=ReturnOut, responses=WRITE_ERRORS)
async def cancel_return(
    return_id: ResourceId,
    database: Db,
    principal: OrderWriterOutsideTransaction,
    body: ReasonIn | None = None,
) -> ReturnOut:
    """An unused label is voided once the cancellation is committed; one the carrier cannot
    void is named in `label_problem`."""
    return await labels.cancel_return(database, principal, return_id, body.reason if body else None)


@router.post(ONE + "/in-transit", response_model=ReturnOut, responses=WRITE_ERRORS)
async def mark_in_transit(return_id: ResourceId, conn: Conn, principal: OrderWriter) -> ReturnOut:
    return await service.mark_in_transit(conn, principal, return_id)


@router.post(ONE + "/close", response_model=ReturnOut, responses=WRITE_ERRORS)
async def close_return(
    return_id: ResourceId, conn: Conn, principal: OrderWriter, body: ReasonIn | None = None
) -> ReturnOut:
    return await service.close_return(conn, principal, return_id, body.reason if body else None)


@router.post(ONE + "/receive", response_model=ReturnOut, responses=WRITE_ERRORS)
async def receive_return(
    return_id: ResourceId, body: ReceiveIn, conn: Conn, principal: OrderWriter
) -> ReturnOut:
    """Record units that arrived, each with its inspection outcome: `restock` (sellable at the
    location), `damaged` (quarantined, not sellable) or `dispose`."""
    return await receiving.receive_return(conn, principal, return_id, body)


@router.post(
    ONE + "/refund", response_model=ReturnRefundOut, status_code=201, responses=WRITE_ERRORS
)
async def refund_return(
    return_id: ResourceId,
    body: RefundIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: OrderWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Refund the received units (all that is owed, or `amount`) to the original payment or
    to store credit. The same refund key returns the first refund (200)."""

    async def create() -> tuple[int, bytes]:
        done = await settlement.refund_return(
            conn, principal, return_id, body, header_key=idempotency_key
        )
        out = ReturnRefundOut(refund=done.refund, return_=done.return_)
        return (201 if done.created else 200), out.model_dump_json(by_alias=True).encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(ONE + "/exchange", response_model=ExchangeOut, status_code=201, responses=WRITE_ERRORS)
async def exchange_return(
    return_id: ResourceId,
    body: ExchangeIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: OrderWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A replacement order for the return; the price difference is left to pay on the new
    order, or refunded."""

    async def create() -> tuple[int, bytes]:
        done = await settlement.exchange_return(tx, principal, return_id, body)
        return 201, done.model_dump_json(by_alias=True).encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )
