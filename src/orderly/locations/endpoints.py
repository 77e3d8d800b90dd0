from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import Created, IdempotencyKey, run_idempotent
from orderly.kit.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from orderly.kit.problems import responses
from orderly.locations import service
from orderly.locations.domain import Capability, LocationKind
from orderly.locations.schemas import LocationIn, LocationOut, LocationPatch
from orderly.tenancy.deps import Reader, SettingsWriter

router = APIRouter(tags=["locations"])

LocationId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Filter = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]


@router.post(
    "/locations",
    response_model=LocationOut,
    status_code=201,
    summary="Create a location",
    responses=responses(403, 422, described={409: "The code is taken (`location_code_taken`)"}),
)
async def create_location(
    data: LocationIn,
    request: Request,
    conn: Conn,
    tx: Tx,
    principal: SettingsWriter,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> Created:
        location = await service.create_location(conn, principal.org_id, data)
        return 201, location.model_dump_json().encode()

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.get("/locations", response_model=Page[LocationOut], summary="List locations")
async def list_locations(
    conn: Conn,
    principal: Reader,
    kind: LocationKind | None = None,
    active: bool | None = None,
    capability: Capability | None = None,
    code: Filter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[LocationOut]:
    return await service.list_locations(
        conn,
        principal.org_id,
        kind=kind,
        active=active,
        capability=capability,
        code=code,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/locations/{location_id}",
    response_model=LocationOut,
    summary="Get a location",
    responses=responses(404),
)
async def get_location(location_id: LocationId, conn: Conn, principal: Reader) -> LocationOut:
    return await service.get_location(conn, principal.org_id, location_id)


@router.patch(
    "/locations/{location_id}",
    response_model=LocationOut,
    summary="Change a location (its code cannot change)",
    responses=responses(403, 404, 422),
)
async def update_location(
    location_id: LocationId, patch: LocationPatch, conn: Conn, principal: SettingsWriter
) -> LocationOut:
    return await service.update_location(conn, principal.org_id, location_id, patch)


@router.post(
    "/locations/{location_id}/deactivate",
    response_model=LocationOut,
    summary="Deactivate a location: it keeps its stock and history but takes no new orders",
    responses=responses(403, 404),
)
async def deactivate_location(
    location_id: LocationId, conn: Conn, principal: SettingsWriter
) -> LocationOut:
    return await service.set_location_active(conn, principal.org_id, location_id, active=False)


@router.post(
    "/locations/{location_id}/activate",
    response_model=LocationOut,
    summary="Activate a location again",
    responses=responses(403, 404),
)
async def activate_location(
    location_id: LocationId, conn: Conn, principal: SettingsWriter
) -> LocationOut:
    return await service.set_location_active(conn, principal.org_id, location_id, active=True)
