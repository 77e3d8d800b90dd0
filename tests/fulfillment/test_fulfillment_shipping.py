"""The ship step against the real shipping feature (demo rate-table carriers), and the
carrier's delivery news travelling back to the order."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.shipping import service as shipping
from orderly.shipping.carriers.registry import register_carrier
from orderly.shipping.tasks import poll_all
from tests.factories import Org, place_order
from tests.fulfillment.helpers import (
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
from tests.shipping.factories import event, push, webhook
from tests.shipping.test_tracking_endpoints import PollableCarrier


class TestRealLabels:
    async def test_labels_are_bought_and_delivery_closes_the_order(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        async with db.transaction() as transaction:
            conn = transaction.connection
            await shipping.install_demo_carriers(conn, org.id)
        placed = await place_order(db, org, [("MUG", 2)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        await ok(await act(client, org, fo["id"], "pack"))

        shipped = await ok(await act(client, org, fo["id"], "ship"))
        assert shipped["status"] == "shipped"
        [parcel] = shipped["parcels"]
        assert parcel["tracking_number"] and parcel["shipment_id"]
        assert (await order(client, org, placed["id"]))["status"] == "shipped"
        level = (await stock_of(client, org.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (3, 0)

        shipment = await client.get(f"/v1/shipments/{parcel['shipment_id']}", headers=org.headers)
        assert shipment.status_code == 200, shipment.text
        assert shipment.json()["fulfillment_order_id"] == fo["id"]

        token, secret = await webhook(client, org)
        number = parcel["tracking_number"]
        pushed = await push(
            client,
            token,
            secret,
            [
                event(number, "out_for_delivery", "2026-11-24T08:00:00Z"),
                event(number, "delivered", "2026-11-24T15:00:00Z"),
            ],
        )
        assert pushed.status_code in (200, 202), pushed.text
        final = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo['id']}", headers=org.headers)
        )
        assert final["status"] == "delivered"
        assert final["parcels"][0]["status"] == "delivered"
        assert (await order(client, org, placed["id"]))["status"] == "delivered"
        assert "shipment.out_for_delivery" in await timeline(client, org, placed["id"])
        assert await ledger_mismatches(db, org.id) == []


class TestCarrierNewsOfAWaitingOrder:
    async def test_delivery_of_a_held_orders_parcel_is_kept_and_the_batch_goes_through(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        async with db.transaction() as transaction:
            conn = transaction.connection
            await shipping.install_demo_carriers(conn, org.id)
        held = await place_order(db, org, [("MUG", 3)])
        [held_fo] = await fulfillment_orders(client, org, held["id"])
        await ok(await act(client, org, held_fo["id"], "accept"))
        other = await place_order(db, org, [("MUG", 1)])
        [other_fo] = await fulfillment_orders(client, org, other["id"])
        await ok(await act(client, org, other_fo["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        parcels = [
            {"box": "S", "items": [{"line_no": 1, "quantity": 1}]},
            {"box": "S", "items": [{"line_no": 1, "quantity": 2}]},
        ]
        packed = await ok(await act(client, org, held_fo["id"], "pack", {"parcels": parcels}))
        first = packed["parcels"][0]["id"]
        left = await ok(await act(client, org, held_fo["id"], "ship", {"parcels": [first]}))
        await ok(await act(client, org, other_fo["id"], "pack"))
        [other_parcel] = (await ok(await act(client, org, other_fo["id"], "ship")))["parcels"]
        hold = await client.post(
            f"/v1/orders/{held['id']}/hold", json={"reason": "check"}, headers=org.headers
        )
        assert hold.status_code == 200, hold.text

        token, secret = await webhook(client, org)
        shipped_parcel = next(p for p in left["parcels"] if p["id"] == first)
        pushed = await push(
            client,
            token,
            secret,
            [
                event(shipped_parcel["tracking_number"], "delivered", "2026-11-24T15:00:00Z"),
                event(other_parcel["tracking_number"], "delivered", "2026-11-24T16:00:00Z"),
            ],
        )

        assert pushed.status_code == 200, pushed.text
        assert [c["new"] for c in pushed.json()["status_changes"]] == ["delivered"] * 2
        still = await order(client, org, held["id"])
        assert (still["status"], still["hold_reasons"]) == ("on_hold", ["manual"])
        events = await timeline(client, org, held["id"])
        assert "shipment.delivered" in events and "order.status_kept" in events
        assert (await order(client, org, other["id"]))["status"] == "delivered"

        released = await client.post(f"/v1/orders/{held['id']}/release", headers=org.headers)
        assert released.json()["status"] == "partially_shipped"
        await ok(await act(client, org, held_fo["id"], "ship"))
        assert (await order(client, org, held["id"]))["status"] == "shipped"
        level = (await stock_of(client, org.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (1, 0)
        assert await ledger_mismatches(db, org.id) == []

    async def test_polling_news_of_an_order_that_cannot_move_does_not_fail_the_poll(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        register_carrier("fake_pollable", lambda account: PollableCarrier(account.code))
        created = await client.post(
            "/v1/carriers",
            json={"code": "fakepost", "name": "Fake Post", "kind": "fake_pollable"},
            headers=org.headers,
        )
        assert created.status_code == 201, created.text
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        await ok(await act(client, org, fo["id"], "pack"))
        [parcel] = (await ok(await act(client, org, fo["id"], "ship")))["parcels"]
        async with (
            db.transaction() as transaction
        ):  # as an order cancelled after it shipped could be
            conn = transaction.connection
            await conn.execute(
                sa.text("UPDATE orders SET status = 'cancelled' WHERE id = :id"),
                {"id": placed["id"]},
            )

        assert await poll_all(db) >= 1

        shipment = await client.get(f"/v1/shipments/{parcel['shipment_id']}", headers=org.headers)
        assert shipment.json()["status"] == "delivered"
        assert (await order(client, org, placed["id"]))["status"] == "cancelled"
        assert "order.status_kept" in await timeline(client, org, placed["id"])
