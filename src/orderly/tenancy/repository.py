from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import fetch_one
from orderly.tenancy.domain import Role
from orderly.tenancy.models import api_keys, location_groups, organizations, users


async def insert_organization(conn: AsyncConnection, *, slug: str, name: str) -> int | None:
    stmt = (
        sa.dialects.postgresql.insert(organizations)
        .values(slug=slug, name=name)
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(organizations.c.id)
    )
    org_id: int | None = (await conn.execute(stmt)).scalar_one_or_none()
    return org_id


async def find_organization(conn: AsyncConnection, slug: str) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(organizations).where(organizations.c.slug == slug))).first()
    return dict(row._mapping) if row else None


async def insert_api_key(
    conn: AsyncConnection, *, org_id: int, name: str, prefix: str, key_hash: bytes, role: str
) -> int:
    stmt = (
        sa.insert(api_keys)
        .values(org_id=org_id, name=name, prefix=prefix, key_hash=key_hash, role=role)
        .returning(api_keys.c.id)
    )
    key_id: int = (await conn.execute(stmt)).scalar_one()
    return key_id


async def count_other_owners(
    conn: AsyncConnection,
    org_id: int,
    *,
    except_user: int | None = None,
    except_key: int | None = None,
) -> int:
    """Active owner users and unrevoked owner keys of the organization, but the one named.

    Locks the organization's row first, so that two owners removing each other at the same
    time are counted one after the other and cannot both succeed."""
    await conn.execute(
        sa.select(organizations.c.id)
        .where(organizations.c.id == org_id)
        .with_for_update(key_share=True)
    )
    owner_users = sa.select(users.c.id).where(
        users.c.org_id == org_id, users.c.role == Role.OWNER.value, users.c.active
    )
    if except_user is not None:
        owner_users = owner_users.where(users.c.id != except_user)
    owner_keys = sa.select(api_keys.c.id).where(
        api_keys.c.org_id == org_id,
        api_keys.c.role == Role.OWNER.value,
        api_keys.c.revoked_at.is_(None),
    )
    if except_key is not None:
        owner_keys = owner_keys.where(api_keys.c.id != except_key)
    counted = sa.select(
        sa.select(sa.func.count()).select_from(owner_users.subquery()).scalar_subquery()
        + sa.select(sa.func.count()).select_from(owner_keys.subquery()).scalar_subquery()
    )
    return int((await conn.execute(counted)).scalar_one())


_KEY_LOOKUP = (
    "SELECT org_id, role, prefix FROM api_keys WHERE key_hash = %(key_hash)s AND revoked_at IS NULL"
)


async def find_active_key(conn: AsyncConnection, key_hash: bytes) -> Any:
    """The first statement of nearly every request (BEGIN travels with it)."""
    return await fetch_one(conn, _KEY_LOOKUP, {"key_hash": key_hash})


async def create_order_number_sequence(conn: AsyncConnection, org_id: int) -> None:
    # A sequence per organization: order numbers never contend on a counter row.
    await conn.execute(sa.text(f"CREATE SEQUENCE IF NOT EXISTS order_number_{org_id} START 1001"))


async def find_location_group_id(conn: AsyncConnection, *, org_id: int, code: str) -> int | None:
    stmt = sa.select(location_groups.c.id).where(
        location_groups.c.org_id == org_id, location_groups.c.code == code
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def find_location_group_codes(
    conn: AsyncConnection, *, org_id: int, ids: list[int]
) -> dict[int, str]:
    stmt = sa.select(location_groups.c.id, location_groups.c.code).where(
        location_groups.c.org_id == org_id, location_groups.c.id.in_(ids)
    )
    return {row.id: row.code for row in await conn.execute(stmt)}


async def fraud_hold_threshold(conn: AsyncConnection, org_id: int) -> int:
    stmt = sa.select(organizations.c.fraud_hold_threshold).where(organizations.c.id == org_id)
    return int((await conn.execute(stmt)).scalar_one())


async def set_fraud_hold_threshold(conn: AsyncConnection, org_id: int, threshold: int) -> None:
    await conn.execute(
        sa.update(organizations)
        .where(organizations.c.id == org_id)
        .values(fraud_hold_threshold=threshold)
    )
