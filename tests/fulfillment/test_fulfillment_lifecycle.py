"""A fulfillment order from capture to delivery: accept, pick, pack, ship, and illegal moves."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from orderly.fulfillment import service
from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import (
    Org,
    create_location,
    create_sku,
    key_for,
    make_org,
    order_body,
    place_order,
    receive_stock,
)
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


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    await setup_warehouses(db, org, {"WH1": 10})
    return org


class TestOpening:
    async def test_an_allocated_order_gets_a_pending_fulfillment_order(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 3)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        assert fo["status"] == "pending"
        assert fo["location"] == "WH1"
        assert fo["order_number"] == placed["number"]
        assert [(x["sku"], x["quantity"]) for x in fo["lines"]] == [("MUG", 3)]

    async def test_a_held_order_gets_its_fulfillment_order_on_release(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        placed = await place_order(
            db, shop, [("MUG", 2)], payment={"status": "pending", "amount": "0"}
        )
        assert placed["status"] == "on_hold"
        assert await fulfillment_orders(client, shop, placed["id"]) == []
        released = await client.post(
            f"/v1/orders/{placed['id']}/release", json={}, headers=shop.headers
        )
        assert released.json()["status"] == "allocated"
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        assert fo["lines"][0]["quantity"] == 2
        assert "fulfillment.opened" in await timeline(client, shop, placed["id"])

    async def test_cancelling_the_order_cancels_its_fulfillment_orders(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        await ok(await act(client, shop, fo["id"], "accept"))
        cancelled = await client.post(
            f"/v1/orders/{placed['id']}/cancel",
            json={"reason": "changed mind"},
            headers=shop.headers,
        )
        assert cancelled.status_code == 200
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        assert fo["status"] == "cancelled"
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 0
        again = await act(client, shop, fo["id"], "accept")
        assert again.status_code == 409
        assert again.json()["code"] == "illegal_transition"
        assert await ledger_mismatches(db, shop.id) == []


class TestHappyPath:
    async def test_accept_pick_pack_ship_deliver(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        accepted = await ok(await act(client, shop, fo["id"], "accept"))
        assert accepted["status"] == "accepted"

        wave = await pick(client, shop, "WH1")
        assert fo["id"] in wave["fulfillment_order_ids"]
        confirmed = await confirm(client, shop, wave["id"])
        assert confirmed["status"] == "confirmed" and confirmed["short_picks"] == []

        packed = await ok(await act(client, shop, fo["id"], "pack"))
        assert packed["status"] == "packed"
        [parcel] = packed["parcels"]
        assert parcel["box"] == "S"  # two 100x80x60 mugs fit the small box
        assert parcel["weight_grams"] == 100 + 2 * 300

        shipped = await ok(await act(client, shop, fo["id"], "ship"))
        assert shipped["status"] == "shipped"
        assert shipped["parcels"][0]["tracking_number"].startswith("FAKE")
        [request] = carrier.requests
        assert request.policy == "cheapest"
        assert request.ship_to["postal_code"] == "02110"
        assert request.ship_from["postal_code"] == "07102"
        assert (await order(client, shop, placed["id"]))["status"] == "shipped"
        level = (await stock_of(client, shop.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (8, 0)

        async with db.transaction() as transaction:
            conn = transaction.connection
            await service.on_shipment_status_changed(
                conn,
                shop.id,
                _Change(shipped["parcels"][0]["shipment_id"], placed["id"], fo["id"], "delivered"),
            )
        final = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo['id']}", headers=shop.headers)
        )
        assert final["status"] == "delivered"
        assert (await order(client, shop, placed["id"]))["status"] == "delivered"
        events = await timeline(client, shop, placed["id"])
        for step in (
            "fulfillment.accepted",
            "fulfillment.picking",
            "fulfillment.picked",
            "fulfillment.packed",
            "fulfillment.shipped",
            "order.shipped",
            "shipment.delivered",
            "fulfillment.delivered",
            "order.delivered",
        ):
            assert step in events, step
        assert await ledger_mismatches(db, shop.id) == []

    async def test_tracking_news_lands_on_the_timeline(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 1)])
        async with db.transaction() as transaction:
            conn = transaction.connection
            await service.on_shipment_status_changed(
                conn, shop.id, _Change(1, placed["id"], None, "out_for_delivery")
            )
        assert "shipment.out_for_delivery" in await timeline(client, shop, placed["id"])


class TestDeadlines:
    async def test_the_order_that_must_ship_soonest_is_picked_first(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        relaxed = await place_order(db, shop, [("MUG", 1)])
        urgent = await place_order(db, shop, [("MUG", 1)], ship_by="2030-01-01T12:00:00Z")
        plain = await place_order(db, shop, [("MUG", 1)])
        for placed in (relaxed, urgent, plain):
            [fo] = await fulfillment_orders(client, shop, placed["id"])
            await ok(await act(client, shop, fo["id"], "accept"))
        [urgent_fo] = await fulfillment_orders(client, shop, urgent["id"])
        [relaxed_fo] = await fulfillment_orders(client, shop, relaxed["id"])

        first = await pick(client, shop, "WH1", max_orders=1)
        second = await pick(client, shop, "WH1", max_orders=1)

        assert first["fulfillment_order_ids"] == [urgent_fo["id"]]
        assert second["fulfillment_order_ids"] == [relaxed_fo["id"]]  # then the oldest


class TestPartialShipment:
    async def test_parcels_leave_in_two_goes(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 3)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        await ok(await act(client, shop, fo["id"], "accept"))
        wave = await pick(client, shop, "WH1")
        await confirm(client, shop, wave["id"])
        packed = await ok(
            await act(
                client,
                shop,
                fo["id"],
                "pack",
                {
                    "parcels": [
                        {"box": "S", "items": [{"line_no": 1, "quantity": 1}]},
                        {"box": "S", "items": [{"line_no": 1, "quantity": 2}]},
                    ]
                },
            )
        )
        first, _second = packed["parcels"]
        partial = await ok(await act(client, shop, fo["id"], "ship", {"parcels": [first["id"]]}))
        assert partial["status"] == "packed"
        assert partial["lines"][0]["shipped"] == 1
        assert (await order(client, shop, placed["id"]))["status"] == "partially_shipped"
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 2

        again = await act(client, shop, fo["id"], "ship", {"parcels": [first["id"]]})
        assert again.status_code == 422  # that parcel already left

        rest = await ok(await act(client, shop, fo["id"], "ship"))
        assert rest["status"] == "shipped"
        assert (await order(client, shop, placed["id"]))["status"] == "shipped"
        level = (await stock_of(client, shop.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (7, 0)
        assert await ledger_mismatches(db, shop.id) == []

    async def test_split_order_is_partially_shipped_until_both_locations_ship(
        self, client: httpx.AsyncClient, org: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 2, "WH2": 2})
        placed = await place_order(db, org, [("MUG", 4)])
        first, second = await fulfillment_orders(client, org, placed["id"])
        for fo in (first, second):
            await ok(await act(client, org, fo["id"], "accept"))
            wave = await pick(client, org, fo["location"])
            await confirm(client, org, wave["id"])
            await ok(await act(client, org, fo["id"], "pack"))
        await ok(await act(client, org, first["id"], "ship"))
        assert (await order(client, org, placed["id"]))["status"] == "partially_shipped"
        await ok(await act(client, org, second["id"], "ship"))
        assert (await order(client, org, placed["id"]))["status"] == "shipped"
        assert await ledger_mismatches(db, org.id) == []


async def ship_one_of_three(
    db: Database, client: httpx.AsyncClient, shop: Org
) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """An order of 3 MUG from WH1 of which one parcel (1 unit) has left: (order, its FO)."""
    placed = await place_order(db, shop, [("MUG", 3)])
    [fo] = await fulfillment_orders(client, shop, placed["id"])
    await ok(await act(client, shop, fo["id"], "accept"))
    await confirm(client, shop, (await pick(client, shop, "WH1"))["id"])
    parcels = [
        {"box": "S", "items": [{"line_no": 1, "quantity": 1}]},
        {"box": "S", "items": [{"line_no": 1, "quantity": 2}]},
    ]
    packed = await ok(await act(client, shop, fo["id"], "pack", {"parcels": parcels}))
    await ok(await act(client, shop, fo["id"], "ship", {"parcels": [packed["parcels"][0]["id"]]}))
    assert (await order(client, shop, placed["id"]))["status"] == "partially_shipped"
    return placed, fo


async def order_action(
    client: httpx.AsyncClient, shop: Org, order_id: int, action: str, **body: object
) -> httpx.Response:
    return await client.post(f"/v1/orders/{order_id}/{action}", json=body, headers=shop.headers)


async def line_quantities(db: Database, order_id: int) -> tuple[int, ...]:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT ordered, allocated, shipped, cancelled, backordered"
                    " FROM order_line_quantities WHERE order_id = :id"
                ),
                {"id": order_id},
            )
        ).one()
    return tuple(row)


class TestPartiallyShippedOrder:
    async def test_a_hold_stops_it_and_a_release_brings_it_back_partially_shipped(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        placed, fo = await ship_one_of_three(db, client, shop)
        held = await order_action(client, shop, placed["id"], "hold", reason="address check")
        assert (await ok(held))["status"] == "on_hold"
        blocked = await act(client, shop, fo["id"], "ship")
        assert blocked.json()["code"] == "order_not_shippable"

        cancel = await order_action(client, shop, placed["id"], "cancel", reason="changed mind")
        assert cancel.status_code == 409
        assert cancel.json()["code"] == "illegal_transition"
        level = (await stock_of(client, shop.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (9, 2)

        released = await ok(await order_action(client, shop, placed["id"], "release"))
        assert (released["status"], released["hold_reasons"]) == ("partially_shipped", [])
        assert len(await fulfillment_orders(client, shop, placed["id"])) == 1
        await ok(await act(client, shop, fo["id"], "ship"))
        assert (await order(client, shop, placed["id"]))["status"] == "shipped"
        assert await line_quantities(db, placed["id"]) == (3, 0, 3, 0, 0)
        assert await ledger_mismatches(db, shop.id) == []

    async def test_only_its_unshipped_units_can_be_cancelled(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        placed, _ = await ship_one_of_three(db, client, shop)
        whole = await order_action(client, shop, placed["id"], "cancel", reason="changed mind")
        assert (whole.status_code, whole.json()["code"]) == (409, "illegal_transition")

        done = await ok(
            await order_action(client, shop, placed["id"], "cancel-unshipped", reason="too late")
        )
        assert done["status"] == "shipped"
        [line] = done["lines"]
        assert (line["quantity"], line["allocated"], line["cancelled"]) == (3, 1, 2)
        assert (line["total"], done["total"]) == ("19.99", "19.99")
        level = (await stock_of(client, shop.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (9, 0)
        [closed] = await fulfillment_orders(client, shop, placed["id"])
        assert closed["status"] == "cancelled"
        assert await line_quantities(db, placed["id"]) == (3, 0, 1, 2, 0)
        assert await ledger_mismatches(db, shop.id) == []
        again = await order_action(client, shop, placed["id"], "cancel-unshipped", reason="x")
        assert (again.status_code, again.json()["code"]) == (409, "nothing_to_cancel")

    async def test_a_held_one_cancels_its_unshipped_units_and_ships(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        placed, _ = await ship_one_of_three(db, client, shop)
        await ok(await order_action(client, shop, placed["id"], "hold", reason="check"))
        done = await ok(
            await order_action(client, shop, placed["id"], "cancel-unshipped", reason="stop")
        )
        assert (done["status"], done["hold_reasons"]) == ("shipped", [])
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 0
        assert await ledger_mismatches(db, shop.id) == []

    async def test_with_nothing_shipped_cancel_unshipped_cancels_the_order(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 2)])
        done = await ok(
            await order_action(client, shop, placed["id"], "cancel-unshipped", reason="stop")
        )
        assert done["status"] == "cancelled"
        assert done["lines"][0]["cancelled"] == 2
        assert await line_quantities(db, placed["id"]) == (2, 0, 0, 2, 0)
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 0


class TestCancelledLineUnits:
    async def test_an_order_whose_short_units_were_cancelled_ships_complete(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        config = {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        saved = await client.put("/v1/routing-configs/default", json=config, headers=shop.headers)
        assert saved.status_code == 200, saved.text
        placed = await place_order(db, shop, [("MUG", 12)])
        assert (placed["status"], placed["lines"][0]["cancelled"]) == ("allocated", 2)
        assert placed["total"] == "199.90"
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        assert fo["lines"][0]["quantity"] == 10
        await ok(await act(client, shop, fo["id"], "accept"))
        await confirm(client, shop, (await pick(client, shop, "WH1"))["id"])
        await ok(await act(client, shop, fo["id"], "pack"))
        await ok(await act(client, shop, fo["id"], "ship"))
        assert (await order(client, shop, placed["id"]))["status"] == "shipped"
        assert await line_quantities(db, placed["id"]) == (12, 0, 10, 2, 0)
        assert await ledger_mismatches(db, shop.id) == []


class TestIllegalMoves:
    async def test_steps_out_of_order_are_409(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        for action in ("pack", "ship"):
            response = await act(client, shop, fo["id"], action)
            assert response.status_code == 409, action
            assert response.json()["code"] == "illegal_transition"
        await ok(await act(client, shop, fo["id"], "accept"))
        twice = await act(client, shop, fo["id"], "accept")
        assert twice.status_code == 409
        assert twice.json()["current_status"] == "accepted"
        wave = await pick(client, shop, "WH1")
        await confirm(client, shop, wave["id"])
        reconfirm = await client.post(
            f"/v1/pick-lists/{wave['id']}/confirm", json={}, headers=shop.headers
        )
        assert reconfirm.status_code == 409
        await ok(await act(client, shop, fo["id"], "pack"))
        reject = await act(client, shop, fo["id"], "reject", {"reason": "damaged"})
        assert reject.status_code == 409  # a packed order ships or is cancelled

    async def test_nothing_to_pick_is_409(self, client: httpx.AsyncClient, shop: Org) -> None:
        response = await client.post(
            "/v1/pick-lists", json={"location": "WH1"}, headers=shop.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "nothing_to_pick"

    async def test_a_held_order_does_not_ship(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        await ok(await act(client, shop, fo["id"], "accept"))
        wave = await pick(client, shop, "WH1")
        await confirm(client, shop, wave["id"])
        await ok(await act(client, shop, fo["id"], "pack"))
        held = await client.post(
            f"/v1/orders/{placed['id']}/hold", json={"reason": "check"}, headers=shop.headers
        )
        assert held.status_code == 200
        response = await act(client, shop, fo["id"], "ship")
        assert response.status_code == 409
        assert response.json()["code"] == "order_not_shippable"
        assert carrier.requests == []


class TestAccess:
    async def test_a_viewer_reads_but_does_not_act(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        viewer = await key_for(db, shop, Role.VIEWER)
        picker = await key_for(db, shop, Role.FULFILLMENT)
        read = await client.get(f"/v1/fulfillment-orders/{fo['id']}", headers=viewer)
        assert read.status_code == 200
        denied = await client.post(f"/v1/fulfillment-orders/{fo['id']}/accept", headers=viewer)
        assert denied.status_code == 403
        allowed = await client.post(f"/v1/fulfillment-orders/{fo['id']}/accept", headers=picker)
        assert allowed.status_code == 200

    async def test_another_organizations_fulfillment_order_is_404(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        placed = await place_order(db, shop, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, shop, placed["id"])
        other = await make_org(db)
        for response in (
            await client.get(f"/v1/fulfillment-orders/{fo['id']}", headers=other.headers),
            await client.post(f"/v1/fulfillment-orders/{fo['id']}/accept", headers=other.headers),
            await client.get(
                f"/v1/fulfillment-orders/{fo['id']}/packing-slip.pdf", headers=other.headers
            ),
        ):
            assert response.status_code == 404


class _Change:
    def __init__(self, shipment_id: int, order_id: int, fo_id: int | None, new_status: str) -> None:
        self.shipment_id = shipment_id
        self.order_id = order_id
        self.fulfillment_order_id = fo_id
        self.old_status = "in_transit"
        self.new_status = new_status


async def test_a_store_that_ships_from_store_fulfils_like_a_warehouse(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    """No warehouse holds the mug: the store with ship_from_store sends it."""
    await create_location(
        db,
        org,
        "ST1",
        city="Chicago",
        kind="store",
        capabilities=("pickup", "ship_from_store"),
    )
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "ST1", 2)

    placed = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=org.headers)

    assert placed.status_code == 201, placed.text
    assert placed.json()["lines"][0]["allocations"][0]["location"] == "ST1"
    listed = await client.get(
        "/v1/fulfillment-orders", params={"order_id": placed.json()["id"]}, headers=org.headers
    )
    [fo] = listed.json()["items"]
    assert (fo["location"], fo["status"]) == ("ST1", "pending")
    assert await ledger_mismatches(db, org.id) == []
