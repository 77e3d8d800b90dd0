"""The lookups that inventory, orders and sourcing make of locations."""

from __future__ import annotations

import httpx
import pytest

from orderly.kit.db import Database
from orderly.locations import service
from orderly.locations.errors import LocationNotFound
from orderly.tenancy.domain import Role
from tests.factories import Org, make_org
from tests.locations.test_location_endpoints import create


async def test_locations_by_code_finds_known_codes_only(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    wh = await create(client, org, code="WH1", priority=10, ships_to=["US", "CA"])
    store = await create(
        client, org, code="ST1", kind="store", capabilities=["pickup", "ship_from_store"]
    )
    await client.post(f"/v1/locations/{store['id']}/deactivate", headers=org.headers)
    async with db.transaction() as transaction:
        conn = transaction.connection
        found = await service.locations_by_code(conn, org.id, ["WH1", "ST1", "NOPE"])
    assert set(found) == {"WH1", "ST1"}
    wh1 = found["WH1"]
    assert wh1.id == wh["id"]
    assert wh1.kind == service.LocationKind.WAREHOUSE
    assert wh1.country == "US"
    assert wh1.capabilities == (service.Capability.SHIP,)
    assert wh1.priority == 10
    assert (wh1.latitude, wh1.longitude) == (40.73, -74.17)
    assert wh1.active is True
    assert wh1.ships_to_country("CA") and not wh1.ships_to_country("MX")
    assert found["ST1"].active is False
    assert found["ST1"].can(service.Capability.PICKUP)


async def test_another_orgs_codes_are_not_found(
    client: httpx.AsyncClient, db: Database, org: Org
) -> None:
    created = await create(client, org, code="WH1")
    other = await make_org(db, Role.ADMIN)
    async with db.transaction() as transaction:
        conn = transaction.connection
        assert await service.locations_by_code(conn, other.id, ["WH1"]) == {}
        assert await service.locations_by_code(conn, org.id, []) == {}
        with pytest.raises(LocationNotFound):
            await service.location_by_id(conn, other.id, created["id"])
        ref = await service.location_by_id(conn, org.id, created["id"])
    assert ref.code == "WH1"
