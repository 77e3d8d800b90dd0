"""The whole return path over HTTP: ship back and in store."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from tests.factories import Org, shipped_order
from tests.fulfillment.helpers import order, timeline
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.returns.helpers import ledger, open_return, open_shop, post


class TestShipBack:
    async def test_label_receipt_restock_refund_and_close(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2)])
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["on_hand"] == 8

        opened = await open_return(client, org, placed["id"], [(1, 2, "too_small")])
        assert opened["number"] == "RMA-1001"
        assert opened["status"] == "authorized"
        assert opened["method"] == "ship_back"
        assert opened["location"] == "WH1"
        assert opened["value"] == "39.98"
        label = await client.get(f"/v1/shipments/{opened['shipment_id']}", headers=org.headers)
        assert label.status_code == 200, label.text
        assert label.json()["reference"] == "RMA-1001"
        assert label.json()["order_id"] == placed["id"]

        moving = await post(client, org, f"/v1/returns/{opened['id']}/in-transit")
        assert moving["status"] == "in_transit"

        received = await post(
            client,
            org,
            f"/v1/returns/{opened['id']}/receive",
            {"lines": [{"line_no": 1, "restock": 1, "damaged": 1}]},
        )
        assert received["status"] == "received"
        assert (received["lines"][0]["restocked"], received["lines"][0]["damaged"]) == (1, 1)
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["on_hand"] == 9
        returned = [m for m in await ledger(client, org, "MUG") if m["kind"] == "returned"]
        assert [(m["location"], m["on_hand_delta"], m["reference"]) for m in returned] == [
            ("WH1", 1, "return:RMA-1001")
        ]
        assert await ledger_mismatches(db, org.id) == []

        refunded = await post(
            client, org, f"/v1/returns/{opened['id']}/refund", {"idempotency_key": "r1"}, 201
        )
        assert refunded["refund"]["amount"] == "39.98"
        assert refunded["return"]["status"] == "refunded"
        assert (await order(client, org, placed["id"]))["payment"]["status"] == "refunded"

        closed = await post(client, org, f"/v1/returns/{opened['id']}/close")
        assert closed["status"] == "closed"
        events = await timeline(client, org, placed["id"])
        for kind in ("return.authorized", "return.received", "refund.issued", "return.closed"):
            assert kind in events

    async def test_partial_receipts_then_refund_of_what_arrived(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 3)])
        opened = await open_return(client, org, placed["id"], [(1, 3, "changed_mind")])
        path = f"/v1/returns/{opened['id']}"
        await post(client, org, path + "/receive", {"lines": [{"line_no": 1, "restock": 1}]})
        too_many = await client.post(
            path + "/receive",
            json={"lines": [{"line_no": 1, "restock": 2, "dispose": 1}]},
            headers=org.headers,
        )
        assert too_many.status_code == 422
        assert too_many.json()["code"] == "receipt_exceeds_authorized"
        first = await post(client, org, path + "/refund", {}, 201)
        assert first["refund"]["amount"] == "19.99"
        assert first["return"]["status"] == "partially_refunded"
        assert (await order(client, org, placed["id"]))["payment"]["status"] == (
            "partially_refunded"
        )
        nothing = await client.post(path + "/refund", json={}, headers=org.headers)
        assert nothing.status_code == 409
        assert nothing.json()["code"] == "nothing_to_refund"
        await post(client, org, path + "/receive", {"lines": [{"line_no": 1, "dispose": 2}]})
        second = await post(client, org, path + "/refund", {}, 201)
        assert second["refund"]["amount"] == "39.98"
        assert second["return"]["status"] == "refunded"
        assert (await stock_of(client, org.headers, "MUG"))["WH1"]["on_hand"] == 8
        assert await ledger_mismatches(db, org.id) == []


class TestInStore:
    async def test_drop_off_at_a_store_restocks_the_store(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("HAT", 1)])
        opened = await open_return(
            client, org, placed["id"], [(1, 1, "too_large")], method="in_store", location="ST1"
        )
        assert opened["location"] == "ST1"
        assert opened["shipment_id"] is None
        received = await post(
            client,
            org,
            f"/v1/returns/{opened['id']}/receive",
            {"lines": [{"line_no": 1, "restock": 1}]},
        )
        assert received["status"] == "received"
        assert (await stock_of(client, org.headers, "HAT"))["ST1"]["on_hand"] == 1
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_location_without_the_returns_capability_is_refused(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("HAT", 1)])
        from tests.factories import create_location

        await create_location(db, org, "ST2", kind="store", capabilities=("pickup",))
        refused = await client.post(
            "/v1/returns",
            json={
                "order_id": placed["id"],
                "lines": [{"line_no": 1, "quantity": 1, "reason": "too_large"}],
                "method": "in_store",
                "location": "ST2",
            },
            headers=org.headers,
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "return_location_invalid"

    async def test_receiving_at_a_location_without_the_returns_capability_is_refused(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("HAT", 1)])
        opened = await open_return(
            client, org, placed["id"], [(1, 1, "too_large")], method="in_store", location="ST1"
        )
        from tests.factories import create_location

        await create_location(db, org, "ST2", kind="store", capabilities=("pickup",))
        refused = await client.post(
            f"/v1/returns/{opened['id']}/receive",
            json={"location": "ST2", "lines": [{"line_no": 1, "restock": 1}]},
            headers=org.headers,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "return_location_invalid"
        assert refused.json()["errors"][0]["field"] == "location"
        unchanged = await client.get(f"/v1/returns/{opened['id']}", headers=org.headers)
        assert unchanged.json()["status"] == "authorized"
        assert unchanged.json()["lines"][0]["restocked"] == 0
        assert "ST2" not in await stock_of(client, org.headers, "HAT")
