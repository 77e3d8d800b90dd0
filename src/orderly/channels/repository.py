from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.models import channels


async def insert_channel(
    conn: AsyncConnection, *, org_id: int, values: Mapping[str, Any]
) -> sa.Row[Any] | None:
    """Insert a channel; None when its code is already taken in the organization."""
    stmt = (
        pg.insert(channels)
        .values(org_id=org_id, **values)
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
        .returning(channels)
    )
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row


async def find_channel(
    conn: AsyncConnection, *, org_id: int, channel_id: int
) -> sa.Row[Any] | None:
    stmt = sa.select(channels).where(channels.c.org_id == org_id, channels.c.id == channel_id)
    return (await conn.execute(stmt)).first()


async def find_active_channel_by_code(
    conn: AsyncConnection, *, org_id: int, code: str
) -> sa.Row[Any] | None:
    stmt = sa.select(channels).where(
        channels.c.org_id == org_id, channels.c.code == code, channels.c.active
    )
    return (await conn.execute(stmt)).first()


async def list_channels(
    conn: AsyncConnection,
    *,
    org_id: int,
    kind: str | None,
    active: bool | None,
    after_id: int | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    stmt = sa.select(channels).where(channels.c.org_id == org_id)
    if kind is not None:
        stmt = stmt.where(channels.c.kind == kind)
    if active is not None:
        stmt = stmt.where(channels.c.active == active)
    if after_id is not None:
        stmt = stmt.where(channels.c.id > after_id)
    stmt = stmt.order_by(channels.c.id).limit(limit)
    return (await conn.execute(stmt)).all()


async def update_channel(
    conn: AsyncConnection, *, org_id: int, channel_id: int, values: Mapping[str, Any]
) -> sa.Row[Any] | None:
    stmt = (
        sa.update(channels)
        .where(channels.c.org_id == org_id, channels.c.id == channel_id)
        .values(**values, updated_at=sa.func.now())
        .returning(channels)
    )
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row
