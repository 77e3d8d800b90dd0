"""An organization's stock pools: one shared pool every channel sees (less its buffer), or a
share of the stock per channel that adds up to no more than what exists. Changing them pushes
every SKU again. docs/channels.md, "Stock pools"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections import repository as repo
from orderly.connections.domain import Share
from orderly.connections.models import stock_pools
from orderly.connections.schemas import StockPoolsIn, StockPoolsOut
from orderly.connections.service import PUSH_STOCK_TASK
from orderly.kit.errors import InvalidInput
from orderly.kit.jobs import defer_job

SHARED = "shared"
ALLOCATED = "allocated"


async def get_pools(conn: AsyncConnection, org_id: int) -> StockPoolsOut:
    row = (await conn.execute(sa.select(stock_pools).where(stock_pools.c.org_id == org_id))).first()
    if row is None:
        return StockPoolsOut(model=SHARED, shares={})
    return StockPoolsOut(model=row.model, shares=dict(row.shares))


async def shares_of(conn: AsyncConnection, org_id: int) -> dict[str, Share] | None:
    """The channels' shares when the organization allocates its stock; None when it shares
    one pool."""
    pools = await get_pools(conn, org_id)
    if pools.model != ALLOCATED:
        return None
    return {code: Share(s.get("percent"), s.get("units")) for code, s in pools.shares.items()}


async def set_pools(conn: AsyncConnection, org_id: int, data: StockPoolsIn) -> StockPoolsOut:
    """Save the model and its shares (channels that exist; percents up to 100 in all) and push
    every SKU of every connection again."""
    codes = set(
        (
            await conn.execute(
                sa.text("SELECT code FROM channels WHERE org_id = :org_id"), {"org_id": org_id}
            )
        ).scalars()
    )
    unknown = sorted(set(data.shares) - codes)
    if unknown:
        raise InvalidInput(f"no channel {unknown[0]!r}", field=f"shares.{unknown[0]}")
    total = sum(s.percent or 0 for s in data.shares.values())
    if total > 100:
        raise InvalidInput(f"the channels' percents add up to {total}: at most 100", field="shares")
    shares: dict[str, Any] = {
        code: s.model_dump(exclude_none=True) for code, s in sorted(data.shares.items())
    }
    await conn.execute(
        pg.insert(stock_pools)
        .values(org_id=org_id, model=data.model, shares=shares)
        .on_conflict_do_update(
            index_elements=[stock_pools.c.org_id],
            set_={"model": data.model, "shares": shares, "updated_at": sa.func.now()},
        )
    )
    for connection_id in await _pushing_connections(conn, org_id):
        await repo.mark_all_skus(conn, org_id=org_id, connection_id=connection_id)
        await defer_job(
            conn, PUSH_STOCK_TASK, lock=f"push:{connection_id}", connection_id=connection_id
        )
    return StockPoolsOut(model=data.model, shares=shares)


async def _pushing_connections(conn: AsyncConnection, org_id: int) -> list[int]:
    rows = await conn.execute(
        sa.text(
            "SELECT id FROM connections WHERE org_id = :org_id AND active"
            " AND coalesce((settings ->> 'push_stock')::boolean, true) ORDER BY id"
        ),
        {"org_id": org_id},
    )
    return list(rows.scalars())
