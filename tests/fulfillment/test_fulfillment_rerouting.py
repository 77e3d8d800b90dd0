"""Reject and re-route: the closed loop between a location that cannot send and the order."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from tests.automation.helpers import deferred_backorder_jobs, run_deferred_backorder_jobs
from tests.factories import Org, place_order, receive_stock
from tests.fulfillment.helpers import (
    FakeCarrier,
    act,
    confirm,
    fulfillment_orders,
    ok,
    order,
    pick,
    setup_warehouses,
    timeline,
)
from tests.orders.helpers import ledger_mismatches, stock_of


class TestShortUnitsOfAPartiallyShippedOrder:
    async def test_rejected_units_wait_for_stock_and_are_sourced_when_it_arrives(
        self, client: httpx.AsyncClient, org: Org, db: Database, carrier: FakeCarrier
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 2, "WH2": 1})
        placed = await place_order(db, org, [("MUG", 3)])
        first, second = await fulfillment_orders(client, org, placed["id"])
        assert (first["location"], second["location"]) == ("WH1", "WH2")
        await ok(await act(client, org, first["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        await ok(await act(client, org, first["id"], "pack"))
        await ok(await act(client, org, first["id"], "ship"))
        await ok(await act(client, org, second["id"], "reject", {"reason": "not_found"}))
        waiting = await order(client, org, placed["id"])
        assert waiting["status"] == "partially_shipped"
        assert waiting["lines"][0]["backordered"] == 1

        await receive_stock(db, org, "MUG", "WH1", 5)
        assert len(await deferred_backorder_jobs(db, org.id)) == 1
        await run_deferred_backorder_jobs(db, org.id)

        sourced = await order(client, org, placed["id"])
        assert sourced["status"] == "partially_shipped"
        assert (sourced["lines"][0]["allocated"], sourced["lines"][0]["backordered"]) == (3, 0)
        *_, third = await fulfillment_orders(client, org, placed["id"])
        assert (third["location"], third["status"]) == ("WH1", "pending")
        assert third["lines"][0]["quantity"] == 1  # never the units that already shipped
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (5, 1)
        assert (stock["WH2"]["on_hand"], stock["WH2"]["reserved"]) == (0, 0)

        await ok(await act(client, org, third["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        await ok(await act(client, org, third["id"], "pack"))
        await ok(await act(client, org, third["id"], "ship"))
        assert (await order(client, org, placed["id"]))["status"] == "shipped"
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_release_after_a_hold_sources_them_and_stays_partially_shipped(
        self, client: httpx.AsyncClient, org: Org, db: Database, carrier: FakeCarrier
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 2, "WH2": 1})
        placed = await place_order(db, org, [("MUG", 3)])
        first, second = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, first["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        await ok(await act(client, org, first["id"], "pack"))
        await ok(await act(client, org, first["id"], "ship"))
        held = await client.post(
            f"/v1/orders/{placed['id']}/hold", json={"reason": "check"}, headers=org.headers
        )
        assert held.status_code == 200, held.text
        await ok(await act(client, org, second["id"], "reject", {"reason": "damaged"}))
        await receive_stock(db, org, "MUG", "WH2", 1)

        released = await client.post(f"/v1/orders/{placed['id']}/release", headers=org.headers)
        assert released.status_code == 200, released.text
        assert released.json()["status"] == "partially_shipped"
        assert released.json()["lines"][0]["backordered"] == 0
        *_, third = await fulfillment_orders(client, org, placed["id"])
        assert (third["location"], third["status"]) == ("WH2", "pending")
        assert (await stock_of(client, org.headers, "MUG"))["WH2"]["reserved"] == 1
        assert await ledger_mismatches(db, org.id) == []


class TestReject:
    async def test_not_found_corrects_stock_and_a_second_warehouse_takes_the_order(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5, "WH2": 5})
        placed = await place_order(db, org, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        assert fo["location"] == "WH1"

        rejected = await ok(await act(client, org, fo["id"], "reject", {"reason": "not_found"}))
        assert rejected["status"] == "rejected"
        assert rejected["reject_reason"] == "not_found"

        first, second = await fulfillment_orders(client, org, placed["id"])
        assert (first["status"], second["status"]) == ("rejected", "pending")
        assert second["location"] == "WH2"
        assert second["lines"][0]["quantity"] == 2
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (3, 0)
        assert (stock["WH2"]["on_hand"], stock["WH2"]["reserved"]) == (5, 2)
        current = await order(client, org, placed["id"])
        assert current["status"] == "allocated"
        events = await timeline(client, org, placed["id"])
        assert "fulfillment.rejected" in events and "sourcing.rerouted" in events
        assert await ledger_mismatches(db, org.id) == []

    async def test_no_capacity_does_not_touch_the_count(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5, "WH2": 5})
        placed = await place_order(db, org, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "reject", {"reason": "no_capacity"}))
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (5, 0)
        assert stock["WH2"]["reserved"] == 2
        assert await ledger_mismatches(db, org.id) == []

    async def test_nowhere_else_to_go_backorders_the_order(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "reject", {"reason": "damaged"}))
        assert (await order(client, org, placed["id"]))["status"] == "backordered"
        [only] = await fulfillment_orders(client, org, placed["id"])
        assert only["status"] == "rejected"
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["on_hand"] == 3
        assert await ledger_mismatches(db, org.id) == []

    async def test_the_correction_keeps_other_orders_reservations(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 3})
        placed = await place_order(db, org, [("MUG", 2)])
        await place_order(db, org, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        # Two are missing; the other order's unit stays reserved.
        await ok(await act(client, org, fo["id"], "reject", {"reason": "not_found"}))
        level = (await stock_of(client, org.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (1, 1)
        events = await client.get(
            f"/v1/orders/{placed['id']}/events", params={"limit": 200}, headers=org.headers
        )
        [rejected] = [e for e in events.json()["items"] if e["type"] == "fulfillment.rejected"]
        [correction] = rejected["data"]["stock_corrected"]
        assert correction == {
            "sku": "MUG",
            "location": "WH1",
            "requested": 2,
            "written_off": 2,
            "clamped": False,
        }
        assert await ledger_mismatches(db, org.id) == []

    async def test_rejecting_some_lines_keeps_the_rest_here(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5, "WH2": 5})
        placed = await place_order(db, org, [("MUG", 3)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        partial = await ok(
            await act(
                client,
                org,
                fo["id"],
                "reject",
                {"reason": "damaged", "lines": [{"line_no": 1, "quantity": 1}]},
            )
        )
        assert partial["status"] == "pending"
        assert partial["lines"][0]["rejected"] == 1
        _first, second = await fulfillment_orders(client, org, placed["id"])
        assert second["location"] == "WH2" and second["lines"][0]["quantity"] == 1
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (4, 2)
        too_many = await act(
            client,
            org,
            fo["id"],
            "reject",
            {"reason": "damaged", "lines": [{"line_no": 1, "quantity": 3}]},
        )
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["field"] == "lines.0.quantity"
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_short_pick_is_rejected_and_rerouted(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5, "WH2": 5})
        placed = await place_order(db, org, [("MUG", 3)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "accept"))
        wave = await pick(client, org, "WH1")
        confirmed = await confirm(
            client,
            org,
            wave["id"],
            [{"fulfillment_order_id": fo["id"], "line_no": 1, "quantity": 2}],
        )
        assert confirmed["short_picks"] == [
            {"fulfillment_order_id": fo["id"], "line_no": 1, "short": 1}
        ]
        here, there = await fulfillment_orders(client, org, placed["id"])
        assert here["status"] == "picking"
        assert (here["lines"][0]["picked"], here["lines"][0]["rejected"]) == (2, 1)
        assert there["location"] == "WH2" and there["lines"][0]["quantity"] == 1
        packed = await ok(await act(client, org, fo["id"], "pack"))
        assert sum(i["quantity"] for p in packed["parcels"] for i in p["items"]) == 2
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (4, 2)
        assert await ledger_mismatches(db, org.id) == []

    async def test_cancel_a_fulfillment_order_reroutes_without_correction(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5, "WH2": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        cancelled = await ok(await act(client, org, fo["id"], "cancel", {"reason": "closing"}))
        assert cancelled["status"] == "cancelled"
        _, moved = await fulfillment_orders(client, org, placed["id"])
        assert moved["location"] == "WH2"
        stock = await stock_of(client, org.headers, "MUG")
        assert (stock["WH1"]["on_hand"], stock["WH1"]["reserved"]) == (5, 0)
        assert await ledger_mismatches(db, org.id) == []
