"""A backordered order is sourced when stock arrives: the stock change defers a job in its own
transaction, and the job allocates the order and opens its fulfillment orders."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.order_flows.backorders import allocate_backorders
from tests.automation.helpers import (
    deferred_backorder_jobs,
    event_types,
    get,
    run_deferred_backorder_jobs,
    shop_with_backorders,
)
from tests.factories import Org, create_location, place_order, receive_stock
from tests.orders.helpers import ledger_mismatches, stock_of


class TestStockArrival:
    async def test_an_adjustment_defers_the_job_that_allocates_the_backorder(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 1)
        order = await place_order(db, org, [("MUG", 3)], channel="b2b")
        assert order["status"] == "backordered"
        assert await deferred_backorder_jobs(db, org.id) == []

        await receive_stock(db, org, "MUG", "WH1", 5)
        jobs = await deferred_backorder_jobs(db, org.id)
        assert len(jobs) == 1
        await run_deferred_backorder_jobs(db, org.id)

        now = await get(client, org, f"/v1/orders/{order['id']}")
        assert now["status"] == "allocated"
        assert (await stock_of(client, org.headers, "MUG"))["WH1"] == {
            "on_hand": 6,
            "reserved": 3,
            "safety_stock": 0,
            "available": 3,
        }
        fos = await get(client, org, "/v1/fulfillment-orders", order_id=order["id"])
        assert [(fo["location"], fo["status"]) for fo in fos["items"]] == [("WH1", "pending")]
        types = await event_types(client, org, order["id"])
        assert types[-3:] == ["backorder.sourced", "order.allocated", "fulfillment.opened"]
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_job_run_twice_changes_nothing_more(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        order = await place_order(db, org, [("MUG", 2)], channel="b2b")
        await receive_stock(db, org, "MUG", "WH1", 2)
        await run_deferred_backorder_jobs(db, org.id)
        await run_deferred_backorder_jobs(db, org.id)
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 2
        fos = await get(client, org, "/v1/fulfillment-orders", order_id=order["id"])
        assert len(fos["items"]) == 1
        assert (await event_types(client, org, order["id"])).count("backorder.sourced") == 1
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_transfer_in_sources_the_backorder(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")

        await create_location(db, org, "WH2", city="Dallas", capabilities=())
        await receive_stock(db, org, "MUG", "WH2", 4)
        order = await place_order(db, org, [("MUG", 2)], channel="b2b")
        assert order["status"] == "backordered"
        response = await client.post(
            "/v1/inventory/transfers",
            json={"sku": "MUG", "from_location": "WH2", "to_location": "WH1", "quantity": 2},
            headers=org.headers,
        )
        assert response.status_code == 201, response.text
        await run_deferred_backorder_jobs(db, org.id)
        assert (await get(client, org, f"/v1/orders/{order['id']}"))["status"] == "allocated"
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_stock_change_that_rolls_back_defers_nothing(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG", "CUP")
        await place_order(db, org, [("MUG", 2)], channel="b2b")
        response = await client.post(
            "/v1/inventory/adjustments",
            json={
                "adjustments": [
                    {"sku": "MUG", "location": "WH1", "delta": 5, "reason": "received"},
                    {"sku": "CUP", "location": "WH1", "delta": -1, "reason": "damaged"},
                ]
            },
            headers=org.headers,
        )
        assert response.status_code == 409
        assert await deferred_backorder_jobs(db, org.id) == []


class TestAllocateBackorders:
    async def test_oldest_order_first_and_partial_stock_keeps_the_rest_waiting(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        first = await place_order(db, org, [("MUG", 2)], channel="b2b")
        second = await place_order(db, org, [("MUG", 2)], channel="b2b")
        await receive_stock(db, org, "MUG", "WH1", 3)
        sku_id = (await get(client, org, "/v1/products", sku="MUG"))["items"][0]["id"]
        async with db.transaction() as transaction:
            conn = transaction.connection
            run = await allocate_backorders(conn, org.id, [sku_id], "test")
        assert run.allocated == (first["id"],)
        assert run.sourced == (first["id"], second["id"])
        assert (await get(client, org, f"/v1/orders/{first['id']}"))["status"] == "allocated"
        assert (await get(client, org, f"/v1/orders/{second['id']}"))["status"] == "backordered"
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 3

        await receive_stock(db, org, "MUG", "WH1", 1)
        await run_deferred_backorder_jobs(db, org.id)
        assert (await get(client, org, f"/v1/orders/{second['id']}"))["status"] == "allocated"
        assert await ledger_mismatches(db, org.id) == []


class TestImport:
    async def test_a_stock_import_defers_the_job_too(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        from orderly.inventory.importer import import_stock

        await shop_with_backorders(db, org, "MUG")
        order = await place_order(db, org, [("MUG", 2)], channel="b2b")
        async with db.transaction() as transaction:
            conn = transaction.connection
            await import_stock(
                conn, org.id, "test", [{"sku": "MUG", "location": "WH1", "on_hand": "4"}]
            )
        assert len(await deferred_backorder_jobs(db, org.id)) == 1
        await run_deferred_backorder_jobs(db, org.id)
        assert (await get(client, org, f"/v1/orders/{order['id']}"))["status"] == "allocated"
        assert await ledger_mismatches(db, org.id) == []
