"""Reads for order tests: the stock picture of a SKU, the ledger's agreement with the levels,
and how many orders an organization has."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database


async def stock_of(
    client: httpx.AsyncClient, headers: dict[str, str], sku: str
) -> dict[str, dict[str, int]]:
    """{location code: {on_hand, reserved, safety_stock, available}} for one SKU."""
    response = await client.get("/v1/inventory", params={"sku": sku}, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    if not items:
        return {}
    return {
        row["location"]: {k: row[k] for k in ("on_hand", "reserved", "safety_stock", "available")}
        for row in items[0]["locations"]
    }


async def ledger_mismatches(db: Database, org_id: int) -> list[Any]:
    """Stock levels whose ledger does not sum to them (should always be empty)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                """
                SELECT sl.sku_id, sl.location_id, sl.on_hand, sl.reserved,
                       coalesce(sum(l.on_hand_delta), 0) AS ledger_on_hand,
                       coalesce(sum(l.reserved_delta), 0) AS ledger_reserved
                  FROM stock_levels sl
                  LEFT JOIN stock_ledger l
                    ON l.org_id = sl.org_id AND l.sku_id = sl.sku_id
                   AND l.location_id = sl.location_id
                 WHERE sl.org_id = :org_id
                 GROUP BY sl.id
                HAVING sl.on_hand <> coalesce(sum(l.on_hand_delta), 0)
                    OR sl.reserved <> coalesce(sum(l.reserved_delta), 0)
                """
            ),
            {"org_id": org_id},
        )
        return list(rows)


async def order_count(db: Database, org_id: int) -> int:
    async with db.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT count(*) FROM orders WHERE org_id = :org_id"), {"org_id": org_id}
        )
        return int(result.scalar_one())
