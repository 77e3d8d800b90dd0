from __future__ import annotations

import httpx
from tests.factories import Org, create_location, create_sku, key_for, make_org, receive_stock
from tests.inventory.helpers import adjust, ledger, level, reserve

from orderly.inventory import service
from orderly.kit.db import Database
from orderly.tenancy.domain import Role


async def stocked(db: Database, org: Org) -> None:
    await create_sku(db, org, "TEE-M")
    await create_location(db, org, "WH1")


class TestAdjust:
    async def test_the_contract_body_creates_the_level_and_a_receipt(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await stocked(db, org)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "WH1", "delta": 100, "reason": "received"},
        )
        assert response.json() == {
            "levels": [
                {
                    "sku": "TEE-M",
                    "location": "WH1",
                    "on_hand": 100,
                    "reserved": 0,
                    "safety_stock": 0,
                    "available": 100,
                }
            ]
        }
        [entry] = await ledger(client, org)
        assert entry["kind"] == "received"
        assert entry["reason"] == "received"
        assert entry["on_hand_delta"] == 100
        assert entry["reserved_delta"] == 0
        assert entry["actor"].startswith("api_key:")
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_negative_deltas_and_counts_are_adjustments(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await stocked(db, org)
        await receive_stock(db, org, "TEE-M", "WH1", 50)
        response = await adjust(
            client,
            org,
            {
                "sku": "TEE-M",
                "location": "WH1",
                "delta": -3,
                "reason": "damaged",
                "reference": "D1",
            },
            {"sku": "TEE-M", "location": "WH1", "set_on_hand": 40, "reason": "cycle_count"},
        )
        assert response.json()["levels"][0]["on_hand"] == 40
        entries = await ledger(client, org)
        assert [(e["kind"], e["reason"], e["on_hand_delta"]) for e in entries] == [
            ("adjusted", "cycle_count", -7),
            ("adjusted", "damaged", -3),
            ("received", "received", 50),
        ]
        assert entries[1]["reference"] == "D1"
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_a_batch_returns_each_level_once_in_the_order_named(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "A")
        await create_sku(db, org, "B")
        await create_location(db, org, "WH1")
        await create_location(db, org, "WH2")
        response = await adjust(
            client,
            org,
            {"sku": "B", "location": "WH2", "delta": 1, "reason": "found"},
            {"sku": "A", "location": "WH1", "delta": 2, "reason": "received"},
            {"sku": "B", "location": "WH2", "delta": 3, "reason": "found"},
        )
        levels = response.json()["levels"]
        assert [(x["sku"], x["location"], x["on_hand"]) for x in levels] == [
            ("B", "WH2", 4),
            ("A", "WH1", 2),
        ]

    async def test_an_idempotency_key_replays_the_first_answer(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked(db, org)
        body = {
            "adjustments": [{"sku": "TEE-M", "location": "WH1", "delta": 5, "reason": "received"}]
        }
        headers = {**org.headers, "Idempotency-Key": "receipt-1"}
        first = await client.post("/v1/inventory/adjustments", json=body, headers=headers)
        second = await client.post("/v1/inventory/adjustments", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers.get("Idempotent-Replayed") == "true"
        assert (await level(client, org, "TEE-M", "WH1"))["on_hand"] == 5
        assert len(await ledger(client, org)) == 1


class TestRefusals:
    async def test_going_below_zero_is_409_and_nothing_of_the_batch_is_written(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await stocked(db, org)
        await create_sku(db, org, "CAP")
        await receive_stock(db, org, "TEE-M", "WH1", 5)
        response = await adjust(
            client,
            org,
            {"sku": "CAP", "location": "WH1", "delta": 10, "reason": "received"},
            {"sku": "TEE-M", "location": "WH1", "delta": -6, "reason": "lost"},
            status=409,
        )
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "insufficient_stock"
        assert (problem["sku"], problem["location"]) == ("TEE-M", "WH1")
        assert problem["errors"][0]["field"] == "adjustments.1.delta"
        assert "TEE-M" in problem["detail"] and "WH1" in problem["detail"]
        assert (await level(client, org, "TEE-M", "WH1"))["on_hand"] == 5
        assert (await level(client, org, "CAP", "WH1"))["on_hand"] == 0
        assert len(await ledger(client, org)) == 1
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_on_hand_cannot_go_below_what_is_reserved(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        sku_id = (await create_sku(db, org, "TEE-M"))["id"]
        location_id = (await create_location(db, org, "WH1"))["id"]
        await receive_stock(db, org, "TEE-M", "WH1", 50)
        await reserve(db, org, sku_id, location_id, 30)
        for change in ({"delta": -21}, {"set_on_hand": 29}):
            response = await adjust(
                client,
                org,
                {"sku": "TEE-M", "location": "WH1", "reason": "correction", **change},
                status=409,
            )
            assert response.json()["code"] == "insufficient_stock"
            assert "30" in response.json()["detail"]
        await adjust(
            client, org, {"sku": "TEE-M", "location": "WH1", "delta": -20, "reason": "lost"}
        )
        after = await level(client, org, "TEE-M", "WH1")
        assert (after["on_hand"], after["reserved"], after["available"]) == (30, 30, 0)
        async with db.transaction() as transaction:
            conn = transaction.connection
            assert await service.ledger_matches_levels(conn, org.id) == []

    async def test_a_negative_delta_on_a_new_level_is_refused(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked(db, org)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "WH1", "delta": -1, "reason": "lost"},
            status=409,
        )
        assert response.json()["code"] == "insufficient_stock"
        assert await ledger(client, org) == []


class TestBadInput:
    async def test_unknown_codes_are_422_naming_each_field(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked(db, org)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "WH1", "delta": 1, "reason": "received"},
            {"sku": "NOPE", "location": "WH1", "delta": 1, "reason": "received"},
            {"sku": "TEE-M", "location": "WH9", "delta": 1, "reason": "received"},
            status=422,
        )
        problem = response.json()
        assert problem["code"] == "unknown_sku"
        assert [e["field"] for e in problem["errors"]] == [
            "adjustments.1.sku",
            "adjustments.2.location",
        ]
        assert await ledger(client, org) == []

    async def test_an_unknown_location_alone_is_unknown_location(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked(db, org)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "WH9", "delta": 1, "reason": "received"},
            status=422,
        )
        assert response.json()["code"] == "unknown_location"
        assert response.json()["errors"][0]["field"] == "adjustments.0.location"

    async def test_an_inactive_location_takes_no_adjustments(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_sku(db, org, "TEE-M")
        await create_location(db, org, "OLD", active=False)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "OLD", "delta": 1, "reason": "received"},
            status=422,
        )
        assert response.json()["code"] == "unknown_location"
        assert "inactive" in response.json()["detail"]

    async def test_another_organizations_codes_are_unknown(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        other = await make_org(db)
        await stocked(db, other)
        response = await adjust(
            client,
            org,
            {"sku": "TEE-M", "location": "WH1", "delta": 1, "reason": "received"},
            status=422,
        )
        assert [e["field"] for e in response.json()["errors"]] == [
            "adjustments.0.sku",
            "adjustments.0.location",
        ]

    async def test_delta_and_set_on_hand_are_exclusive_and_delta_is_not_zero(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await stocked(db, org)
        for change, field in (
            ({"delta": 0}, "adjustments.0.delta"),
            ({}, "adjustments.0.delta"),
            ({"delta": 1, "set_on_hand": 4}, "adjustments.0.delta"),
            ({"set_on_hand": -1}, "adjustments.0.set_on_hand"),
        ):
            response = await adjust(
                client,
                org,
                {"sku": "TEE-M", "location": "WH1", "reason": "other", **change},
                status=422,
            )
            assert response.json()["errors"][0]["field"] == field, change
        assert await ledger(client, org) == []

    async def test_schema_errors_name_the_field(self, client: httpx.AsyncClient, org: Org) -> None:
        for body in (
            {"adjustments": []},
            {"adjustments": [{"sku": "A", "location": "B", "delta": 1, "reason": "stolen"}]},
            {"adjustments": [{"sku": "A", "location": "B", "delta": 1}]},
            {"adjustments": [{"sku": "A", "location": "B", "delta": 1, "reason": "other"}] * 1001},
        ):
            response = await client.post(
                "/v1/inventory/adjustments", json=body, headers=org.headers
            )
            assert response.status_code == 422, body
            assert response.json()["code"] == "validation_error"

    async def test_a_viewer_cannot_adjust(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await stocked(db, org)
        viewer = await key_for(db, org, Role.VIEWER)
        response = await client.post(
            "/v1/inventory/adjustments",
            json={
                "adjustments": [
                    {"sku": "TEE-M", "location": "WH1", "delta": 1, "reason": "received"}
                ]
            },
            headers=viewer,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert await ledger(client, org) == []
        assert (await client.get("/v1/inventory", headers=viewer)).status_code == 200
