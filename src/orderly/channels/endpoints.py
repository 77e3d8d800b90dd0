from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from orderly.channels import service
from orderly.channels.domain import ChannelKind
from orderly.channels.schemas import ChannelIn, ChannelOut, ChannelPatch
from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.tenancy.deps import Reader, SettingsWriter

router = APIRouter(tags=["channels"])

ChannelId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/channels",
    response_model=ChannelOut,
    status_code=201,
    summary="Create a sales channel",
    responses=responses(403, 422, described={409: "The code is taken (`channel_code_taken`)"}),
)
async def create_channel(
    data: ChannelIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> Created:
        channel = await service.create_channel(conn, principal.org_id, data)
        return 201, channel.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/channels", response_model=Page[ChannelOut], summary="List sales channels")
async def list_channels(
    conn: Conn,
    principal: Reader,
    kind: ChannelKind | None = None,
    active: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ChannelOut]:
    return await service.list_channels(
        conn, principal.org_id, kind=kind, active=active, limit=limit, cursor=cursor
    )


@router.get(
    "/channels/{channel_id}",
    response_model=ChannelOut,
    summary="Get a sales channel",
    responses=responses(404),
)
async def get_channel(channel_id: ChannelId, conn: Conn, principal: Reader) -> ChannelOut:
    return await service.get_channel(conn, principal.org_id, channel_id)


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelOut,
    summary="Change a sales channel (its code cannot change; `settings` is replaced whole)",
    responses=responses(403, 404, 422),
)
async def update_channel(
    channel_id: ChannelId, patch: ChannelPatch, conn: Conn, principal: SettingsWriter
) -> ChannelOut:
    return await service.update_channel(conn, principal.org_id, channel_id, patch)


@router.post(
    "/channels/{channel_id}/deactivate",
    response_model=ChannelOut,
    summary="Deactivate a sales channel: it keeps its orders but accepts no new ones",
    responses=responses(403, 404),
)
async def deactivate_channel(
    channel_id: ChannelId, conn: Conn, principal: SettingsWriter
) -> ChannelOut:
    return await service.set_channel_active(conn, principal.org_id, channel_id, active=False)


@router.post(
    "/channels/{channel_id}/activate",
    response_model=ChannelOut,
    summary="Activate a sales channel again",
    responses=responses(403, 404),
)
async def activate_channel(
    channel_id: ChannelId, conn: Conn, principal: SettingsWriter
) -> ChannelOut:
    return await service.set_channel_active(conn, principal.org_id, channel_id, active=True)
