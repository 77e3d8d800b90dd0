"""The port through which shipping units lets the order's money follow: the payments feature
captures what shipped (installed where the app and the worker start). With nothing installed,
shipping moves no money."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.tenancy.domain import Principal

# Called in the shipping transaction, once the shipped units are marked on the order.
Collector = Callable[[AsyncConnection, Principal, int], Awaitable[None]]

_installed: Collector | None = None


def collect_with(collector: Collector | None) -> None:
    global _installed
    _installed = collector


async def collect_for_shipment(conn: AsyncConnection, principal: Principal, order_id: int) -> None:
    if _installed is not None:
        await _installed(conn, principal, order_id)
