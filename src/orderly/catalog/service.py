"""Catalog: products and SKUs, and the lookups other features need."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog import repository
from orderly.catalog.domain import CustomsFacts as CustomsFacts
from orderly.catalog.domain import NewSku as NewSku
from orderly.catalog.domain import SkuRef as SkuRef
from orderly.catalog.errors import ProductNotFound, SkuTaken
from orderly.catalog.schemas import ProductIn, ProductOut, ProductPatch
from orderly.kit.pagination import Page, encode_cursor, id_cursor

UPSERT_CHUNK = 1000


async def create_product(conn: AsyncConnection, org_id: int, data: ProductIn) -> ProductOut:
    """Create a SKU, and its product on the first use of the product code."""
    new = data.as_new_sku()
    product_ids = await repository.ensure_products(
        conn, org_id=org_id, names={new.product: new.name}
    )
    sku_id = await repository.insert_sku(
        conn,
        org_id=org_id,
        product_id=product_ids[new.product],
        values={**_sku_values(new), "high_demand": data.high_demand},
    )
    if sku_id is None:
        raise SkuTaken(f"a product with SKU {new.code!r} already exists", field="sku")
    return await get_product(conn, org_id, sku_id)


async def get_product(conn: AsyncConnection, org_id: int, sku_id: int) -> ProductOut:
    row = await repository.find_sku(conn, org_id=org_id, sku_id=sku_id)
    if row is None:
        raise ProductNotFound(f"no product with id {sku_id}")
    return ProductOut.model_validate(row._mapping)


async def list_products(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku: str | None = None,
    product: str | None = None,
    active: bool | None = None,
    text: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[ProductOut]:
    rows = await repository.list_skus(
        conn,
        org_id=org_id,
        sku=sku,
        product=product,
        active=active,
        text=text,
        after_id=id_cursor(cursor),
        limit=limit + 1,
    )
    items = [ProductOut.model_validate(row._mapping) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page[ProductOut](items=items, next_cursor=next_cursor)


async def update_product(
    conn: AsyncConnection, org_id: int, sku_id: int, patch: ProductPatch
) -> ProductOut:
    values = patch.values()
    if patch.product is not None:
        name = patch.name or (await get_product(conn, org_id, sku_id)).name
        product_ids = await repository.ensure_products(
            conn, org_id=org_id, names={patch.product: name}
        )
        values["product_id"] = product_ids[patch.product]
    if not await repository.update_sku(conn, org_id=org_id, sku_id=sku_id, values=values):
        raise ProductNotFound(f"no product with id {sku_id}")
    return await get_product(conn, org_id, sku_id)


async def customs_facts(
    conn: AsyncConnection, org_id: int, sku_ids: Collection[int]
) -> dict[int, CustomsFacts]:
    """What a customs declaration says of each SKU, by id."""
    rows = await repository.find_customs_facts(conn, org_id=org_id, ids=sorted(set(sku_ids)))
    return {row.sku_id: CustomsFacts(**row._asdict()) for row in rows}


async def set_product_active(
    conn: AsyncConnection, org_id: int, sku_id: int, *, active: bool
) -> ProductOut:
    """An inactive SKU keeps its stock and history but cannot be ordered."""
    if not await repository.update_sku(
        conn, org_id=org_id, sku_id=sku_id, values={"active": active}
    ):
        raise ProductNotFound(f"no product with id {sku_id}")
    return await get_product(conn, org_id, sku_id)


async def skus_by_code(
    conn: AsyncConnection, org_id: int, codes: Sequence[str]
) -> dict[str, SkuRef]:
    """The organization's SKUs with these codes, active or not; unknown codes are absent."""
    if not codes:
        return {}
    rows = await repository.find_skus_by_code(conn, org_id=org_id, codes=codes)
    return {
        row.code: SkuRef(
            id=row.id,
            code=row.code,
            name=row.name,
            weight_grams=row.weight_grams,
            active=row.active,
        )
        for row in rows
    }


async def skus_by_id(conn: AsyncConnection, org_id: int, ids: Collection[int]) -> dict[int, SkuRef]:
    """The organization's SKUs with these ids; ids of other organizations are absent."""
    if not ids:
        return {}
    rows = await repository.find_skus_by_id(conn, org_id=org_id, ids=sorted(ids))
    return {
        row.id: SkuRef(
            id=row.id,
            code=row.code,
            name=row.name,
            weight_grams=row.weight_grams,
            active=row.active,
        )
        for row in rows
    }


async def upsert_skus(conn: AsyncConnection, org_id: int, rows: Sequence[NewSku]) -> int:
    """Create these SKUs or overwrite their catalog fields; returns how many distinct SKUs.

    Missing products are created. A SKU listed twice takes its last row. Whether a SKU is
    active is left as it is.
    """
    latest = {row.code: row for row in rows}
    if not latest:
        return 0
    product_names: dict[str, str] = {}
    for row in latest.values():
        product_names.setdefault(row.product, row.name)
    product_ids = await repository.ensure_products(conn, org_id=org_id, names=product_names)
    values = [
        {**_sku_values(row), "product_id": product_ids[row.product]} for row in latest.values()
    ]
    # One statement per chunk keeps well inside PostgreSQL's limit on bind parameters.
    for start in range(0, len(values), UPSERT_CHUNK):
        await repository.upsert_skus(conn, org_id=org_id, rows=values[start : start + UPSERT_CHUNK])
    return len(latest)


def _sku_values(new: NewSku) -> dict[str, Any]:
    values = asdict(new)
    values.pop("product")
    return values
