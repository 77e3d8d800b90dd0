"""Managing the organization's API keys over the API: list, issue, revoke."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import NotFound
from orderly.tenancy import repository, service
from orderly.tenancy.domain import Principal, Role
from orderly.tenancy.errors import LastOwner, RoleAboveYours
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
    """A new key, shown once. Nobody may issue a key above their own role."""
    if not principal.may_manage(role):
        raise RoleAboveYours(
            f"your role ({principal.role.value}) may not issue {role.value} keys", field="role"
        )
    new = await service.create_api_key(conn, org_id=principal.org_id, role=role, name=name)
    row = (await conn.execute(sa.select(*_COLUMNS).where(api_keys.c.id == new.id))).one()
    return {**row._mapping, "key": new.key}


async def revoke_api_key(
    conn: AsyncConnection, principal: Principal, key_id: int
) -> dict[str, Any]:
    """Revoke a key; not one above the caller's own role, nor the organization's last owner."""
    role = (
        await conn.execute(
            sa.select(api_keys.c.role).where(
                api_keys.c.org_id == principal.org_id,
                api_keys.c.id == key_id,
                api_keys.c.revoked_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if role is not None:
        await _may_remove(conn, principal, key_id, Role(role))
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


async def _may_remove(conn: AsyncConnection, principal: Principal, key_id: int, role: Role) -> None:
    if not principal.may_manage(role):
        raise RoleAboveYours(f"your role ({principal.role.value}) may not revoke {role.value} keys")
    if role is Role.OWNER and not await repository.count_other_owners(
        conn, principal.org_id, except_key=key_id
    ):
        raise LastOwner("this is the organization's last owner: make another owner first")
