"""Refunds of an order (with or without a return) and customers' store credit."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.errors import InvalidInput
from orderly.kit.idempotency import IdempotencyKey, run_idempotent
from orderly.kit.money import MoneyError, to_minor
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.orders import customers
from orderly.orders import service as orders
from orderly.payments import service
from orderly.payments.schemas import OrderRefundIn, RefundOut, StoreCreditOut
from orderly.tenancy.deps import OrderWriter, Reader

router = APIRouter(tags=["refunds"])

WRITE_ERRORS = responses(401, 403, 404, 422, described={409: "Declined or conflicting"})


@router.get("/orders/{order_id}/refunds", response_model=list[RefundOut])
async def list_refunds(order_id: ResourceId, conn: Conn, principal: Reader) -> list[RefundOut]:
    await orders.get_order(conn, principal.org_id, order_id)
    return await service.list_refunds(conn, principal.org_id, order_id)


@router.post(
    "/orders/{order_id}/refunds",
    response_model=RefundOut,
    status_code=201,
    responses=WRITE_ERRORS,
)
async def refund_order(
    order_id: ResourceId,
    body: OrderRefundIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: OrderWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Refund part of an order without a return. The refund's own key (body, else the
    Idempotency-Key header) makes a retry return the first refund."""

    async def create() -> tuple[int, bytes]:
        order = await orders.get_order(conn, principal.org_id, order_id)
        try:
            amount = to_minor(body.amount, order.currency)
        except MoneyError as exc:
            raise InvalidInput(str(exc), code="invalid_amount", field="amount") from None
        issued = await service.refund_order(
            conn,
            principal,
            order_id=order_id,
            amount_minor=amount,
            destination=body.destination,
            idempotency_key=body.idempotency_key or idempotency_key or str(uuid.uuid4()),
            reason=body.reason,
        )
        return (201 if issued.created else 200), issued.refund.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get(
    "/customers/{customer_id}/store-credit",
    response_model=list[StoreCreditOut],
    tags=["customers"],
)
async def store_credit(
    customer_id: ResourceId, conn: Conn, principal: Reader
) -> list[StoreCreditOut]:
    """The customer's store credit per currency, with every entry that makes the balance."""
    await customers.get_customer(conn, principal.org_id, customer_id)
    return await service.store_credit(conn, principal.org_id, customer_id)
