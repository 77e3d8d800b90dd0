"""The point of sale's API: sales at the counter and their receipts, and returns there."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import IdempotencyKey, run_idempotent
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.orders import service as orders
from orderly.pos import counter_returns, repository, sales
from orderly.pos.errors import SaleNotFound
from orderly.pos.receipt import receipt_pdf
from orderly.pos.schemas import CounterReturnIn, CounterReturnOut, SaleIn, SaleOut
from orderly.tenancy.deps import InventoryWriter, Reader

router = APIRouter(tags=["point of sale"])

PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A PDF document"},
    **responses(404),
}


@router.post(
    "/pos/sales",
    response_model=SaleOut,
    status_code=201,
    responses=responses(401, 403, 409, 422),
    summary="A sale at a store's counter, paid and handed over at once",
)
async def sell(
    request: Request,
    payload: SaleIn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Priced from the SKUs' list prices (or the lines' `unit_price`) plus the store's sales
    tax; the tenders must add up to the total. The units leave the store's on-hand at once.
    Units reserved there for other orders that nobody picked may be sold: those orders are
    sourced again (`taken_from`)."""

    async def create() -> tuple[int, bytes]:
        sale = await sales.sell(tx, principal, payload)
        return 201, sale.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(
    "/pos/returns",
    response_model=CounterReturnOut,
    status_code=201,
    responses=responses(401, 403, 404, 409, 422),
    summary="A return at a store's counter: received, restocked and refunded at once",
)
async def take_back(
    request: Request,
    payload: CounterReturnIn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The order is named by its number (the receipt's barcode) or id. The units are restocked
    at the store (or kept out of stock when `damaged`), and what they are worth goes back to
    the order's payments, the last one first; all of it, or nothing."""

    async def create() -> tuple[int, bytes]:
        done = await counter_returns.take_back(
            tx.connection, principal, payload, key=idempotency_key
        )
        return 201, done.model_dump_json(by_alias=True).encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/pos/sales/{sale_id}/receipt.pdf", response_class=Response, responses=PDF)
async def receipt(sale_id: ResourceId, conn: Conn, principal: Reader) -> Response:
    """A counter sale's receipt (its id is its order's) on an 80 mm roll."""
    sale = await repository.sale_row(conn, principal.org_id, sale_id)
    if sale is None:
        raise SaleNotFound(f"no counter sale {sale_id}")
    order = await orders.get_order(conn, principal.org_id, sale_id)
    pdf = receipt_pdf(sale, order, sale["change"] or "0")
    return Response(pdf, media_type="application/pdf")
