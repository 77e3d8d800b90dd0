"""Managing the organization's API keys over the API: list, issue, revoke."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import Forbidden, NotFound
from orderly.tenancy import service
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.models import api_keys

_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.role,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
)


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


async def list_api_keys(conn: AsyncConnection, org_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(*_COLUMNS).where(api_keys.c.org_id == org_id).order_by(api_keys.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def issue_api_key(
    conn: AsyncConnection, principal: Principal, *, name: str, role: Role
) -> dict[str, Any]:
    """A new key, shown once. Nobody may issue a key stronger than their own."""
    if role is Role.OWNER and principal.role is not Role.OWNER:
        raise Forbidden("only an owner may issue owner keys", field="role")
    new = await service.create_api_key(conn, org_id=principal.org_id, role=role, name=name)
    row = (await conn.execute(sa.select(*_COLUMNS).where(api_keys.c.id == new.id))).one()
    return {**row._mapping, "key": new.key}


async def revoke_api_key(
    conn: AsyncConnection, principal: Principal, key_id: int
) -> dict[str, Any]:
    row = (
        await conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.org_id == principal.org_id, api_keys.c.id == key_id)
            .values(revoked_at=sa.func.coalesce(api_keys.c.revoked_at, sa.func.now()))
            .returning(*_COLUMNS)
        )
    ).first()
    if row is None:
        raise ApiKeyNotFound(f"no API key {key_id}")
    return dict(row._mapping)
