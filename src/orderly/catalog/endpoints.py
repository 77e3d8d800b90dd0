from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from orderly.catalog import service
from orderly.catalog.schemas import ProductIn, ProductOut, ProductPatch
from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.tenancy.deps import CatalogWriter, Reader

router = APIRouter(tags=["catalog"])

ProductId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Filter = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


@router.post(
    "/products",
    response_model=ProductOut,
    status_code=201,
    summary="Create a product (one SKU, and its product on first use of the product code)",
    responses=responses(403, 422, described={409: "The SKU is taken (`sku_taken`)"}),
)
async def create_product(
    data: ProductIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: CatalogWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> Created:
        product = await service.create_product(conn, principal.org_id, data)
        return 201, product.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/products", response_model=Page[ProductOut], summary="List products")
async def list_products(
    conn: Conn,
    principal: Reader,
    sku: Filter = None,
    product: Filter = None,
    active: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200, pattern=r"^[^\x00]*$", description="Part of the name or SKU, any case"
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ProductOut]:
    return await service.list_products(
        conn,
        principal.org_id,
        sku=sku,
        product=product,
        active=active,
        text=q,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/products/{product_id}",
    response_model=ProductOut,
    summary="Get a product",
    responses=responses(404),
)
async def get_product(product_id: ProductId, conn: Conn, principal: Reader) -> ProductOut:
    return await service.get_product(conn, principal.org_id, product_id)


@router.patch(
    "/products/{product_id}",
    response_model=ProductOut,
    summary="Change a product (its SKU cannot change)",
    responses=responses(403, 404, 422),
)
async def update_product(
    product_id: ProductId, patch: ProductPatch, conn: Conn, principal: CatalogWriter
) -> ProductOut:
    return await service.update_product(conn, principal.org_id, product_id, patch)


@router.post(
    "/products/{product_id}/deactivate",
    response_model=ProductOut,
    summary="Deactivate a product: it keeps its stock and history but cannot be ordered",
    responses=responses(403, 404),
)
async def deactivate_product(
    product_id: ProductId, conn: Conn, principal: CatalogWriter
) -> ProductOut:
    return await service.set_product_active(conn, principal.org_id, product_id, active=False)


@router.post(
    "/products/{product_id}/activate",
    response_model=ProductOut,
    summary="Activate a product again",
    responses=responses(403, 404),
)
async def activate_product(
    product_id: ProductId, conn: Conn, principal: CatalogWriter
) -> ProductOut:
    return await service.set_product_active(conn, principal.org_id, product_id, active=True)
