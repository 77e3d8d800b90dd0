"""Lists the pages offer in their pickers, read through each feature's service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.channels import service as channels
from orderly.channels.schemas import ChannelOut
from orderly.kit.errors import NotFound
from orderly.locations import service as locations
from orderly.locations.schemas import LocationOut
from orderly.tenancy.users import User

MOST = 500


async def org_locations(conn: AsyncConnection, user: User) -> list[LocationOut]:
    """Every location of the organization, by code."""
    page = await locations.list_locations(conn, user.org_id, limit=MOST)
    return sorted(page.items, key=lambda loc: loc.code)


async def my_locations(
    conn: AsyncConnection, user: User, *, capability: str | None = None
) -> list[LocationOut]:
    """The active locations this user works at (all for an unlimited user)."""
    return [
        loc
        for loc in await org_locations(conn, user)
        if loc.active
        and user.may_work_at(loc.id)
        and (capability is None or capability in loc.capabilities)
    ]


async def my_location(
    conn: AsyncConnection, user: User, code: str, *, capability: str | None = None
) -> LocationOut:
    for loc in await my_locations(conn, user, capability=capability):
        if loc.code == code:
            return loc
    raise NotFound(f"there is no location {code} for you here")


async def org_channels(conn: AsyncConnection, user: User) -> list[ChannelOut]:
    return (await channels.list_channels(conn, user.org_id, limit=MOST)).items
