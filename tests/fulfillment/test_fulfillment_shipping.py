"""The ship step against the real shipping feature (demo rate-table carriers), and the
carrier's delivery news travelling back to the order."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.shipping import service as shipping
from tests.conftest import Org
from tests.fulfillment.helpers import (
    act,
    confirm,
    fulfillment_orders,
    ok,
    order,
    pick,
    place,
    setup_warehouses,
    timeline,
)
from tests.orders.factories import ledger_mismatches, stock_of
from tests.shipping.factories import event, push, webhook


class TestRealLabels:
    async def test_labels_are_bought_and_delivery_closes_the_order(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await setup_warehouses(client, org, {"WH1": 5})
        async with db.transaction() as conn:
            await shipping.install_demo_carriers(conn, org.id)
        placed = await place(client, org, [("MUG", 2)])
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
