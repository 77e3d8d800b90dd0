"""Sales channels per organization."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import repository
from orderly.channels.domain import DEFAULT_CHANNEL_CODE, ChannelKind
from orderly.channels.domain import ChannelPolicy as ChannelPolicy
from orderly.channels.errors import ChannelCodeTaken, ChannelNotFound, UnknownChannel
from orderly.channels.models import channels
from orderly.channels.schemas import ChannelIn, ChannelOut, ChannelPatch
from orderly.kit.errors import InvalidInput
from orderly.kit.pagination import Page, encode_cursor, id_cursor


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
    channel_id: int = (await conn.execute(stmt)).scalar_one()
    return channel_id


async def create_channel(conn: AsyncConnection, org_id: int, data: ChannelIn) -> ChannelOut:
    await _check_payment_account(conn, org_id, data.settings)
    row = await repository.insert_channel(conn, org_id=org_id, values=data.model_dump(mode="json"))
    if row is None:
        raise ChannelCodeTaken(f"a channel with code {data.code!r} already exists", field="code")
    return ChannelOut.model_validate(row._mapping)


async def get_channel(conn: AsyncConnection, org_id: int, channel_id: int) -> ChannelOut:
    row = await repository.find_channel(conn, org_id=org_id, channel_id=channel_id)
    if row is None:
        raise ChannelNotFound(f"no channel with id {channel_id}")
    return ChannelOut.model_validate(row._mapping)


async def list_channels(
    conn: AsyncConnection,
    org_id: int,
    *,
    kind: ChannelKind | None = None,
    active: bool | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[ChannelOut]:
    rows = await repository.list_channels(
        conn,
        org_id=org_id,
        kind=kind.value if kind else None,
        active=active,
        after_id=id_cursor(cursor),
        limit=limit + 1,
    )
    items = [ChannelOut.model_validate(row._mapping) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page[ChannelOut](items=items, next_cursor=next_cursor)


async def update_channel(
    conn: AsyncConnection, org_id: int, channel_id: int, patch: ChannelPatch
) -> ChannelOut:
    values: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)
    await _check_payment_account(conn, org_id, values.get("settings"))
    return await _update(conn, org_id, channel_id, values)


_ACCOUNT = sa.text(
    "SELECT 1 FROM payment_accounts WHERE org_id = :org_id AND code = :code AND active"
)


async def _check_payment_account(
    conn: AsyncConnection, org_id: int, settings: dict[str, Any] | None
) -> None:
    """A channel that names a payment account names one of the organization's, active."""
    code = (settings or {}).get("payment_account")
    if code is None:
        return
    found = await conn.execute(_ACCOUNT, {"org_id": org_id, "code": str(code)})
    if found.first() is None:
        raise InvalidInput(
            f"no active payment account {code!r}: connect it first (POST /v1/payment-accounts)",
            field="settings.payment_account",
        )


async def set_channel_active(
    conn: AsyncConnection, org_id: int, channel_id: int, *, active: bool
) -> ChannelOut:
    """An inactive channel keeps its orders but accepts no new ones."""
    return await _update(conn, org_id, channel_id, {"active": active})


async def channel_policy(conn: AsyncConnection, org_id: int, code: str) -> ChannelPolicy:
    """What order capture needs of the channel with this code; UnknownChannel (422, field
    `channel`) when the organization has no such channel or it is inactive."""
    row = await repository.find_active_channel_by_code(conn, org_id=org_id, code=code)
    if row is None:
        raise UnknownChannel(f"no active channel with code {code!r}", field="channel")
    return ChannelPolicy(
        id=row.id,
        code=row.code,
        kind=ChannelKind(row.kind),
        allow_backorders=row.allow_backorders,
        fulfillment_location_kinds=tuple(row.fulfillment_location_kinds),
    )


async def channel_settings(conn: AsyncConnection, org_id: int, channel_id: int) -> dict[str, Any]:
    """The free-form settings of one of the organization's channels (e.g. `return_policy`)."""
    row = await repository.find_channel(conn, org_id=org_id, channel_id=channel_id)
    if row is None:
        raise ChannelNotFound(f"no channel with id {channel_id}")
    return dict(row.settings or {})


async def _update(
    conn: AsyncConnection, org_id: int, channel_id: int, values: dict[str, Any]
) -> ChannelOut:
    row = await repository.update_channel(conn, org_id=org_id, channel_id=channel_id, values=values)
    if row is None:
        raise ChannelNotFound(f"no channel with id {channel_id}")
    return ChannelOut.model_validate(row._mapping)
