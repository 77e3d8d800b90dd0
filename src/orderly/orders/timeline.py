"""An order's timeline: the events that say what happened to it, in order, and who did it.

Every feature that changes an order appends here; the API and the dashboard read it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders.models import order_events


async def append_events(
    conn: AsyncConnection,
    org_id: int,
    order_id: int,
    events: Sequence[tuple[str, dict[str, Any]]],
    actor: str,
) -> None:
    await conn.execute(
        sa.insert(order_events),
        [
            {"org_id": org_id, "order_id": order_id, "type": t, "data": d, "actor": actor}
            for t, d in events
        ],
    )


async def list_events(
    conn: AsyncConnection, org_id: int, order_id: int, *, limit: int, after_id: int | None
) -> list[dict[str, Any]]:
    query = (
        sa.select(
            order_events.c.id,
            order_events.c.type,
            order_events.c.data,
            order_events.c.actor,
            order_events.c.created_at,
        )
        .where(order_events.c.org_id == org_id, order_events.c.order_id == order_id)
        .order_by(order_events.c.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(order_events.c.id > after_id)
    return [dict(r._mapping) for r in await conn.execute(query)]
