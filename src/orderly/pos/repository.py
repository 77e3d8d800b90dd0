"""What a counter sale reads: the store, the channel, the SKUs scanned (by code or GTIN) with
their list prices, and the stock on the store's shelf."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.pos.domain import CounterSku, Store


async def store(conn: AsyncConnection, org_id: int, code: str) -> Store | None:
    row = (
        await conn.execute(
            sa.text(
                "SELECT id, code, name, kind, active, address, sales_tax FROM locations "
                "WHERE org_id = :org_id AND code = :code"
            ),
            {"org_id": org_id, "code": code},
        )
    ).first()
    return Store(**row._mapping) if row else None


async def channel(conn: AsyncConnection, org_id: int, code: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.text(
                "SELECT id, code, kind, active, settings FROM channels "
                "WHERE org_id = :org_id AND code = :code"
            ),
            {"org_id": org_id, "code": code},
        )
    ).first()
    return dict(row._mapping) if row else None


async def skus_scanned(
    conn: AsyncConnection, org_id: int, scanned: Sequence[str]
) -> dict[str, CounterSku]:
    """The active SKUs with these codes or GTINs, by what was scanned."""
    rows = await conn.execute(
        sa.text(
            "SELECT id, code, name, gtin, list_price_minor, list_price_currency FROM skus "
            "WHERE org_id = :org_id AND active "
            "AND (code = ANY(CAST(:scanned AS text[])) OR gtin = ANY(CAST(:scanned AS text[])))"
        ),
        {"org_id": org_id, "scanned": list(scanned)},
    )
    found: dict[str, CounterSku] = {}
    for row in rows:
        sku = CounterSku(**row._mapping)
        for key in (sku.code, sku.gtin):
            if key is not None and key in scanned:
                found[key] = sku
    return found


async def shelf(
    conn: AsyncConnection, org_id: int, location_id: int, sku_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """(on hand, reserved) of these SKUs at the store."""
    rows = await conn.execute(
        sa.text(
            "SELECT sku_id, on_hand, reserved FROM stock_levels "
            "WHERE org_id = :org_id AND location_id = :location_id "
            "AND sku_id = ANY(CAST(:sku_ids AS bigint[]))"
        ),
        {"org_id": org_id, "location_id": location_id, "sku_ids": list(sku_ids)},
    )
    return {r.sku_id: (r.on_hand, r.reserved) for r in rows}


async def sale_row(conn: AsyncConnection, org_id: int, order_id: int) -> dict[str, Any] | None:
    """The counter sale's order with its store, for its receipt."""
    row = (
        await conn.execute(
            sa.text(
                "SELECT o.id, o.number, o.created_at, l.name AS store_name, "
                "l.code AS store_code, l.address AS store_address, l.sales_tax, "
                "e.data ->> 'change' AS change "
                "FROM orders o "
                "JOIN order_events e ON e.order_id = o.id AND e.type = 'pos.sold' "
                "JOIN locations l ON l.org_id = o.org_id AND l.code = e.data ->> 'location' "
                "WHERE o.org_id = :org_id AND o.id = :order_id"
            ),
            {"org_id": org_id, "order_id": order_id},
        )
    ).first()
    return dict(row._mapping) if row else None
