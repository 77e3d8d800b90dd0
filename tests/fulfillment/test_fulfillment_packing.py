"""Packing through the API: box choice, several parcels, the packer's own choice, and a
location's bins and boxes."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from orderly.inventory.reservations import StockRequest
from orderly.inventory.shipments import write_off_stock
from orderly.kit.db import Database
from orderly.kit.errors import Conflict
from tests.factories import Org, create_product, place_order, receive_stock
from tests.fulfillment.helpers import (
    FakeCarrier,
    act,
    fulfillment_orders,
    ok,
    pick,
    setup_warehouses,
)
from tests.orders.helpers import ledger_mismatches, stock_of


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    await setup_warehouses(db, org, {"WH1": 40})
    return org


async def picking(
    db: Database, client: httpx.AsyncClient, org: Org, quantity: int, sku: str = "MUG"
) -> int:
    placed = await place_order(db, org, [(sku, quantity)])
    [fo] = await fulfillment_orders(client, org, placed["id"])
    await ok(await act(client, org, fo["id"], "accept"))
    await pick(client, org, "WH1", fulfillment_order_ids=[fo["id"]])
    return int(fo["id"])


class TestPacking:
    async def test_too_many_for_one_box_fill_several(
        self, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier, db: Database
    ) -> None:
        fo_id = await picking(db, client, shop, 20)
        packed = await ok(await act(client, shop, fo_id, "pack"))
        parcels = packed["parcels"]
        assert len(parcels) >= 2
        assert sum(i["quantity"] for p in parcels for i in p["items"]) == 20
        assert all(p["weight_grams"] <= 5000 for p in parcels)
        shipped = await ok(await act(client, shop, fo_id, "ship"))
        assert len({p["tracking_number"] for p in shipped["parcels"]}) == len(parcels)
        assert len(carrier.requests[0].parcels) == len(parcels)
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["on_hand"] == 20
        assert await ledger_mismatches(db, shop.id) == []

    async def test_an_item_no_box_holds_is_422(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        await create_product(db, shop, "RUG", weight_grams=4000, dims=(1800, 300, 300))
        await receive_stock(db, shop, "RUG", "WH1", 2)
        fo_id = await picking(db, client, shop, 1, sku="RUG")
        response = await act(client, shop, fo_id, "pack")
        assert response.status_code == 422
        assert response.json()["code"] == "no_box_fits"
        current = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo_id}", headers=shop.headers)
        )
        assert current["status"] == "picking" and current["parcels"] == []

    async def test_the_packers_choice_must_hold_every_unit_in_a_known_box(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        fo_id = await picking(db, client, shop, 2)
        unknown = await act(
            client, shop, fo_id, "pack",
            {"parcels": [{"box": "XL", "items": [{"line_no": 1, "quantity": 2}]}]},
        )  # fmt: skip
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "parcels.0.box"
        short = await act(
            client, shop, fo_id, "pack",
            {"parcels": [{"box": "M", "items": [{"line_no": 1, "quantity": 1}]}]},
        )  # fmt: skip
        assert short.status_code == 422
        chosen = await ok(
            await act(
                client,
                shop,
                fo_id,
                "pack",
                {"parcels": [{"box": "M", "items": [{"line_no": 1, "quantity": 2}]}]},
            )
        )
        assert chosen["parcels"][0]["box"] == "M"

    async def test_pack_and_ship_replay_with_the_same_idempotency_key(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        fo_id = await picking(db, client, shop, 1)
        await ok(await act(client, shop, fo_id, "pack"))
        headers = {**shop.headers, "Idempotency-Key": f"ship-{fo_id}"}
        url = f"/v1/fulfillment-orders/{fo_id}/ship"
        first = await client.post(url, json={}, headers=headers)
        again = await client.post(url, json={}, headers=headers)
        assert first.status_code == again.status_code == 200
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert len(carrier.requests) == 1

    async def test_a_second_ship_while_the_labels_are_being_bought_is_refused(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        fo_id = await picking(db, client, shop, 1)
        await ok(await act(client, shop, fo_id, "pack"))
        meanwhile: list[httpx.Response] = []

        async def ship_again() -> None:
            meanwhile.append(await act(client, shop, fo_id, "ship"))

        carrier.on_buy = ship_again
        shipped = await ok(await act(client, shop, fo_id, "ship"))
        assert shipped["status"] == "shipped"
        [refused] = meanwhile
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "labels_being_bought"
        assert len(carrier.requests) == 1 and carrier.given_back == []

    async def test_a_carrier_failure_leaves_the_parcels_ready_to_ship_again(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        fo_id = await picking(db, client, shop, 1)
        await ok(await act(client, shop, fo_id, "pack"))

        async def carrier_down() -> None:
            raise Conflict("the carrier is down")

        carrier.on_buy = carrier_down
        failed = await act(client, shop, fo_id, "ship")
        assert failed.status_code == 409 and "carrier is down" in failed.text
        current = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo_id}", headers=shop.headers)
        )
        assert current["status"] == "packed"
        carrier.on_buy = None
        shipped = await ok(await act(client, shop, fo_id, "ship"))
        assert shipped["status"] == "shipped" and len(carrier.requests) == 2

    async def test_one_idempotency_key_for_pack_and_then_ship_is_refused_for_ship(
        self, db: Database, client: httpx.AsyncClient, shop: Org, carrier: FakeCarrier
    ) -> None:
        fo_id = await picking(db, client, shop, 1)
        headers = {**shop.headers, "Idempotency-Key": f"bench-{fo_id}"}
        packed = await client.post(f"/v1/fulfillment-orders/{fo_id}/pack", json={}, headers=headers)
        assert packed.status_code == 200, packed.text
        shipped = await client.post(
            f"/v1/fulfillment-orders/{fo_id}/ship", json={}, headers=headers
        )
        assert shipped.status_code == 422
        assert shipped.json()["code"] == "idempotency_key_reused"
        current = await ok(
            await client.get(f"/v1/fulfillment-orders/{fo_id}", headers=shop.headers)
        )
        assert current["status"] == "packed" and carrier.requests == []

    async def test_one_idempotency_key_packs_one_fulfillment_order_only(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        first, second = await picking(db, client, shop, 1), await picking(db, client, shop, 1)
        headers = {**shop.headers, "Idempotency-Key": "pack-once"}
        packed = await client.post(f"/v1/fulfillment-orders/{first}/pack", json={}, headers=headers)
        assert packed.status_code == 200, packed.text
        other = await client.post(f"/v1/fulfillment-orders/{second}/pack", json={}, headers=headers)
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"
        current = await ok(
            await client.get(f"/v1/fulfillment-orders/{second}", headers=shop.headers)
        )
        assert current["status"] == "picking" and current["parcels"] == []


class TestLocationSetup:
    async def test_boxes_and_bins_read_back(self, client: httpx.AsyncClient, shop: Org) -> None:
        boxes = await client.get("/v1/fulfillment/locations/WH1/boxes", headers=shop.headers)
        assert [b["code"] for b in boxes.json()] == ["M", "S"]
        bins = await client.put(
            "/v1/fulfillment/locations/WH1/bins",
            json={"bins": [{"sku": "MUG", "bin": "C-03-02"}]},
            headers=shop.headers,
        )
        assert bins.json() == [{"sku": "MUG", "bin": "C-03-02"}]
        unknown = await client.put(
            "/v1/fulfillment/locations/WH1/bins",
            json={"bins": [{"sku": "NOPE", "bin": "A"}]},
            headers=shop.headers,
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "bins.0.sku"
        nowhere = await client.get("/v1/fulfillment/locations/NOWHERE/boxes", headers=shop.headers)
        assert nowhere.status_code == 404  # a location named in the path that does not exist


class TestWriteOff:
    async def test_a_write_off_stops_at_what_is_reserved(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        await place_order(db, shop, [("MUG", 38)])
        async with db.transaction() as transaction:
            conn = transaction.connection
            sku_id, location_id = (
                await conn.execute(
                    sa.text("SELECT sku_id, location_id FROM stock_levels WHERE org_id = :org_id"),
                    {"org_id": shop.id},
                )
            ).one()
            done = await write_off_stock(
                conn,
                org_id=shop.id,
                requests=[StockRequest(sku_id, location_id, 5)],
                order_id=None,
                reference="count",
                reason="damaged",
                actor="test",
            )
        assert done == {(sku_id, location_id): 2}
        level = (await stock_of(client, shop.headers, "MUG"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (38, 38)
        assert await ledger_mismatches(db, shop.id) == []
