"""Which of our orders each platform's order became, with its lines' platform ids: what later
changes on the platform, and pushes back to it, are matched by."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections.repository import save_connection_order


async def remember_order(
    conn: AsyncConnection, connection: Any, order: Any, *, order_id: int
) -> None:
    """Which of our orders a platform's order became, with its lines' platform ids."""
    await save_connection_order(
        conn,
        {
            "org_id": connection.org_id,
            "connection_id": connection.id,
            "platform_order_id": order.platform_order_id,
            "platform_number": order.number,
            "order_id": order_id,
            "platform_updated_at": order.updated_at,
            "lines": [
                {"platform_line_id": line.platform_line_id, "sku": line.sku} for line in order.lines
            ],
        },
    )
