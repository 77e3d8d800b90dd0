"""Sales channels per organization."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels.domain import DEFAULT_CHANNEL_CODE, ChannelKind
from orderly.channels.models import channels


async def create_default_channel(conn: AsyncConnection, org_id: int) -> int:
    """Every organization starts with a `web` channel that does not allow backorders."""
    stmt = (
        sa.insert(channels)
        .values(
            org_id=org_id,
            code=DEFAULT_CHANNEL_CODE,
            name="Web store",
            kind=ChannelKind.WEB.value,
            allow_backorders=False,
        )
        .returning(channels.c.id)
    )
    return (await conn.execute(stmt)).scalar_one()
