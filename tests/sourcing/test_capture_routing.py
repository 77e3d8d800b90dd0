"""Capture decides with the routing engine under the organization's and channel's configuration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from tests.factories import Org, create_location, create_sku, make_org, order_body, receive_stock
from tests.orders.helpers import stock_of


@pytest.fixture
async def shop(db: Database) -> Org:
    org = await make_org(db)
    await create_location(db, org, "WH1", city="Newark")
    await create_location(db, org, "WH2", city="Chicago")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 3)
    await receive_stock(db, org, "MUG", "WH2", 3)
    return org


async def place(client: httpx.AsyncClient, org: Org, quantity: int = 1) -> dict[str, Any]:
    response = await client.post(
        "/v1/orders", json=order_body([("MUG", quantity)]), headers=org.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def decision(client: httpx.AsyncClient, org: Org, order_id: int) -> dict[str, Any]:
    events = await client.get(f"/v1/orders/{order_id}/events", headers=org.headers)
    return next(e["data"] for e in events.json()["items"] if e["type"] == "sourcing.decided")


class TestChannelConfiguration:
    async def test_a_channel_configuration_changes_where_an_order_ships_from(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        first = await place(client, shop)
        assert first["lines"][0]["allocations"][0]["location"] == "WH1"  # nearer to Boston

        config = {"rules": [{"type": "exclude_locations", "locations": ["WH1"]}]}
        saved = await client.put(
            "/v1/routing-configs/channels/web", json=config, headers=shop.headers
        )
        assert saved.status_code == 200
        second = await place(client, shop)
        assert second["lines"][0]["allocations"][0]["location"] == "WH2"
        assert (await stock_of(client, shop.headers, "MUG"))["WH2"]["reserved"] == 1

        data = await decision(client, shop, second["id"])
        assert {d["location"]: d["code"] for d in data["locations"]} == {
            "WH1": "excluded",
            "WH2": "chosen",
        }
        assert data["estimated_cost"] is not None
        assert data["shipments"] == 1


class TestBackorderPolicy:
    async def test_hold_the_order_reserves_what_there_is_and_holds_for_stock(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        config = {"rules": [{"type": "backorder", "policy": "hold_order"}]}
        await client.put("/v1/routing-configs/default", json=config, headers=shop.headers)
        order = await place(client, shop, quantity=8)
        assert order["status"] == "on_hold"
        assert order["hold_reasons"] == ["stock"]
        stock = await stock_of(client, shop.headers, "MUG")
        assert stock["WH1"]["reserved"] + stock["WH2"]["reserved"] == 6

    async def test_cancel_the_line_leaves_the_short_units_unreserved(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        config = {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        await client.put("/v1/routing-configs/default", json=config, headers=shop.headers)
        order = await place(client, shop, quantity=8)
        assert order["status"] == "allocated"
        data = await decision(client, shop, order["id"])
        assert data["cancelled"] == {"1": 2}
        assert data["backordered"] == {}

    async def test_an_order_with_every_unit_short_is_refused(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        config = {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        await client.put("/v1/routing-configs/default", json=config, headers=shop.headers)
        await place(client, shop, quantity=6)
        refused = await client.post(
            "/v1/orders", json=order_body([("MUG", 2)]), headers=shop.headers
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "insufficient_stock"
        listed = await client.get("/v1/orders", headers=shop.headers)
        assert len(listed.json()["items"]) == 1

    async def test_cancelled_units_are_neither_owed_nor_sourced_again(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        config = {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        await client.put("/v1/routing-configs/default", json=config, headers=shop.headers)
        order = await place(client, shop, quantity=8)
        [line] = order["lines"]
        assert (line["quantity"], line["allocated"], line["cancelled"]) == (8, 6, 2)
        assert line["backordered"] == 0
        assert (line["total"], order["subtotal"], order["total"]) == ("119.94",) * 3

        await receive_stock(db, shop, "MUG", "WH1", 5)
        for action, body in (("hold", {"reason": "check"}), ("release", {})):
            response = await client.post(
                f"/v1/orders/{order['id']}/{action}", json=body, headers=shop.headers
            )
            assert response.status_code == 200, response.text
        released = response.json()
        assert released["status"] == "allocated"
        assert released["lines"][0]["allocated"] == 6
        stock = await stock_of(client, shop.headers, "MUG")
        assert stock["WH1"]["reserved"] + stock["WH2"]["reserved"] == 6
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.text(
                        "SELECT ordered, allocated, shipped, cancelled, backordered"
                        " FROM order_line_quantities WHERE order_id = :id"
                    ),
                    {"id": order["id"]},
                )
            ).one()
        assert tuple(row) == (8, 6, 0, 2, 0)

    async def test_by_default_a_channel_without_backorders_still_refuses_short_stock(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        response = await client.post(
            "/v1/orders", json=order_body([("MUG", 8)]), headers=shop.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_stock"


class TestCapacity:
    async def test_a_location_at_its_daily_capacity_takes_no_more_orders(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        org = await make_org(db)
        await create_location(db, org, "WH1", city="Newark", daily_order_capacity=1)
        await create_location(db, org, "WH2", city="Chicago")
        await create_sku(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 5)
        await receive_stock(db, org, "MUG", "WH2", 5)
        first = await place(client, org)
        second = await place(client, org)
        assert first["lines"][0]["allocations"][0]["location"] == "WH1"
        assert second["lines"][0]["allocations"][0]["location"] == "WH2"
        data = await decision(client, org, second["id"])
        assert {d["location"]: d["code"] for d in data["locations"]}["WH1"] == "over_capacity"
