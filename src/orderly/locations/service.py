"""Locations: create, read, list, update, (de)activate, and lookups for other features."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.locations import repository
from orderly.locations.domain import Capability as Capability
from orderly.locations.domain import LocationKind as LocationKind
from orderly.locations.domain import LocationRef as LocationRef
from orderly.locations.errors import LocationCodeTaken, LocationNotFound, UnknownLocationGroup
from orderly.locations.schemas import LocationIn, LocationOut, LocationPatch
from orderly.tenancy import service as tenancy


async def create_location(conn: AsyncConnection, org_id: int, data: LocationIn) -> LocationOut:
    values = data.model_dump(mode="json", exclude={"group", "ships_to"})
    values["country"] = data.address.country
    values["ships_to"] = data.ships_to if data.ships_to is not None else [data.address.country]
    values["group_id"] = await _group_id(conn, org_id, data.group)
    row = await repository.insert_location(conn, org_id=org_id, values=values)
    if row is None:
        raise LocationCodeTaken(f"a location with code {data.code!r} already exists", field="code")
    return _location_out(row, data.group)


async def get_location(conn: AsyncConnection, org_id: int, location_id: int) -> LocationOut:
    row = await _find(conn, org_id, location_id)
    return (await _with_group_codes(conn, org_id, [row]))[0]


async def list_locations(
    conn: AsyncConnection,
    org_id: int,
    *,
    kind: LocationKind | None = None,
    active: bool | None = None,
    capability: Capability | None = None,
    code: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[LocationOut]:
    rows = await repository.list_locations(
        conn,
        org_id=org_id,
        kind=kind.value if kind else None,
        active=active,
        capability=capability.value if capability else None,
        code=code,
        after_id=id_cursor(cursor),
        limit=limit + 1,
    )
    items = await _with_group_codes(conn, org_id, rows[:limit])
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page[LocationOut](items=items, next_cursor=next_cursor)


async def update_location(
    conn: AsyncConnection, org_id: int, location_id: int, patch: LocationPatch
) -> LocationOut:
    values = patch.model_dump(mode="json", exclude_unset=True, exclude={"group"})
    if patch.address is not None:
        values["address"] = patch.address.model_dump(mode="json")
        values["country"] = patch.address.country
    if "group" in patch.model_fields_set:
        values["group_id"] = await _group_id(conn, org_id, patch.group)
    row = await repository.update_location(
        conn, org_id=org_id, location_id=location_id, values=values
    )
    if row is None:
        raise _not_found(location_id)
    return (await _with_group_codes(conn, org_id, [row]))[0]


async def set_location_active(
    conn: AsyncConnection, org_id: int, location_id: int, *, active: bool
) -> LocationOut:
    """Deactivated locations keep their stock and history but take no new orders."""
    row = await repository.update_location(
        conn, org_id=org_id, location_id=location_id, values={"active": active}
    )
    if row is None:
        raise _not_found(location_id)
    return (await _with_group_codes(conn, org_id, [row]))[0]


async def locations_by_code(
    conn: AsyncConnection, org_id: int, codes: Sequence[str]
) -> dict[str, LocationRef]:
    """The organization's locations with these codes, active or not; unknown codes are absent."""
    if not codes:
        return {}
    rows = await repository.find_locations_by_code(conn, org_id=org_id, codes=codes)
    return {row.code: _location_ref(row) for row in rows}


async def locations_by_id(
    conn: AsyncConnection, org_id: int, ids: Collection[int]
) -> dict[int, LocationRef]:
    """The organization's locations with these ids; ids of other organizations are absent."""
    if not ids:
        return {}
    rows = await repository.find_locations_by_id(conn, org_id=org_id, ids=sorted(ids))
    return {row.id: _location_ref(row) for row in rows}


async def location_by_id(conn: AsyncConnection, org_id: int, location_id: int) -> LocationRef:
    """The organization's location with this id; LocationNotFound otherwise."""
    return _location_ref(await _find(conn, org_id, location_id))


async def _find(conn: AsyncConnection, org_id: int, location_id: int) -> sa.Row[Any]:
    row = await repository.find_location(conn, org_id=org_id, location_id=location_id)
    if row is None:
        raise _not_found(location_id)
    return row


def _not_found(location_id: int) -> LocationNotFound:
    return LocationNotFound(f"no location with id {location_id}")


async def _group_id(conn: AsyncConnection, org_id: int, code: str | None) -> int | None:
    if code is None:
        return None
    group_id = await tenancy.location_group_id(conn, org_id, code)
    if group_id is None:
        raise UnknownLocationGroup(f"no location group with code {code!r}", field="group")
    return group_id


async def _with_group_codes(
    conn: AsyncConnection, org_id: int, rows: Sequence[sa.Row[Any]]
) -> list[LocationOut]:
    group_ids = {row.group_id for row in rows if row.group_id is not None}
    codes = await tenancy.location_group_codes(conn, org_id, group_ids)
    return [_location_out(row, codes.get(row.group_id)) for row in rows]


def _location_out(row: sa.Row[Any], group: str | None) -> LocationOut:
    return LocationOut.model_validate({**row._mapping, "group": group})


def _location_ref(row: sa.Row[Any]) -> LocationRef:
    return LocationRef(
        id=row.id,
        code=row.code,
        kind=LocationKind(row.kind),
        country=row.country,
        capabilities=tuple(Capability(c) for c in row.capabilities),
        active=row.active,
        priority=row.priority,
        latitude=row.latitude,
        longitude=row.longitude,
        ships_to=tuple(row.ships_to),
    )
