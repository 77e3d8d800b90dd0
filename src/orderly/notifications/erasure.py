"""Erasing what customer messages and webhook deliveries kept of orders whose personal data is
erased: the recipient and the message, and the payloads sent."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def erase_for_orders(conn: AsyncConnection, org_id: int, order_ids: Sequence[int]) -> None:
    params = {"org_id": org_id, "ids": list(order_ids)}
    await conn.execute(
        sa.text(
            "UPDATE notifications SET recipient = NULL, subject = NULL, body_text = NULL,"
            " body_html = NULL WHERE org_id = :org_id AND order_id = ANY(CAST(:ids AS bigint[]))"
        ),
        params,
    )
    await conn.execute(
        sa.text(
            """
            UPDATE webhook_deliveries SET payload = '{"erased": true}'
             WHERE org_id = :org_id
               AND event_id IN (SELECT id FROM order_events WHERE org_id = :org_id
                                   AND order_id = ANY(CAST(:ids AS bigint[])))
            """
        ),
        params,
    )
