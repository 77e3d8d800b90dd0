from __future__ import annotations

from typing import Any

import httpx
from tests.factories import Org, create_location, create_sku, key_for, receive_stock
from tests.inventory.helpers import ledger, level, reserve

from orderly.inventory import service
from orderly.kit.db import Database
from orderly.tenancy.domain import Role


async def transfer(
    client: httpx.AsyncClient, org: Org, status: int = 201, **body: Any
) -> httpx.Response:
    response = await client.post("/v1/inventory/transfers", json=body, headers=org.headers)
    assert response.status_code == status, response.text
    return response


async def two_warehouses(db: Database, org: Org) -> tuple[int, int, int]:
    sku_id = (await create_sku(db, org, "TEE-M"))["id"]
    wh1 = (await create_location(db, org, "WH1"))["id"]
    wh2 = (await create_location(db, org, "WH2"))["id"]
    return sku_id, wh1, wh2


class TestTransfer:
    async def test_moves_units_with_two_ledger_rows(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_warehouses(db, org)
        await receive_stock(db, org, "TEE-M", "WH1", 10)
        response = await transfer(
            client,
            org,
            sku="TEE-M",
            from_location="WH1",
            to_location="WH2",
            quantity=4,
            reference="TR-1",
        )
        body = response.json()
        assert body["quantity"] == 4
        assert [(x["location"], x["on_hand"], x["available"]) for x in body["levels"]] == [
            ("WH1", 6, 6),
            ("WH2", 4, 4),
        ]
        moves = [e for e in await ledger(client, org) if e["kind"] == "transferred"]
        assert sorted((e["location"], e["on_hand_delta"], e["reference"]) for e in moves) == [
            ("WH1", -4, "TR-1"),
            ("WH2", 4, "TR-1"),
        ]
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_works_in_both_directions(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await two_warehouses(db, org)
        await receive_stock(db, org, "TEE-M", "WH2", 3)
        await transfer(client, org, sku="TEE-M", from_location="WH2", to_location="WH1", quantity=3)
        assert (await level(client, org, "TEE-M", "WH1"))["on_hand"] == 3
        assert (await level(client, org, "TEE-M", "WH2"))["on_hand"] == 0

    async def test_only_available_units_move(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        sku_id, wh1, _ = await two_warehouses(db, org)
        await receive_stock(db, org, "TEE-M", "WH1", 10)
        await reserve(db, org, sku_id, wh1, 4)
        safety = await client.put(
            "/v1/inventory/safety-stock",
            json={"levels": [{"sku": "TEE-M", "location": "WH1", "safety_stock": 2}]},
            headers=org.headers,
        )
        assert safety.status_code == 200
        response = await transfer(
            client, org, 409, sku="TEE-M", from_location="WH1", to_location="WH2", quantity=5
        )
        problem = response.json()
        assert problem["code"] == "insufficient_stock"
        assert (problem["sku"], problem["location"]) == ("TEE-M", "WH1")
        assert "4 available" in problem["detail"]
        assert (await level(client, org, "TEE-M", "WH1"))["on_hand"] == 10
        assert (await level(client, org, "TEE-M", "WH2"))["on_hand"] == 0
        assert not [e for e in await ledger(client, org) if e["kind"] == "transferred"]
        await transfer(client, org, sku="TEE-M", from_location="WH1", to_location="WH2", quantity=4)

    async def test_nothing_to_move_from_a_location_without_a_level(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await two_warehouses(db, org)
        response = await transfer(
            client, org, 409, sku="TEE-M", from_location="WH1", to_location="WH2", quantity=1
        )
        assert response.json()["code"] == "insufficient_stock"

    async def test_stock_may_leave_an_inactive_location_but_not_enter_one(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        _, wh1, _ = await two_warehouses(db, org)
        await receive_stock(db, org, "TEE-M", "WH1", 5)
        await create_location(db, org, "OLD", active=False)
        response = await transfer(
            client, org, 422, sku="TEE-M", from_location="WH1", to_location="OLD", quantity=1
        )
        assert response.json()["code"] == "unknown_location"
        assert response.json()["errors"][0]["field"] == "to_location"
        deactivated = await client.post(f"/v1/locations/{wh1}/deactivate", headers=org.headers)
        assert deactivated.status_code == 200
        await transfer(client, org, sku="TEE-M", from_location="WH1", to_location="WH2", quantity=5)


class TestBadTransfers:
    async def test_the_same_location_twice_is_422(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await two_warehouses(db, org)
        response = await transfer(
            client, org, 422, sku="TEE-M", from_location="WH1", to_location="WH1", quantity=1
        )
        assert response.json()["errors"][0]["field"] == "to_location"

    async def test_unknown_codes_name_their_fields(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await two_warehouses(db, org)
        response = await transfer(
            client, org, 422, sku="NOPE", from_location="WH9", to_location="WH2", quantity=1
        )
        assert [e["field"] for e in response.json()["errors"]] == ["sku", "from_location"]

    async def test_quantity_must_be_positive(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await two_warehouses(db, org)
        for quantity in (0, -1):
            response = await transfer(
                client,
                org,
                422,
                sku="TEE-M",
                from_location="WH1",
                to_location="WH2",
                quantity=quantity,
            )
            assert response.json()["errors"][0]["field"] == "quantity"

    async def test_a_viewer_cannot_transfer(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await two_warehouses(db, org)
        headers = await key_for(db, org, Role.VIEWER)
        response = await client.post(
            "/v1/inventory/transfers",
            json={"sku": "TEE-M", "from_location": "WH1", "to_location": "WH2", "quantity": 1},
            headers=headers,
        )
        assert response.status_code == 403
