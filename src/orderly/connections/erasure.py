"""Erasing what connections kept of orders whose personal data is erased: the platform's raw
events about them (the buyer and the address are in them)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def erase_for_orders(conn: AsyncConnection, org_id: int, order_ids: Sequence[int]) -> None:
    await conn.execute(
        sa.text(
            "UPDATE connection_events SET payload = '{}'"
            " WHERE org_id = :org_id AND order_id = ANY(CAST(:ids AS bigint[]))"
        ),
        {"org_id": org_id, "ids": list(order_ids)},
    )
