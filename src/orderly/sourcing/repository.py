"""Routing configurations, and the read-only snapshot a simulation decides on: it reads every
active location, so that it can explain the ones a capture would have left out
(docs/sourcing.md, "Simulation").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.sourcing.domain import CandidateLocation
from orderly.sourcing.models import routing_configs


async def saved_config(
    conn: AsyncConnection, org_id: int, channel_id: int | None
) -> tuple[dict[str, Any], datetime] | None:
    r = routing_configs
    scope = r.c.channel_id.is_(None) if channel_id is None else r.c.channel_id == channel_id
    row = (
        await conn.execute(sa.select(r.c.config, r.c.updated_at).where(r.c.org_id == org_id, scope))
    ).first()
    return None if row is None else (dict(row.config), row.updated_at)


_UPSERT = {
    True: sa.text(
        """
        INSERT INTO routing_configs (org_id, channel_id, config)
        VALUES (:org_id, NULL, CAST(:config AS jsonb))
        ON CONFLICT (org_id) WHERE channel_id IS NULL
        DO UPDATE SET config = EXCLUDED.config, updated_at = now()
        RETURNING updated_at
        """
    ),
    False: sa.text(
        """
        INSERT INTO routing_configs (org_id, channel_id, config)
        VALUES (:org_id, :channel_id, CAST(:config AS jsonb))
        ON CONFLICT (org_id, channel_id) WHERE channel_id IS NOT NULL
        DO UPDATE SET config = EXCLUDED.config, updated_at = now()
        RETURNING updated_at
        """
    ),
}


async def save_config(
    conn: AsyncConnection, org_id: int, channel_id: int | None, config: dict[str, Any]
) -> datetime:
    params = {"org_id": org_id, "config": orjson.dumps(config).decode()}
    if channel_id is not None:
        params["channel_id"] = channel_id
    result = await conn.execute(_UPSERT[channel_id is None], params)
    updated: datetime = result.scalar_one()
    return updated


async def merged_config(conn: AsyncConnection, org_id: int, channel_id: int) -> dict[str, Any]:
    """The channel's configuration over the organization's default, key by key."""
    row = (
        await conn.execute(
            sa.text(
                """
                SELECT coalesce((SELECT config FROM routing_configs
                                  WHERE org_id = :org_id AND channel_id IS NULL), '{}')
                       || coalesce((SELECT config FROM routing_configs
                                     WHERE org_id = :org_id AND channel_id = :channel_id), '{}')
                """
            ),
            {"org_id": org_id, "channel_id": channel_id},
        )
    ).scalar_one()
    return dict(row)


_NETWORK = sa.text(
    """
    SELECT l.id, l.code, l.priority, l.latitude, l.longitude, l.kind, l.capabilities,
           CAST(l.country AS text) AS country, l.ships_to,
           l.address ->> 'postal_code' AS postal_code, l.daily_order_capacity,
           CASE WHEN l.daily_order_capacity IS NULL THEN 0 ELSE (
               SELECT count(DISTINCT a.order_id) FROM order_allocations a
                WHERE a.org_id = l.org_id AND a.location_id = l.id
                  AND a.created_at >= CAST(date_trunc('day', now() AT TIME ZONE l.timezone)
                                           AS timestamp) AT TIME ZONE l.timezone
                  AND a.status <> 'released') END AS today_load,
           (SELECT coalesce(json_agg(json_build_array(
                       sl.sku_id, sl.on_hand - sl.reserved - sl.safety_stock)), '[]')
              FROM stock_levels sl
             WHERE sl.org_id = l.org_id AND sl.location_id = l.id
               AND sl.sku_id = ANY(:sku_ids)) AS stock
      FROM locations l
     WHERE l.org_id = :org_id AND l.active
     ORDER BY l.code
    """
)


async def network(
    conn: AsyncConnection, org_id: int, sku_ids: Sequence[int]
) -> tuple[tuple[CandidateLocation, ...], dict[tuple[int, int], int]]:
    """Every active location with what it can promise of these SKUs (nothing locked)."""
    rows = await conn.execute(_NETWORK, {"org_id": org_id, "sku_ids": list(sku_ids)})
    candidates: list[CandidateLocation] = []
    available: dict[tuple[int, int], int] = {}
    for row in rows:
        candidates.append(
            CandidateLocation(
                row.id,
                row.code,
                row.priority,
                row.latitude,
                row.longitude,
                kind=row.kind,
                capabilities=tuple(row.capabilities),
                country=row.country,
                ships_to=tuple(row.ships_to),
                postal_code=row.postal_code,
                daily_capacity=row.daily_order_capacity,
                today_load=row.today_load,
            )
        )
        for sku_id, quantity in row.stock:
            available[(sku_id, row.id)] = quantity
    return tuple(candidates), available


# An existing order as the simulation replays it: a read of the orders tables (only orders
# writes them), with the units it holds now by SKU and location.
_ORDER_TO_SIMULATE = sa.text(
    """
    SELECT c.code AS channel, o.currency, o.shipping_address, o.delivery_method,
           pl.code AS pickup_location, o.requested_delivery_date,
           (SELECT coalesce(json_agg(json_build_array(s.code, ol.quantity, ol.unit_price_minor)
                                     ORDER BY ol.line_no), '[]')
              FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
             WHERE ol.order_id = o.id) AS lines,
           (SELECT coalesce(json_agg(json_build_array(s.code, l.code, a.quantity)
                                     ORDER BY a.id), '[]')
              FROM order_allocations a
              JOIN skus s ON s.id = a.sku_id
              JOIN locations l ON l.id = a.location_id
             WHERE a.order_id = o.id AND a.status = 'reserved') AS held
      FROM orders o
      JOIN channels c ON c.id = o.channel_id
      LEFT JOIN locations pl ON pl.id = o.pickup_location_id
     WHERE o.org_id = :org_id AND o.id = :order_id
    """
)


async def order_to_simulate(
    conn: AsyncConnection, org_id: int, order_id: int
) -> dict[str, Any] | None:
    row = (await conn.execute(_ORDER_TO_SIMULATE, {"org_id": org_id, "order_id": order_id})).first()
    return dict(row._mapping) if row else None
