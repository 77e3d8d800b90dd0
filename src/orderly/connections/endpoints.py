"""The connections API (`/v1/connections`) and the platforms' webhook door (`/hooks/...`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from orderly.connections import inbox, pools, service
from orderly.connections.schemas import (
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    EventOut,
    StockPoolsIn,
    StockPoolsOut,
    SyncQueued,
)
from orderly.connections.service import Installation
from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.tenancy.deps import Reader, SettingsWriter

router = APIRouter(tags=["connections"])
hooks = APIRouter(tags=["connections"], include_in_schema=True)

ConnectionId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _installation(request: Request) -> Installation:
    settings = request.app.state.settings
    return Installation.of(settings)


InstallationDep = Annotated[Installation, Depends(_installation)]


@router.post(
    "/connections",
    response_model=ConnectionOut,
    status_code=201,
    summary="Connect a channel to its sales platform",
    responses=responses(
        403, 422, described={409: "The channel has a connection (`channel_already_connected`)"}
    ),
)
async def create_connection(
    data: ConnectionIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    installation: InstallationDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> Created:
        out = await service.create_connection(
            conn, principal.org_id, data, installation=installation
        )
        return 201, out.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/stock-pools", response_model=StockPoolsOut, summary="How stock is shown to channels")
async def get_stock_pools(conn: Conn, principal: Reader) -> StockPoolsOut:
    return await pools.get_pools(conn, principal.org_id)


@router.put(
    "/stock-pools",
    response_model=StockPoolsOut,
    summary="Share one pool, or give each channel a share of the stock",
    responses=responses(403, 422),
)
async def set_stock_pools(
    data: StockPoolsIn, conn: Conn, principal: SettingsWriter
) -> StockPoolsOut:
    """`shared`: every channel sees the available units less its buffer. `allocated`: each
    channel named in `shares` sees its percent or fixed units of them (percents add up to 100
    at most), and one not named sees none. Every SKU is pushed again."""
    return await pools.set_pools(conn, principal.org_id, data)


@router.get("/connections", response_model=Page[ConnectionOut], summary="List connections")
async def list_connections(
    conn: Conn,
    principal: Reader,
    installation: InstallationDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ConnectionOut]:
    after = int(cursor) if cursor and cursor.isdigit() else None
    return await service.list_connections(
        conn, principal.org_id, limit=limit, after_id=after, installation=installation
    )


@router.get(
    "/connections/{connection_id}",
    response_model=ConnectionOut,
    summary="A connection: health, last pull and push, cursor, pending work, recent errors",
    responses=responses(404),
)
async def get_connection(
    connection_id: ConnectionId, conn: Conn, principal: Reader, installation: InstallationDep
) -> ConnectionOut:
    return await service.get_connection(
        conn, principal.org_id, connection_id, installation=installation
    )


@router.patch(
    "/connections/{connection_id}",
    response_model=ConnectionOut,
    summary="Change a connection's address, credentials, settings or activity",
    responses=responses(403, 404, 422),
)
async def update_connection(
    connection_id: ConnectionId,
    patch: ConnectionPatch,
    conn: Conn,
    principal: SettingsWriter,
    installation: InstallationDep,
) -> ConnectionOut:
    return await service.update_connection(
        conn, principal.org_id, connection_id, patch, installation=installation
    )


@router.delete(
    "/connections/{connection_id}",
    status_code=204,
    summary="Remove a connection (its orders stay)",
    responses=responses(403, 404),
)
async def delete_connection(
    connection_id: ConnectionId, conn: Conn, principal: SettingsWriter
) -> Response:
    await service.delete_connection(conn, principal.org_id, connection_id)
    return Response(status_code=204)


@router.post(
    "/connections/{connection_id}/sync",
    response_model=SyncQueued,
    status_code=202,
    summary="Pull the orders changed since the cursor, now",
    responses=responses(403, 404),
)
async def sync_now(
    connection_id: ConnectionId, conn: Conn, principal: SettingsWriter
) -> SyncQueued:
    return await service.request_pull(conn, principal.org_id, connection_id)


@router.post(
    "/connections/{connection_id}/inventory-resync",
    response_model=SyncQueued,
    status_code=202,
    summary="Push every SKU's available stock to the platform",
    responses=responses(403, 404),
)
async def inventory_resync(
    connection_id: ConnectionId, conn: Conn, principal: SettingsWriter
) -> SyncQueued:
    return await service.request_stock_resync(conn, principal.org_id, connection_id)


@router.get(
    "/connections/{connection_id}/events",
    response_model=list[EventOut],
    summary="The connection's inbox, newest first",
    responses=responses(404),
)
async def list_events(
    connection_id: ConnectionId,
    conn: Conn,
    principal: Reader,
    status: Literal["pending", "done", "ignored", "needs_mapping", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EventOut]:
    return await service.list_events(
        conn, principal.org_id, connection_id, status=status, limit=limit
    )


@router.post(
    "/connections/{connection_id}/events/{event_id}/retry",
    response_model=EventOut,
    summary="Map an inbox event again now (it waited for a SKU, or failed)",
    responses=responses(403, 404),
)
async def retry_event(
    connection_id: ConnectionId,
    event_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    conn: Conn,
    principal: SettingsWriter,
) -> EventOut:
    return await service.retry_event(conn, principal.org_id, connection_id, event_id)


@hooks.post(
    "/hooks/{platform}/{connection_id}",
    summary="A sales platform's webhook (signed by the platform; no API key)",
    responses=responses(401, 404),
)
async def receive_webhook(
    platform: Annotated[str, Path(max_length=50)],
    connection_id: ConnectionId,
    request: Request,
    tx: Tx,
    installation: InstallationDep,
) -> Response:
    """Verified by the platform's own signature, kept raw in the inbox in this transaction,
    answered at once; a job maps it."""
    await inbox.receive_webhook(
        tx,
        installation,
        platform=platform,
        connection_id=connection_id,
        headers=dict(request.headers),
        body=await request.body(),
    )
    return Response(status_code=200)
