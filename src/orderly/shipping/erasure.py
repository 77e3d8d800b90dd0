"""Erasing what shipping kept of orders whose personal data is erased: the labels (they print
the address) and the address checks."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def erase_for_orders(conn: AsyncConnection, org_id: int, order_ids: Sequence[int]) -> None:
    params = {"org_id": org_id, "ids": list(order_ids)}
    await conn.execute(
        sa.text(
            "UPDATE shipments SET label_pdf = '', label_zpl = ''"
            " WHERE org_id = :org_id AND order_id = ANY(CAST(:ids AS bigint[]))"
        ),
        params,
    )
    await conn.execute(
        sa.text(
            "DELETE FROM address_checks"
            " WHERE org_id = :org_id AND order_id = ANY(CAST(:ids AS bigint[]))"
        ),
        params,
    )
