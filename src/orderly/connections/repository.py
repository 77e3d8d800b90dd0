"""Queries of connections: the connection rows, their inbox, listings, orders and errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.connections.models import (
    connection_errors,
    connection_events,
    connection_listings,
    connection_orders,
    connection_pushes,
    connections,
)

# Errors kept per connection: enough to see a pattern, bounded so a broken shop cannot grow it.
KEPT_ERRORS = 50


async def insert_connection(
    conn: AsyncConnection, *, org_id: int, values: Mapping[str, Any]
) -> sa.Row[Any] | None:
    """None when the channel already has a connection."""
    stmt = (
        pg.insert(connections)
        .values(org_id=org_id, **values)
        .on_conflict_do_nothing(index_elements=["org_id", "channel_id"])
        .returning(connections)
    )
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row


# A connection with its channel's code, which intake and stock pushes speak of.
_WITH_CHANNEL = (
    "SELECT c.*, ch.code AS channel_code"
    " FROM connections c JOIN channels ch ON ch.id = c.channel_id"
)


async def find_connection(
    conn: AsyncConnection, *, org_id: int, connection_id: int, lock: bool = False
) -> sa.Row[Any] | None:
    sql = _WITH_CHANNEL + " WHERE c.org_id = :org_id AND c.id = :id"
    if lock:
        sql += " FOR UPDATE OF c"
    result = await conn.execute(sa.text(sql), {"org_id": org_id, "id": connection_id})
    return result.first()


async def connection_for_job(conn: AsyncConnection, connection_id: int) -> sa.Row[Any] | None:
    """A connection by id alone: a job was handed it by a trusted deferral, not a caller."""
    result = await conn.execute(sa.text(_WITH_CHANNEL + " WHERE c.id = :id"), {"id": connection_id})
    return result.first()


async def find_connection_for_hook(
    conn: AsyncConnection, *, connection_id: int, platform: str
) -> sa.Row[Any] | None:
    """The connection a webhook names, whatever its organization (the signature proves it)."""
    stmt = sa.select(connections).where(
        connections.c.id == connection_id, connections.c.platform == platform
    )
    return (await conn.execute(stmt)).first()


async def list_connections(
    conn: AsyncConnection, *, org_id: int, after_id: int | None, limit: int
) -> Sequence[sa.Row[Any]]:
    result = await conn.execute(
        sa.text(
            _WITH_CHANNEL
            + " WHERE c.org_id = :org_id AND (CAST(:after AS bigint) IS NULL OR c.id > :after)"
            " ORDER BY c.id LIMIT :limit"
        ),
        {"org_id": org_id, "after": after_id, "limit": limit},
    )
    return result.all()


async def update_connection(
    conn: AsyncConnection, *, org_id: int, connection_id: int, values: Mapping[str, Any]
) -> None:
    await conn.execute(
        sa.update(connections)
        .where(connections.c.org_id == org_id, connections.c.id == connection_id)
        .values(updated_at=sa.func.now(), **values)
    )


async def delete_connection(conn: AsyncConnection, *, org_id: int, connection_id: int) -> bool:
    result = await conn.execute(
        sa.delete(connections)
        .where(connections.c.org_id == org_id, connections.c.id == connection_id)
        .returning(connections.c.id)
    )
    return result.first() is not None


async def record_error(
    conn: AsyncConnection, *, org_id: int, connection_id: int, activity: str, code: str, detail: str
) -> None:
    await conn.execute(
        sa.insert(connection_errors).values(
            org_id=org_id,
            connection_id=connection_id,
            activity=activity,
            code=code,
            detail=detail[:2000],
        )
    )
    await conn.execute(
        sa.text(
            "DELETE FROM connection_errors WHERE connection_id = :id AND id <= ("
            " SELECT id FROM connection_errors WHERE connection_id = :id"
            " ORDER BY id DESC OFFSET :kept LIMIT 1)"
        ),
        {"id": connection_id, "kept": KEPT_ERRORS},
    )


async def recent_errors(
    conn: AsyncConnection, *, connection_id: int, limit: int = 10
) -> Sequence[sa.Row[Any]]:
    stmt = (
        sa.select(connection_errors)
        .where(connection_errors.c.connection_id == connection_id)
        .order_by(connection_errors.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(stmt)).all()


async def activity_counts(conn: AsyncConnection, *, connection_id: int) -> Mapping[str, int]:
    """Open inbox events by status, and the pushes waiting."""
    row = (
        await conn.execute(
            sa.text(
                "SELECT"
                " (SELECT count(*) FROM connection_events WHERE connection_id = :id"
                "   AND status = 'pending') AS pending,"
                " (SELECT count(*) FROM connection_events WHERE connection_id = :id"
                "   AND status = 'needs_mapping') AS needs_mapping,"
                " (SELECT count(*) FROM connection_events WHERE connection_id = :id"
                "   AND status = 'failed') AS failed,"
                " (SELECT count(*) FROM connection_stock_pending WHERE connection_id = :id)"
                "   AS stock,"
                " (SELECT count(*) FROM connection_pushes WHERE connection_id = :id"
                "   AND status <> 'done') AS pushes"
            ),
            {"id": connection_id},
        )
    ).one()
    return dict(row._mapping)


# --- the inbox ------------------------------------------------------------------------------


async def store_event(
    conn: AsyncConnection,
    *,
    org_id: int,
    connection_id: int,
    event_id: str,
    topic: str,
    platform_order_id: str | None,
    payload: dict[str, Any],
) -> int | None:
    """The new inbox row's id; None when the platform sent this event before."""
    stmt = (
        pg.insert(connection_events)
        .values(
            org_id=org_id,
            connection_id=connection_id,
            event_id=event_id,
            topic=topic,
            platform_order_id=platform_order_id,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "event_id"])
        .returning(connection_events.c.id)
    )
    event_row_id: int | None = (await conn.execute(stmt)).scalar()
    return event_row_id


async def lock_event(conn: AsyncConnection, *, event_row_id: int) -> sa.Row[Any] | None:
    stmt = (
        sa.select(connection_events)
        .where(connection_events.c.id == event_row_id)
        .with_for_update(skip_locked=True)
    )
    return (await conn.execute(stmt)).first()


async def settle_event(
    conn: AsyncConnection,
    *,
    event_row_id: int,
    status: str,
    error: str | None = None,
    order_id: int | None = None,
) -> None:
    await conn.execute(
        sa.update(connection_events)
        .where(connection_events.c.id == event_row_id)
        .values(
            status=status,
            last_error=error,
            order_id=order_id,
            attempts=connection_events.c.attempts + 1,
            processed_at=sa.func.now(),
        )
    )


async def event_of(
    conn: AsyncConnection, *, connection_id: int, event_row_id: int
) -> sa.Row[Any] | None:
    stmt = sa.select(connection_events).where(
        connection_events.c.connection_id == connection_id,
        connection_events.c.id == event_row_id,
    )
    return (await conn.execute(stmt)).first()


async def reopen_event(conn: AsyncConnection, *, event_row_id: int) -> None:
    await conn.execute(
        sa.update(connection_events)
        .where(connection_events.c.id == event_row_id)
        .values(status="pending")
    )


async def events(
    conn: AsyncConnection, *, connection_id: int, status: str | None, limit: int
) -> Sequence[sa.Row[Any]]:
    stmt = sa.select(connection_events).where(connection_events.c.connection_id == connection_id)
    if status is not None:
        stmt = stmt.where(connection_events.c.status == status)
    return (await conn.execute(stmt.order_by(connection_events.c.id.desc()).limit(limit))).all()


async def waiting_events(
    conn: AsyncConnection, *, connection_id: int, statuses: Sequence[str], limit: int
) -> list[int]:
    stmt = (
        sa.select(connection_events.c.id)
        .where(
            connection_events.c.connection_id == connection_id,
            connection_events.c.status.in_(statuses),
        )
        .order_by(connection_events.c.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


# --- the orders a connection brought ----------------------------------------------------------


async def connection_order(
    conn: AsyncConnection, *, connection_id: int, platform_order_id: str
) -> sa.Row[Any] | None:
    stmt = sa.select(connection_orders).where(
        connection_orders.c.connection_id == connection_id,
        connection_orders.c.platform_order_id == platform_order_id,
    )
    return (await conn.execute(stmt)).first()


async def save_connection_order(conn: AsyncConnection, values: Mapping[str, Any]) -> None:
    stmt = pg.insert(connection_orders).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["connection_id", "platform_order_id"],
        set_={
            "platform_updated_at": stmt.excluded.platform_updated_at,
            "needs_attention": stmt.excluded.needs_attention,
        },
    )
    await conn.execute(stmt)


async def mark_cancelled_on_platform(
    conn: AsyncConnection, *, connection_id: int, platform_order_id: str
) -> None:
    await conn.execute(
        sa.update(connection_orders)
        .where(
            connection_orders.c.connection_id == connection_id,
            connection_orders.c.platform_order_id == platform_order_id,
        )
        .values(cancelled_on_platform=True)
    )


async def connection_of_order(
    conn: AsyncConnection, *, org_id: int, order_id: int
) -> sa.Row[Any] | None:
    stmt = sa.select(connection_orders).where(
        connection_orders.c.org_id == org_id, connection_orders.c.order_id == order_id
    )
    return (await conn.execute(stmt)).first()


# --- listings -------------------------------------------------------------------------------


async def save_listings(
    conn: AsyncConnection, *, org_id: int, connection_id: int, rows: Sequence[Mapping[str, Any]]
) -> None:
    if not rows:
        return
    stmt = pg.insert(connection_listings).values(
        [{"org_id": org_id, "connection_id": connection_id, **row} for row in rows]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["connection_id", "sku"],
        set_={
            "product_id": stmt.excluded.product_id,
            "variant_id": stmt.excluded.variant_id,
            "inventory_item_id": stmt.excluded.inventory_item_id,
            "updated_at": sa.func.now(),
        },
    )
    await conn.execute(stmt)


async def unmapped_skus(
    conn: AsyncConnection, *, org_id: int, connection_id: int, limit: int = 50
) -> list[str]:
    """Our active SKUs the platform's catalog does not list (their stock cannot be pushed)."""
    result = await conn.execute(
        sa.text(
            "SELECT s.code FROM skus s WHERE s.org_id = :org_id AND s.active"
            " AND NOT EXISTS (SELECT 1 FROM connection_listings cl"
            "   WHERE cl.connection_id = :id AND cl.sku = s.code)"
            " ORDER BY s.code LIMIT :limit"
        ),
        {"org_id": org_id, "id": connection_id, "limit": limit},
    )
    return list(result.scalars())


# --- pushes ---------------------------------------------------------------------------------


async def mark_all_skus(conn: AsyncConnection, *, org_id: int, connection_id: int) -> int:
    """Every active SKU is to be pushed (a full resync)."""
    result = await conn.execute(
        sa.text(
            "INSERT INTO connection_stock_pending (org_id, connection_id, sku_id)"
            " SELECT :org_id, :id, s.id FROM skus s WHERE s.org_id = :org_id AND s.active"
            " ON CONFLICT (connection_id, sku_id) DO UPDATE SET marked_at = now(),"
            " version = connection_stock_pending.version + 1"
        ),
        {"org_id": org_id, "id": connection_id},
    )
    return result.rowcount


async def queue_push(
    conn: AsyncConnection,
    *,
    org_id: int,
    connection_id: int,
    order_id: int,
    kind: str,
    reference: str,
) -> None:
    await conn.execute(
        pg.insert(connection_pushes)
        .values(
            org_id=org_id,
            connection_id=connection_id,
            order_id=order_id,
            kind=kind,
            reference=reference,
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "kind", "reference"])
    )
