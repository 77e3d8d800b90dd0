"""What each channel is shown of each SKU: the stock pools, buffers, exclusions and location
maps applied, as the next push would send them; for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections import repository as repo
from orderly.connections import stock
from orderly.connections.pools import get_pools
from orderly.connections.schemas import ConnectionSettings, StockPoolsOut


@dataclass(frozen=True, slots=True)
class ChannelView:
    """Per SKU, what each connected channel is shown (summed over its platform locations)."""

    channels: list[str]
    pools: StockPoolsOut
    rows: list[tuple[str, dict[str, int]]]


async def what_channels_see(
    conn: AsyncConnection, org_id: int, *, sku_prefix: str = "", limit: int = 50
) -> ChannelView:
    """The active SKUs (those whose code starts with `sku_prefix`, by code, at most `limit`)
    and the units each active connection's channel is shown of them."""
    skus = {
        r.id: r.code
        for r in await conn.execute(
            sa.text(
                "SELECT id, code FROM skus WHERE org_id = :org_id AND active"
                " AND starts_with(code, :prefix) ORDER BY code LIMIT :limit"
            ),
            {"org_id": org_id, "prefix": sku_prefix, "limit": limit},
        )
    }
    connected = [
        c
        for c in await repo.list_connections(conn, org_id=org_id, after_id=None, limit=200)
        if c.active
    ]
    seen: dict[str, dict[int, int]] = {}
    for c in connected:
        settings = ConnectionSettings.model_validate(c.settings)
        shown = await stock.shown_quantities(conn, c, settings, skus) if skus else {}
        seen[c.channel_code] = {i: sum(by_place.values()) for i, by_place in shown.items()}
    codes = sorted(seen)
    return ChannelView(
        channels=codes,
        pools=await get_pools(conn, org_id),
        rows=[(code, {ch: seen[ch].get(i, 0) for ch in codes}) for i, code in skus.items()],
    )
