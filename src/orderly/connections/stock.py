"""Stock out: changes of stock become pending pushes per connection, and a push reads what each
platform should show. Driven by the ledger (a trigger appends to `stock_changes` in the change's
own transaction), so every cause of a change is pushed: orders, adjustments, transfers,
receipts, returns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.connections import pools
from orderly.connections import repository as repo
from orderly.connections.domain import quantities_to_show
from orderly.connections.port import Listing, StockPushResult, StockQuantity
from orderly.connections.schemas import ConnectionSettings

# Changes routed per run of the router.
ROUTE_BATCH = 10_000

_ROUTE = sa.text(
    """
    WITH taken AS (
        DELETE FROM stock_changes WHERE id IN (
            SELECT id FROM stock_changes ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)
        RETURNING org_id, sku_id),
    marked AS (
        INSERT INTO connection_stock_pending (org_id, connection_id, sku_id)
        SELECT DISTINCT t.org_id, c.id, t.sku_id FROM taken t
          JOIN connections c ON c.org_id = t.org_id AND c.active
           AND coalesce((c.settings ->> 'push_stock')::boolean, true)
        ON CONFLICT (connection_id, sku_id) DO UPDATE
            SET marked_at = now(), version = connection_stock_pending.version + 1
        RETURNING connection_id)
    SELECT DISTINCT connection_id FROM marked ORDER BY connection_id
    """
)


async def route_stock_changes(conn: AsyncConnection, *, batch: int = ROUTE_BATCH) -> list[int]:
    """Turn the stock changes into pending pushes, one per (connection, SKU) however many
    changes there were; answers the connections that now have something to push."""
    result = await conn.execute(_ROUTE, {"batch": batch})
    return list(result.scalars())


@dataclass
class PendingStock:
    quantities: list[StockQuantity] = field(default_factory=list)
    # (sku_id, version) read, so that settling removes only what no later change re-marked.
    versions: dict[int, int] = field(default_factory=dict)
    sku_ids: list[int] = field(default_factory=list)
    unlisted: list[int] = field(default_factory=list)
    sku_of: dict[int, str] = field(default_factory=dict)


_PENDING = sa.text(
    """
    SELECT p.sku_id, p.version, s.code AS sku,
           cl.sku AS listed, cl.product_id, cl.variant_id, cl.inventory_item_id
      FROM connection_stock_pending p
      JOIN skus s ON s.id = p.sku_id
      LEFT JOIN connection_listings cl ON cl.connection_id = p.connection_id AND cl.sku = s.code
     WHERE p.connection_id = :id
     ORDER BY p.sku_id LIMIT :limit
    """
)

_AVAILABLE = sa.text(
    """
    SELECT sl.sku_id, l.code AS location,
           sl.on_hand - sl.reserved - sl.safety_stock AS available
      FROM stock_levels sl JOIN locations l ON l.id = sl.location_id
     WHERE sl.org_id = :org_id AND sl.sku_id = ANY(:sku_ids)
       AND l.active AND l.kind = ANY(:kinds)
    """
)


async def pending_quantities(
    conn: AsyncConnection, connection: Any, settings: ConnectionSettings, *, limit: int
) -> tuple[datetime, PendingStock]:
    read_at = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
    rows = (await conn.execute(_PENDING, {"id": connection.id, "limit": limit})).all()
    pending = PendingStock()
    listed: dict[int, Listing] = {}
    for r in rows:
        pending.sku_ids.append(r.sku_id)
        pending.versions[r.sku_id] = r.version
        pending.sku_of[r.sku_id] = r.sku
        if r.listed is None:
            pending.unlisted.append(r.sku_id)
        else:
            listed[r.sku_id] = Listing(
                sku=r.sku,
                product_id=r.product_id,
                variant_id=r.variant_id,
                inventory_item_id=r.inventory_item_id,
            )
    if not listed:
        return read_at, pending
    shown = await shown_quantities(
        conn, connection, settings, {i: listing.sku for i, listing in listed.items()}
    )
    for sku_id, listing in listed.items():
        pending.quantities.extend(
            StockQuantity(listing=listing, available=units, platform_location=location)
            for location, units in shown[sku_id].items()
        )
    return read_at, pending


async def shown_quantities(
    conn: AsyncConnection, connection: Any, settings: ConnectionSettings, skus: dict[int, str]
) -> dict[int, dict[str | None, int]]:
    """What the connection's platform is to be shown of these SKUs (id -> code), per platform
    location: the channel's eligible stock, its pool's share, its buffer, its exclusions."""
    policy = await channels.channel_policy(conn, connection.org_id, connection.channel_code)
    levels: dict[int, dict[str, int]] = defaultdict(dict)
    for r in await conn.execute(
        _AVAILABLE,
        {
            "org_id": connection.org_id,
            "sku_ids": sorted(skus),
            "kinds": list(policy.eligible_location_kinds),
        },
    ):
        levels[r.sku_id][r.location] = r.available
    excluded = set(settings.excluded_skus)
    shares = await pools.shares_of(conn, connection.org_id)
    return {
        sku_id: quantities_to_show(
            {} if code in excluded else levels.get(sku_id, {}),
            location_map=settings.location_map,
            default_location=settings.location_id,
            buffer=settings.stock_buffer,
            share=None if shares is None else (shares, connection.channel_code),
        )
        for sku_id, code in skus.items()
    }


async def settle(
    conn: AsyncConnection,
    connection: Any,
    pending: PendingStock,
    result: StockPushResult,
    *,
    read_at: datetime,
) -> None:
    """Remove what was pushed (unless changed since), count refusals, drop unlisted SKUs
    (the dashboard lists them; a catalog pull and a resync push them)."""
    refused_ids = {i for i, sku in pending.sku_of.items() if sku in result.refused}
    done = [i for i in pending.sku_ids if i not in refused_ids]
    if done:
        await conn.execute(
            sa.text(
                "DELETE FROM connection_stock_pending p USING unnest(:ids, :versions) AS d(id, v)"
                " WHERE p.connection_id = :cid AND p.sku_id = d.id AND p.version = d.v"
            ),
            {
                "cid": connection.id,
                "ids": done,
                "versions": [pending.versions[i] for i in done],
            },
        )
    if refused_ids:
        await conn.execute(
            sa.text(
                "UPDATE connection_stock_pending SET attempts = attempts + 1,"
                " last_error = 'refused by the platform'"
                " WHERE connection_id = :cid AND sku_id = ANY(:ids)"
            ),
            {"cid": connection.id, "ids": sorted(refused_ids)},
        )
        sample = sorted(result.refused.items())[:5]
        await repo.record_error(
            conn,
            org_id=connection.org_id,
            connection_id=connection.id,
            activity="push_stock",
            code="stock_refused",
            detail="; ".join(f"{sku}: {why}" for sku, why in sample)
            + (f" (and {len(result.refused) - 5} more)" if len(result.refused) > 5 else ""),
        )
