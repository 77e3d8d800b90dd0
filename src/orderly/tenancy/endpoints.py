"""The organization's hierarchy and API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderly.kit.deps import Conn, Tx
from orderly.kit.idempotency import CreatedWithSecret, IdempotencyKey, run_idempotent
from orderly.kit.params import ResourceId
from orderly.kit.problems import responses
from orderly.tenancy import access, hierarchy
from orderly.tenancy.deps import AccessAdmin, Reader, SettingsWriter
from orderly.tenancy.key_cache import ApiKeyCache
from orderly.tenancy.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    BrandIn,
    BrandNode,
    LocationGroupIn,
    NewApiKeyOut,
    NodeOut,
    RegionIn,
)

router = APIRouter(tags=["organization"])
ERRORS = responses(403, 409, 422)


@router.get("/hierarchy", response_model=list[BrandNode], summary="Brands > regions > groups")
async def get_hierarchy(conn: Conn, principal: Reader) -> list[dict[str, Any]]:
    return await hierarchy.hierarchy(conn, principal.org_id)


@router.post("/brands", status_code=201, response_model=NodeOut, responses=ERRORS)
async def create_brand(body: BrandIn, conn: Conn, principal: SettingsWriter) -> dict[str, Any]:
    return await hierarchy.create_brand(conn, principal.org_id, code=body.code, name=body.name)


@router.post("/regions", status_code=201, response_model=NodeOut, responses=ERRORS)
async def create_region(body: RegionIn, conn: Conn, principal: SettingsWriter) -> dict[str, Any]:
    return await hierarchy.create_region(
        conn, principal.org_id, code=body.code, name=body.name, brand=body.brand
    )


@router.post("/location-groups", status_code=201, response_model=NodeOut, responses=ERRORS)
async def create_location_group(
    body: LocationGroupIn, conn: Conn, principal: SettingsWriter
) -> dict[str, Any]:
    return await hierarchy.create_location_group(
        conn, principal.org_id, code=body.code, name=body.name, region=body.region
    )


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(conn: Conn, principal: AccessAdmin) -> list[dict[str, Any]]:
    return await access.list_api_keys(conn, principal.org_id)


@router.post("/api-keys", status_code=201, response_model=NewApiKeyOut, responses=ERRORS)
async def issue_api_key(
    request: Request,
    body: ApiKeyIn,
    conn: Conn,
    tx: Tx,
    principal: AccessAdmin,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The key is in this response only; Orderly keeps its hash. A replay of the request with
    the same Idempotency-Key is 409 `idempotency_secret_not_replayable`."""

    async def create() -> CreatedWithSecret:
        issued = await access.issue_api_key(conn, principal, name=body.name, role=body.role)
        shown = NewApiKeyOut(**issued)
        return CreatedWithSecret(
            201,
            shown.model_dump_json().encode(),
            kept=shown.model_dump_json(exclude={"key"}).encode(),
        )

    return await run_idempotent(
        tx, request, org_id=principal.org_id, key=idempotency_key, create=create
    )


@router.post(
    "/api-keys/{key_id}/revoke",
    response_model=ApiKeyOut,
    responses=responses(403, 404, 409),
)
async def revoke_api_key(
    key_id: ResourceId, request: Request, conn: Conn, principal: AccessAdmin
) -> dict[str, Any]:
    revoked = await access.revoke_api_key(conn, principal, key_id)
    # This process forgets the keys it knew at once; every process (this one too) forgets
    # them again when the change commits and its notification arrives (tenancy.key_cache).
    known_keys: ApiKeyCache = request.app.state.api_keys
    known_keys.forget_all()
    return revoked
