"""A sale rung up at a Square register comes in through the Square connection and is recorded
as handed over at the store its Square location maps to: the store's stock drops at once, and
nothing is fulfilled. Square is its documented fake."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orderly.connections import service, sync
from orderly.connections.schemas import ConnectionIn
from orderly.connections.service import Installation
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.kit.vendor_http import use_clock, use_transport
from orderly.settings import Settings
from tests.clock import MovableClock
from tests.connections.fakes.square import FakeSquare
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    order_view,
    receive_stock,
)
from tests.orders.helpers import ledger_mismatches

BASE = "https://connect.squareup.test"


@pytest.fixture
def square() -> Iterator[FakeSquare]:
    clock = MovableClock()
    use_clock(clock)
    fake = FakeSquare(clock)
    use_transport({BASE: httpx.ASGITransport(app=fake.app)}.get)
    yield fake
    use_transport(None)
    use_clock(None)


async def _connect(
    db: Database,
    org: Org,
    square: FakeSquare,
    settings: Settings,
    location_map: dict[str, list[str]],
) -> tuple[Installation, int]:
    installation = Installation(
        allow_private_urls=True, public_url="https://orderly.example.com", vault=vault_for(settings)
    )
    await create_channel(db, org, "square", kind="pos")
    async with db.transaction() as tx:
        created = await service.create_connection(
            tx.connection,
            org.id,
            ConnectionIn(
                channel="square",
                platform="square",
                base_url=BASE,
                credentials=square.credentials,
                settings={"location_map": location_map, "push_stock": False},
            ),
            installation=installation,
        )
    return installation, created.id


async def test_a_register_sale_is_handed_over_at_the_mapped_store(
    db: Database, org: Org, client: httpx.AsyncClient, square: FakeSquare, settings: Settings
) -> None:
    await create_location(db, org, "ST1", kind="store", capabilities=("pickup",))
    await create_sku(db, org, "MUG-1")
    await receive_stock(db, org, "MUG-1", "ST1", 5)
    square.add_product("MUG-1")
    installation, connection_id = await _connect(
        db, org, square, settings, {square.location_id: ["ST1"]}
    )
    sale_id = square.counter_sale([("MUG-1", 2)])

    assert await sync.pull(db, installation, connection_id) == 1

    listed = await client.get("/v1/orders", params={"channel": "square"}, headers=org.headers)
    [summary] = listed.json()["items"]
    order = await order_view(db, org, summary["id"])
    assert order["external_id"] == sale_id
    assert order["status"] == "delivered" and order["pickup_location"] == "ST1"
    assert order["payments"][0]["method"] == "cash"
    assert order["payments"][0]["captured"] == order["total"]
    stock = await client.get("/v1/inventory", params={"sku": "MUG-1"}, headers=org.headers)
    [level] = stock.json()["items"][0]["locations"]
    assert (level["on_hand"], level["reserved"]) == (3, 0)
    fos = await client.get(
        "/v1/fulfillment-orders", params={"order_id": order["id"]}, headers=org.headers
    )
    assert fos.json()["items"] == []
    # Pulled again, it is the same sale.
    assert await sync.pull(db, installation, connection_id) == 0
    assert await ledger_mismatches(db, org.id) == []


async def test_a_sale_beyond_the_stores_count_is_recorded_and_flagged(
    db: Database, org: Org, client: httpx.AsyncClient, square: FakeSquare, settings: Settings
) -> None:
    await create_location(db, org, "ST1", kind="store", capabilities=("pickup",))
    await create_sku(db, org, "MUG-1")
    await receive_stock(db, org, "MUG-1", "ST1", 1)
    square.add_product("MUG-1")
    installation, connection_id = await _connect(
        db, org, square, settings, {square.location_id: ["ST1"]}
    )
    square.counter_sale([("MUG-1", 3)])

    assert await sync.pull(db, installation, connection_id) == 1

    listed = await client.get("/v1/orders", params={"channel": "square"}, headers=org.headers)
    [summary] = listed.json()["items"]
    events = await client.get(f"/v1/orders/{summary['id']}/events", headers=org.headers)
    [short] = [e for e in events.json()["items"] if e["type"] == "pos.stock_short"]
    assert short["data"]["units"] == {"MUG-1": 2}
    stock = await client.get("/v1/inventory", params={"sku": "MUG-1"}, headers=org.headers)
    assert stock.json()["items"][0]["locations"][0]["on_hand"] == 0
    assert await ledger_mismatches(db, org.id) == []


async def test_a_register_at_an_unmapped_location_waits_for_a_mapping(
    db: Database, org: Org, client: httpx.AsyncClient, square: FakeSquare, settings: Settings
) -> None:
    await create_location(db, org, "ST1", kind="store", capabilities=("pickup",))
    await create_sku(db, org, "MUG-1")
    square.add_product("MUG-1")
    installation, connection_id = await _connect(db, org, square, settings, {})
    square.counter_sale([("MUG-1", 1)])

    await sync.pull(db, installation, connection_id)

    listed = await client.get("/v1/orders", params={"channel": "square"}, headers=org.headers)
    assert listed.json()["items"] == []
    shown = await client.get(f"/v1/connections/{connection_id}", headers=org.headers)
    assert shown.json()["events"]["needs_mapping"] == 1
