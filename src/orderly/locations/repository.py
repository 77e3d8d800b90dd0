from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.locations.models import locations

_CODES = sa.bindparam("codes", type_=pg.ARRAY(sa.Text))
_IDS = sa.bindparam("ids", type_=pg.ARRAY(sa.BigInteger))


async def insert_location(
    conn: AsyncConnection, *, org_id: int, values: dict[str, Any]
) -> sa.Row[Any] | None:
    """Insert a location; None when its code is already taken in the organization."""
    stmt = (
        pg.insert(locations)
        .values(org_id=org_id, **values)
        .on_conflict_do_nothing(index_elements=["org_id", "code"])
        .returning(locations)
    )
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row


async def find_location(
    conn: AsyncConnection, *, org_id: int, location_id: int
) -> sa.Row[Any] | None:
    stmt = sa.select(locations).where(locations.c.org_id == org_id, locations.c.id == location_id)
    return (await conn.execute(stmt)).first()


async def find_locations_by_code(
    conn: AsyncConnection, *, org_id: int, codes: Sequence[str]
) -> Sequence[sa.Row[Any]]:
    stmt = sa.select(locations).where(
        locations.c.org_id == org_id, locations.c.code == sa.any_(_CODES)
    )
    return (await conn.execute(stmt, {"codes": list(codes)})).all()


async def find_locations_by_id(
    conn: AsyncConnection, *, org_id: int, ids: Sequence[int]
) -> Sequence[sa.Row[Any]]:
    stmt = sa.select(locations).where(locations.c.org_id == org_id, locations.c.id == sa.any_(_IDS))
    return (await conn.execute(stmt, {"ids": list(ids)})).all()


async def list_locations(
    conn: AsyncConnection,
    *,
    org_id: int,
    kind: str | None,
    active: bool | None,
    capability: str | None,
    code: str | None,
    after_id: int | None,
    limit: int,
) -> Sequence[sa.Row[Any]]:
    stmt = sa.select(locations).where(locations.c.org_id == org_id)
    if kind is not None:
        stmt = stmt.where(locations.c.kind == kind)
    if active is not None:
        stmt = stmt.where(locations.c.active == active)
    if capability is not None:
        stmt = stmt.where(sa.literal(capability) == sa.any_(locations.c.capabilities))
    if code is not None:
        stmt = stmt.where(locations.c.code == code)
    if after_id is not None:
        stmt = stmt.where(locations.c.id > after_id)
    stmt = stmt.order_by(locations.c.id).limit(limit)
    return (await conn.execute(stmt)).all()


async def update_location(
    conn: AsyncConnection, *, org_id: int, location_id: int, values: dict[str, Any]
) -> sa.Row[Any] | None:
    """Change a location; None when the organization has no location with this id.

    When the country changes and `ships_to` is not given, a location that shipped only to
    its own country (the default) now ships only to its new one.
    """
    if "country" in values and "ships_to" not in values:
        values = {**values, "ships_to": _ships_to_following(values["country"])}
    stmt = (
        sa.update(locations)
        .where(locations.c.org_id == org_id, locations.c.id == location_id)
        .values(**values, updated_at=sa.func.now())
        .returning(locations)
    )
    row: sa.Row[Any] | None = (await conn.execute(stmt)).first()
    return row


def _ships_to_following(country: str) -> sa.ColumnElement[Any]:
    own_country_only = pg.array([sa.cast(locations.c.country, sa.Text)])
    return sa.case(
        (locations.c.ships_to == own_country_only, sa.cast([country], pg.ARRAY(sa.Text))),
        else_=locations.c.ships_to,
    )
