from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import StringConstraints
from starlette.responses import Response

from orderly.inventory import service
from orderly.inventory.schemas import (
    AdjustmentsIn,
    LevelsOut,
    MovementOut,
    SafetyStockIn,
    SkuStockOut,
    TransferIn,
    TransferOut,
    stock_page_items,
)
from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_response
from orderly.kit.problems import responses
from orderly.tenancy.deps import InventoryWriter, Reader

router = APIRouter(tags=["inventory"])

FilterCode = Annotated[str, StringConstraints(max_length=100)]
SkuFilter = Annotated[
    list[FilterCode] | None,
    Query(max_length=200, description="SKU code; repeat for several"),
]
LocationFilter = Annotated[
    list[FilterCode] | None,
    Query(max_length=200, description="Location code; repeat for several"),
]

UNKNOWN = (
    "Invalid input naming the field: `unknown_sku`, `unknown_location`"
    " (also an inactive location), `invalid_stock_change`"
)
INSUFFICIENT = "`insufficient_stock`, naming the `sku` and `location`"


@router.post(
    "/inventory/adjustments",
    response_model=LevelsOut,
    status_code=201,
    summary="Adjust stock: receipts, counts and corrections, all or nothing",
    responses=responses(403, described={409: INSUFFICIENT, 422: UNKNOWN}),
)
async def adjust_stock(
    data: AdjustmentsIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Each adjustment gives `delta` (units in, or out when negative) or `set_on_hand` (a count).

    Reason `received` is recorded in the ledger as a receipt, every other reason as an
    adjustment. A level is created on first use. A change that would take on_hand below the
    units reserved for orders (or below zero) is refused with 409 and nothing of the batch is
    applied. Safety stock is set with `PUT /v1/inventory/safety-stock`, not here.
    """

    async def create() -> Created:
        adjustments = [item.to_domain() for item in data.adjustments]
        levels = await service.adjust_stock(conn, principal.org_id, principal.actor, adjustments)
        return 201, LevelsOut.of(levels).model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(
    "/inventory/transfers",
    response_model=TransferOut,
    status_code=201,
    summary="Move available stock from one location to another",
    responses=responses(403, described={409: INSUFFICIENT, 422: UNKNOWN}),
)
async def transfer_stock(
    data: TransferIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: InventoryWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Only available units move (neither reserved nor safety stock). Stock may leave an
    inactive location but not enter one."""

    async def create() -> Created:
        levels = await service.transfer_stock(
            conn, principal.org_id, principal.actor, data.to_domain()
        )
        out = TransferOut(**data.model_dump(), levels=LevelsOut.of(levels).levels)
        return 201, out.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.put(
    "/inventory/safety-stock",
    response_model=LevelsOut,
    summary="Set safety stock: units each location holds back from promising",
    responses=responses(403, described={422: UNKNOWN}),
)
async def set_safety_stock(
    data: SafetyStockIn, conn: Conn, principal: InventoryWriter
) -> LevelsOut:
    """Safety stock is not a movement of stock, so it writes no ledger row. It lowers what is
    available to promise and what can be transferred away; it may exceed on_hand."""
    settings = [item.to_domain() for item in data.levels]
    return LevelsOut.of(await service.set_safety_stock(conn, principal.org_id, settings))


@router.get(
    "/inventory",
    response_model=Page[SkuStockOut],
    summary="Stock per SKU and location, with network totals",
    responses=responses(described={422: UNKNOWN}),
)
async def list_stock(
    conn: Conn,
    principal: Reader,
    sku: SkuFilter = None,
    location: LocationFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """One item per SKU (paged by SKU), with a row per location that holds a level for it.

    `available` is max(on_hand - reserved - safety_stock, 0). The totals sum the SKU over
    the whole network, counting only active locations (an inactive location still shows its
    row, with `"active": false`). `location` narrows the SKUs and rows shown, not the totals.
    """
    picture = await service.stock_picture(
        conn,
        principal.org_id,
        sku_codes=sku,
        location_codes=location,
        limit=limit,
        cursor=cursor,
    )
    return page_response(stock_page_items(picture), picture.next_cursor)


@router.get(
    "/inventory/ledger",
    response_model=Page[MovementOut],
    summary="Stock movements, newest first",
    responses=responses(described={422: UNKNOWN}),
)
async def list_movements(
    conn: Conn,
    principal: Reader,
    sku: SkuFilter = None,
    location: LocationFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MovementOut]:
    page = await service.movements(
        conn,
        principal.org_id,
        sku_codes=sku,
        location_codes=location,
        limit=limit,
        cursor=cursor,
    )
    return Page[MovementOut](
        items=[MovementOut.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )
