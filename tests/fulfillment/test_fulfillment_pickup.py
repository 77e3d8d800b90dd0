"""Store pickup: ready with a code, collected with it, or expired with its stock given back."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.order_flows.backorders import allocate_backorders
from orderly.order_flows.tasks import expire_uncollected_pickups
from tests.factories import (
    Org,
    create_location,
    create_product,
    place_order,
    receive_stock,
    set_boxes,
)
from tests.fulfillment.helpers import (
    FakeCarrier,
    act,
    fulfillment_orders,
    ok,
    order,
    pick,
    timeline,
)
from tests.orders.helpers import ledger_mismatches, stock_of


@pytest.fixture
async def store(db: Database, org: Org) -> Org:
    await create_location(
        db, org, "ST1", city="Boston", kind="store", capabilities=("pickup", "ship")
    )
    await create_product(db, org, "MUG")
    await receive_stock(db, org, "MUG", "ST1", 4)
    return org


async def ready_pickup(db: Database, client: httpx.AsyncClient, org: Org) -> tuple[dict, dict, str]:  # type: ignore[type-arg]
    placed = await place_order(
        db, org, [("MUG", 2)], delivery_method="pickup", pickup_location="ST1"
    )
    [fo] = await fulfillment_orders(client, org, placed["id"])
    assert fo["pickup"] is True and fo["location"] == "ST1"
    await ok(await act(client, org, fo["id"], "accept"))
    await pick(client, org, "ST1", fulfillment_order_ids=[fo["id"]])
    ready = await ok(await act(client, org, fo["id"], "ready-for-pickup"))
    assert ready["status"] == "ready_for_pickup"
    return placed, ready, ready["pickup_code"]


class TestPickup:
    async def test_collected_with_the_code(
        self, client: httpx.AsyncClient, store: Org, db: Database
    ) -> None:
        placed, fo, code = await ready_pickup(db, client, store)
        assert len(code) >= 6 and not set(code) & set("0O1IL")
        collected = await ok(await act(client, store, fo["id"], "pickup", {"code": code.lower()}))
        assert collected["status"] == "delivered"
        assert (await order(client, store, placed["id"]))["status"] == "delivered"
        level = (await stock_of(client, store.headers, "MUG"))["ST1"]
        assert (level["on_hand"], level["reserved"]) == (2, 0)
        events = await timeline(client, store, placed["id"])
        assert "fulfillment.ready_for_pickup" in events and "order.delivered" in events
        assert await ledger_mismatches(db, store.id) == []

    async def test_the_code_is_kept_nowhere_but_as_a_keyed_hash(
        self, client: httpx.AsyncClient, store: Org, db: Database
    ) -> None:
        placed, fo, code = await ready_pickup(db, client, store)
        events = await client.get(
            f"/v1/orders/{placed['id']}/events", params={"limit": 200}, headers=store.headers
        )
        assert code not in events.text
        async with db.transaction() as transaction:
            conn = transaction.connection
            stored = (
                await conn.execute(
                    sa.text(
                        "SELECT (SELECT string_agg(data::text, ' ') FROM order_events"
                        "         WHERE org_id = :org) AS events,"
                        "       (SELECT string_agg(f::text, ' ') FROM fulfillment_orders f"
                        "         WHERE org_id = :org) AS fulfillment"
                    ),
                    {"org": store.id},
                )
            ).one()
        assert code not in stored.events and code not in stored.fulfillment
        assert hashlib.sha256(f"{store.id}:{fo['id']}:{code}".encode()).hexdigest() not in (
            stored.fulfillment
        )
        collected = await ok(await act(client, store, fo["id"], "pickup", {"code": code}))
        assert collected["status"] == "delivered"

    async def test_a_wrong_code_is_refused(
        self, client: httpx.AsyncClient, store: Org, db: Database
    ) -> None:
        placed, fo, _code = await ready_pickup(db, client, store)
        wrong = await act(client, store, fo["id"], "pickup", {"code": "XXXXXXXX"})
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "invalid_pickup_code"
        assert (await order(client, store, placed["id"]))["status"] == "allocated"
        assert (await stock_of(client, store.headers, "MUG"))["ST1"]["reserved"] == 2

    async def test_not_ready_yet_is_409(
        self, db: Database, client: httpx.AsyncClient, store: Org
    ) -> None:
        placed = await place_order(
            db, store, [("MUG", 1)], delivery_method="pickup", pickup_location="ST1"
        )
        [fo] = await fulfillment_orders(client, store, placed["id"])
        early = await act(client, store, fo["id"], "ready-for-pickup")
        assert early.status_code == 409
        collect = await act(client, store, fo["id"], "pickup", {"code": "ABCDEFGH"})
        assert collect.status_code == 409

    async def test_uncollected_pickups_expire_and_release_their_stock(
        self, client: httpx.AsyncClient, store: Org, db: Database
    ) -> None:
        placed, fo, _ = await ready_pickup(db, client, store)
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await expire_uncollected_pickups(conn, datetime.now(UTC)) >= 0
        assert (await order(client, store, placed["id"]))["status"] == "allocated"

        async with db.transaction() as transaction:
            conn = transaction.connection
            expired = await expire_uncollected_pickups(conn, datetime.now(UTC) + timedelta(days=6))
        assert expired >= 1
        current = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo['id']}", headers=store.headers)
        )
        assert current["status"] == "cancelled"
        assert (await order(client, store, placed["id"]))["status"] == "cancelled"
        level = (await stock_of(client, store.headers, "MUG"))["ST1"]
        assert (level["on_hand"], level["reserved"]) == (4, 0)
        assert "fulfillment.pickup_expired" in await timeline(client, store, placed["id"])
        assert await ledger_mismatches(db, store.id) == []

    async def test_an_expired_pickup_of_a_partly_collected_order_cancels_its_units(
        self, client: httpx.AsyncClient, store: Org, db: Database
    ) -> None:
        placed = await place_order(
            db, store, [("MUG", 2)], delivery_method="pickup", pickup_location="ST1"
        )
        [first] = await fulfillment_orders(client, store, placed["id"])
        await ok(await act(client, store, first["id"], "accept"))
        one = {"reason": "no_capacity", "lines": [{"line_no": 1, "quantity": 1}]}
        await ok(await act(client, store, first["id"], "reject", one))
        assert (await order(client, store, placed["id"]))["status"] == "backordered"
        async with db.transaction() as transaction:
            conn = transaction.connection
            await allocate_backorders(conn, store.id, None, "test")
        _, second = await fulfillment_orders(client, store, placed["id"])
        for fo in (first, second):
            if fo is second:
                await ok(await act(client, store, fo["id"], "accept"))
            await pick(client, store, "ST1", fulfillment_order_ids=[fo["id"]])
        code = (await ok(await act(client, store, first["id"], "ready-for-pickup")))["pickup_code"]
        await ok(await act(client, store, first["id"], "pickup", {"code": code}))
        await ok(await act(client, store, second["id"], "ready-for-pickup"))
        assert (await order(client, store, placed["id"]))["status"] == "partially_shipped"

        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await expire_uncollected_pickups(conn, datetime.now(UTC) + timedelta(days=6))

        after = await order(client, store, placed["id"])
        assert (after["status"], after["lines"][0]["cancelled"]) == ("delivered", 1)
        assert after["lines"][0]["backordered"] == 0
        level = (await stock_of(client, store.headers, "MUG"))["ST1"]
        assert (level["on_hand"], level["reserved"]) == (3, 0)
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert (await allocate_backorders(conn, store.id, None, "test")).sourced == ()
        assert await ledger_mismatches(db, store.id) == []

    async def test_a_shipping_order_has_no_pickup(
        self, db: Database, client: httpx.AsyncClient, store: Org
    ) -> None:
        placed = await place_order(db, store, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, store, placed["id"])
        response = await act(client, store, fo["id"], "ready-for-pickup")
        assert response.status_code == 409
        assert response.json()["code"] == "not_a_pickup_order"


class TestShipFromStore:
    async def test_a_store_ships_with_the_same_flow(
        self, client: httpx.AsyncClient, store: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        await set_boxes(db, store, "ST1")
        placed = await place_order(db, store, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, store, placed["id"])
        assert (fo["location"], fo["pickup"]) == ("ST1", False)
        await ok(await act(client, store, fo["id"], "accept"))
        await pick(client, store, "ST1", fulfillment_order_ids=[fo["id"]])
        await ok(await act(client, store, fo["id"], "pack"))
        shipped = await ok(await act(client, store, fo["id"], "ship"))
        assert shipped["status"] == "shipped"
        assert (await order(client, store, placed["id"]))["status"] == "shipped"
        assert await ledger_mismatches(db, store.id) == []
