from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog.models import products, skus
from orderly.kit.db import fetch_all, int_array, text_array

_CODES = sa.bindparam("codes", type_=pg.ARRAY(sa.Text))

# A SKU as the API shows it: with the code of its product.
_SKU_VIEW: sa.Select[Any] = sa.select(
    skus.c.id,
    skus.c.code.label("sku"),
    products.c.code.label("product"),
    skus.c.name,
    skus.c.gtin,
    skus.c.weight_grams,
    skus.c.length_mm,
    skus.c.width_mm,
    skus.c.height_mm,
    skus.c.hazmat,
    skus.c.hs_code,
    skus.c.country_of_origin,
    skus.c.high_demand,
    skus.c.active,
    skus.c.list_price_minor,
    skus.c.list_price_currency,
    skus.c.created_at,
    skus.c.updated_at,
).join_from(skus, products, products.c.id == skus.c.product_id)

_WRITABLE = (
    "name",
    "gtin",
    "weight_grams",
    "length_mm",
    "width_mm",
    "height_mm",
    "hazmat",
    "hs_code",
    "country_of_origin",
    "list_price_minor",
    "list_price_currency",
)


async def ensure_products(
    conn: AsyncConnection, *, org_id: int, names: Mapping[str, str]
) -> dict[str, int]:
    """Ids of the products with these codes, creating the missing ones with the given names."""
    insert = (
        pg.insert(products)
        .values([{"org_id": org_id, "code": code, "name": name} for code, name in names.items()])
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
    )
    await conn.execute(insert)
    select = sa.select(products.c.id, products.c.code).where(
        products.c.org_id == org_id, products.c.code == sa.any_(_CODES)
    )
    return {row.code: row.id for row in await conn.execute(select, {"codes": list(names)})}


async def insert_sku(
    conn: AsyncConnection, *, org_id: int, product_id: int, values: Mapping[str, Any]
) -> int | None:
    """Insert a SKU; None when its code is already taken in the organization."""
    stmt = (
        pg.insert(skus)
        .values(org_id=org_id, product_id=product_id, **values)
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
        .returning(skus.c.id)
    )
    sku_id: int | None = (await conn.execute(stmt)).scalar_one_or_none()
    return sku_id


async def upsert_skus(
    conn: AsyncConnection, *, org_id: int, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert SKUs, overwriting the catalog fields of those whose code exists (not `active`)."""
    stmt = pg.insert(skus).values([{"org_id": org_id, **row} for row in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "code"],
        set_={
            **{name: stmt.excluded[name] for name in (*_WRITABLE, "product_id")},
            "updated_at": sa.func.now(),
        },
    )
    await conn.execute(stmt)


async def find_sku(conn: AsyncConnection, *, org_id: int, sku_id: int) -> sa.Row[Any] | None:
    stmt = _SKU_VIEW.where(skus.c.org_id == org_id, skus.c.id == sku_id)
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row


# The lookups other features make on every request (stock lists, adjustments, imports) run on
# the driver connection: SQLAlchemy's building and row mapping cost twice the query itself.
_SKU_REFS = """
    SELECT id, code, name, weight_grams, active FROM skus
     WHERE org_id = %(org_id)s AND {key}
"""


async def find_skus_by_code(
    conn: AsyncConnection, *, org_id: int, codes: Sequence[str]
) -> list[Any]:
    return await fetch_all(
        conn,
        _SKU_REFS.format(key="code = ANY(CAST(%(codes)s AS text[]))"),
        {"org_id": org_id, "codes": text_array(codes)},
    )


async def find_skus_by_id(conn: AsyncConnection, *, org_id: int, ids: Sequence[int]) -> list[Any]:
    return await fetch_all(
        conn,
        _SKU_REFS.format(key="id = ANY(CAST(%(ids)s AS bigint[]))"),
        {"org_id": org_id, "ids": int_array(ids)},
    )


async def list_skus(
    conn: AsyncConnection,
    *,
    org_id: int,
    sku: str | None,
    product: str | None,
    active: bool | None,
    text: str | None,
    after_id: int | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    stmt = _SKU_VIEW.where(skus.c.org_id == org_id)
    if sku is not None:
        stmt = stmt.where(skus.c.code == sku)
    if product is not None:
        stmt = stmt.where(products.c.code == product)
    if active is not None:
        stmt = stmt.where(skus.c.active == active)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            sa.or_(skus.c.name.ilike(pattern, escape="\\"), skus.c.code.ilike(pattern, escape="\\"))
        )
    if after_id is not None:
        stmt = stmt.where(skus.c.id > after_id)
    stmt = stmt.order_by(skus.c.id).limit(limit)
    rows: Sequence[sa.Row[Any]] = (await conn.execute(stmt)).all()
    return rows


async def update_sku(
    conn: AsyncConnection, *, org_id: int, sku_id: int, values: Mapping[str, Any]
) -> bool:
    """Change a SKU; False when the organization has no SKU with this id."""
    stmt = (
        sa.update(skus)
        .where(skus.c.org_id == org_id, skus.c.id == sku_id)
        .values(**values, updated_at=sa.func.now())
        .returning(skus.c.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def find_customs_facts(
    conn: AsyncConnection, *, org_id: int, ids: Sequence[int]
) -> list[Any]:
    return await fetch_all(
        conn,
        """SELECT id AS sku_id, code, name, weight_grams, hs_code, country_of_origin FROM skus
            WHERE org_id = %(org_id)s AND id = ANY(CAST(%(ids)s AS bigint[]))""",
        {"org_id": org_id, "ids": int_array(ids)},
    )
