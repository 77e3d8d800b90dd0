"""Queries of stock counts: our on-hand at a provider's location and the differences a person
decides. They read the SKU, location and stock level tables read-only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.outside.domain import DifferenceStatus
from orderly.outside.models import stock_differences

Row = sa.Row[Any]


async def skus_by_code(conn: AsyncConnection, org_id: int, codes: Iterable[str]) -> dict[str, int]:
    rows = await conn.execute(
        sa.text("SELECT code, id FROM skus WHERE org_id = :org_id AND code = ANY(:codes)"),
        {"org_id": org_id, "codes": list(codes)},
    )
    return {r.code: r.id for r in rows}


async def on_hand_at(conn: AsyncConnection, org_id: int, location_id: int) -> dict[str, int]:
    """Our on-hand units per SKU code at the location."""
    rows = await conn.execute(
        sa.text(
            """
            SELECT s.code, l.on_hand FROM stock_levels l JOIN skus s ON s.id = l.sku_id
             WHERE l.org_id = :org_id AND l.location_id = :location_id
            """
        ),
        {"org_id": org_id, "location_id": location_id},
    )
    return {r.code: int(r.on_hand) for r in rows}


async def supersede_pending(
    conn: AsyncConnection, provider_id: int, sku_ids: Sequence[int]
) -> None:
    await conn.execute(
        sa.update(stock_differences)
        .where(
            stock_differences.c.provider_id == provider_id,
            stock_differences.c.sku_id.in_(list(sku_ids)),
            stock_differences.c.status == DifferenceStatus.PENDING.value,
        )
        .values(status=DifferenceStatus.SUPERSEDED.value, decided_at=sa.func.now())
    )


async def insert_differences(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(stock_differences), list(rows))


_DIFFERENCES = sa.text(
    """
    SELECT d.*, s.code AS sku, loc.code AS location, l.on_hand AS on_hand_now
      FROM stock_differences d
      JOIN skus s ON s.id = d.sku_id
      JOIN locations loc ON loc.id = d.location_id
      LEFT JOIN stock_levels l
        ON l.org_id = d.org_id AND l.sku_id = d.sku_id AND l.location_id = d.location_id
     WHERE d.provider_id = :provider_id
       AND (CAST(:status AS text) IS NULL OR d.status = :status)
       AND (CAST(:difference_id AS bigint) IS NULL OR d.id = :difference_id)
     ORDER BY d.id DESC
     LIMIT :limit
    """
)


async def differences_of(
    conn: AsyncConnection,
    provider_id: int,
    *,
    status: str | None = None,
    difference_id: int | None = None,
    limit: int = 200,
) -> list[Row]:
    rows = await conn.execute(
        _DIFFERENCES,
        {
            "provider_id": provider_id,
            "status": status,
            "difference_id": difference_id,
            "limit": limit,
        },
    )
    return list(rows)


async def lock_difference(
    conn: AsyncConnection, provider_id: int, difference_id: int
) -> Row | None:
    query = (
        sa.select(stock_differences)
        .where(
            stock_differences.c.provider_id == provider_id,
            stock_differences.c.id == difference_id,
        )
        .with_for_update()
    )
    return (await conn.execute(query)).first()


async def decide_difference(
    conn: AsyncConnection, difference_id: int, *, status: str, actor: str
) -> None:
    await conn.execute(
        sa.update(stock_differences)
        .where(stock_differences.c.id == difference_id)
        .values(status=status, decided_by=actor, decided_at=sa.func.now())
    )
