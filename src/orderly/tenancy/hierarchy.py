"""The organization's hierarchy: brand > region > location group (locations hang off a group)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import Conflict, InvalidInput
from orderly.tenancy.models import brands, location_groups, regions


class HierarchyCodeTaken(Conflict):
    code = "hierarchy_code_taken"


class UnknownParent(InvalidInput):
    code = "unknown_parent"


async def create_brand(
    conn: AsyncConnection, org_id: int, *, code: str, name: str
) -> dict[str, Any]:
    return await _insert(conn, brands, org_id, code=code, name=name)


async def create_region(
    conn: AsyncConnection, org_id: int, *, code: str, name: str, brand: str
) -> dict[str, Any]:
    brand_id = await _parent_id(conn, brands, org_id, brand, field="brand")
    return await _insert(conn, regions, org_id, code=code, name=name, brand_id=brand_id)


async def create_location_group(
    conn: AsyncConnection, org_id: int, *, code: str, name: str, region: str
) -> dict[str, Any]:
    region_id = await _parent_id(conn, regions, org_id, region, field="region")
    return await _insert(conn, location_groups, org_id, code=code, name=name, region_id=region_id)


async def hierarchy(conn: AsyncConnection, org_id: int) -> list[dict[str, Any]]:
    """Brands with their regions and location groups, as a tree ordered by code."""
    rows = await conn.execute(
        sa.text(
            """
            SELECT b.code AS brand, b.name AS brand_name, r.code AS region,
                   r.name AS region_name, g.code AS grp, g.name AS group_name
              FROM brands b
              LEFT JOIN regions r ON r.brand_id = b.id AND r.org_id = b.org_id
              LEFT JOIN location_groups g ON g.region_id = r.id AND g.org_id = b.org_id
             WHERE b.org_id = :org_id
             ORDER BY b.code, r.code, g.code
            """
        ),
        {"org_id": org_id},
    )
    tree: dict[str, dict[str, Any]] = {}
    for row in rows:
        brand = tree.setdefault(
            row.brand, {"code": row.brand, "name": row.brand_name, "regions": {}}
        )
        if row.region is None:
            continue
        region = brand["regions"].setdefault(
            row.region, {"code": row.region, "name": row.region_name, "location_groups": []}
        )
        if row.grp is not None:
            region["location_groups"].append({"code": row.grp, "name": row.group_name})
    return [{**b, "regions": list(b["regions"].values())} for b in tree.values()]


async def _parent_id(
    conn: AsyncConnection, table: sa.Table, org_id: int, code: str, *, field: str
) -> int:
    found = (
        await conn.execute(
            sa.select(table.c.id).where(table.c.org_id == org_id, table.c.code == code)
        )
    ).scalar_one_or_none()
    if found is None:
        raise UnknownParent(f"no {field} {code!r}", field=field)
    return int(found)


async def _insert(
    conn: AsyncConnection, table: sa.Table, org_id: int, **values: Any
) -> dict[str, Any]:
    stmt = (
        insert(table)
        .values(org_id=org_id, **values)
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
        .returning(table.c.id, table.c.code, table.c.name, table.c.created_at)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise HierarchyCodeTaken(f"{table.name} code {values['code']!r} is taken", field="code")
    return dict(row._mapping)
