"""Erasing buyers' personal data across the features that keep it: an order's own fields and
customer record, its messages and webhook payloads, its labels and address checks, and the
sales platform's raw events. By a retention period per channel (after delivery), or for one
customer on request. docs/operations.md, "Personal data"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections import erasure as connection_data
from orderly.notifications import erasure as message_data
from orderly.orders import erasure as order_data
from orderly.shipping import erasure as shipping_data

# What a marketplace allows at most, in days after delivery (Amazon's Data Protection Policy).
MARKETPLACE_LIMITS = {"amazon": 30}
RETENTION_SETTING = "buyer_data_retention_days"
BATCH = 500


async def erase_orders(conn: AsyncConnection, org_id: int, order_ids: Sequence[int]) -> list[int]:
    """Erase these orders' personal data everywhere it is kept; answers the orders erased now."""
    erased = await order_data.erase_orders(conn, org_id, order_ids)
    if erased:
        await message_data.erase_for_orders(conn, org_id, erased)
        await shipping_data.erase_for_orders(conn, org_id, erased)
        await connection_data.erase_for_orders(conn, org_id, erased)
    return erased


async def erase_customer(conn: AsyncConnection, org_id: int, email: str) -> list[int]:
    """A customer's request: every order of theirs, and their customer record."""
    erased = await erase_orders(
        conn, org_id, await order_data.orders_of_customer(conn, org_id, email)
    )
    await order_data.anonymize_customers(
        conn, org_id, await order_data.customer_ids(conn, org_id, email)
    )
    return erased


_RETENTION = sa.text(
    """
    SELECT c.id AS channel_id, c.settings ->> :setting AS days,
           (SELECT array_agg(DISTINCT cn.platform) FROM connections cn
             WHERE cn.org_id = c.org_id AND cn.channel_id = c.id) AS platforms
      FROM channels c WHERE c.org_id = :org_id
    """
)

# Orders whose goods reached the buyer (or never will) before the cutoff.
_DUE = sa.text(
    """
    SELECT o.id FROM orders o
     WHERE o.org_id = :org_id AND o.channel_id = :channel_id
       AND o.personal_data_erased_at IS NULL
       AND (o.status IN ('delivered', 'cancelled')
            OR (o.status = 'shipped' AND 'fulfilled_by_marketplace' = ANY(o.tags)))
       AND o.updated_at < :cutoff
     ORDER BY o.id LIMIT :limit
    """
)


def retention_days(setting: str | None, platforms: Sequence[str]) -> int | None:
    """A channel's retention in days: its setting, never longer than a marketplace it sells on
    allows (that limit when it sets none); None: kept."""
    limits = [MARKETPLACE_LIMITS[p] for p in platforms if p in MARKETPLACE_LIMITS]
    days = int(setting) if setting and setting.isdigit() and int(setting) > 0 else None
    if limits:
        return min([*limits, days]) if days else min(limits)
    return days


async def apply_retention(conn: AsyncConnection, org_id: int, now: datetime) -> list[int]:
    """Erase the personal data of orders kept past their channel's retention; at most BATCH
    orders a channel a run."""
    erased: list[int] = []
    channels = await conn.execute(_RETENTION, {"org_id": org_id, "setting": RETENTION_SETTING})
    for row in channels.all():
        days = retention_days(row.days, row.platforms or [])
        if days is None:
            continue
        due = await conn.execute(
            _DUE,
            {
                "org_id": org_id,
                "channel_id": row.channel_id,
                "cutoff": now - timedelta(days=days),
                "limit": BATCH,
            },
        )
        erased += await erase_orders(conn, org_id, list(due.scalars()))
    return erased
