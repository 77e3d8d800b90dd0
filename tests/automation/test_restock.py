"""Auto-restock: rules and suppliers through the API, the job drafting one purchase order per
supplier, never a duplicate, and receipts that add stock and source waiting backorders."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from orderly.automation import tasks
from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.automation.helpers import get, shop_with_backorders
from tests.factories import (
    Org,
    create_location,
    key_for,
    make_org,
    place_order,
    receive_stock,
    set_replenishment,
)
from tests.orders.helpers import ledger_mismatches, stock_of


async def restockable_shop(db: Database, org: Org) -> None:
    """MUG and CUP from ACME (packs of 6 and 1), TEE from BOLT; MUG has 2 at WH1."""
    await shop_with_backorders(db, org, "MUG", "CUP", "TEE")
    for code in ("ACME", "BOLT"):
        await create_location(db, org, code, kind="supplier", capabilities=())
    await receive_stock(db, org, "MUG", "WH1", 2)
    await set_replenishment(
        db,
        org,
        rules=[
            {"sku": "MUG", "location": "WH1", "reorder_point": 5, "max_quantity": 20},
            {"sku": "CUP", "location": "WH1", "reorder_point": 3, "max_quantity": 10},
            {
                "sku": "TEE",
                "location": "WH1",
                "reorder_point": 1,
                "max_quantity": 4,
                "min_quantity": 10,
            },
        ],
        suppliers=[
            {
                "sku": "MUG",
                "supplier": "ACME",
                "cost": "2.50",
                "currency": "USD",
                "lead_time_days": 5,
                "pack_size": 6,
            },
            {"sku": "CUP", "supplier": "ACME", "cost": "1.00", "currency": "USD"},
            {
                "sku": "TEE",
                "supplier": "BOLT",
                "cost": "4.00",
                "currency": "USD",
                "lead_time_days": 2,
            },
        ],
    )


async def run_restock(db: Database, org: Org) -> list[int]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await tasks.draft_purchase_orders(conn, org_id=org.id, today=date(2026, 3, 2))


async def purchase_orders(client: httpx.AsyncClient, org: Org, **params: Any) -> list[Any]:
    return list((await get(client, org, "/v1/purchase-orders", **params))["items"])


def lines(po: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {x["sku"]: (x["quantity_ordered"], x["quantity_received"]) for x in po["lines"]}


class TestDrafting:
    async def test_one_purchase_order_per_supplier_with_the_right_quantities(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        pos = await purchase_orders(client, org)
        assert [(po["supplier"], po["destination"], po["status"]) for po in pos] == [
            ("ACME", "WH1", "draft"),
            ("BOLT", "WH1", "draft"),
        ]
        acme, bolt = pos
        # MUG: 2 available, up to 20 is 18, in packs of 6 -> 18; CUP: 0 -> 10;
        # TEE: 0 -> 4, but at least the minimum of 10.
        assert lines(acme) == {"MUG": (18, 0), "CUP": (10, 0)}
        assert lines(bolt) == {"TEE": (10, 0)}
        assert acme["expected_on"] == "2026-03-07"
        assert [x["unit_cost"] for x in acme["lines"]] == ["2.50", "1.00"]

    async def test_running_twice_drafts_no_duplicate(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        first = await purchase_orders(client, org)
        await run_restock(db, org)
        response = await client.post("/v1/replenishment/run", headers=org.headers)
        assert response.status_code == 200, response.text
        assert response.json()["purchase_orders"] == []
        assert await purchase_orders(client, org) == first

    async def test_more_demand_tops_up_the_open_draft(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        response = await client.put(
            "/v1/replenishment/rules",
            json={
                "rules": [
                    {"sku": "CUP", "location": "WH1", "reorder_point": 15, "max_quantity": 30}
                ]
            },
            headers=org.headers,
        )
        assert response.status_code == 200
        await run_restock(db, org)
        acme = await purchase_orders(client, org, supplier="ACME")
        assert len(acme) == 1
        assert lines(acme[0])["CUP"] == (30, 0)

    async def test_a_submitted_order_counts_as_on_order(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        for po in await purchase_orders(client, org):
            response = await client.post(
                f"/v1/purchase-orders/{po['id']}/submit", headers=org.headers
            )
            assert response.status_code == 200
            assert response.json()["status"] == "submitted"
        await run_restock(db, org)
        assert await purchase_orders(client, org, status="draft") == []


class TestReceiving:
    async def test_receipt_adds_stock_with_ledger_rows_and_sources_a_backorder(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        order = await place_order(db, org, [("CUP", 4)], channel="b2b")
        assert order["status"] == "backordered"
        await run_restock(db, org)
        acme = (await purchase_orders(client, org, supplier="ACME"))[0]
        # backordered units are not counted as demand: CUP is ordered up to its maximum
        assert lines(acme)["CUP"] == (10, 0)
        submitted = await client.post(
            f"/v1/purchase-orders/{acme['id']}/submit", headers=org.headers
        )
        assert submitted.status_code == 200

        response = await client.post(
            f"/v1/purchase-orders/{acme['id']}/receive",
            json={"lines": [{"sku": "CUP", "quantity": 6}]},
            headers={**org.headers, "Idempotency-Key": "rcv-1"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "partially_received"
        assert lines(response.json())["CUP"] == (10, 6)
        assert (await stock_of(client, org.headers, "CUP"))["WH1"] == {
            "on_hand": 6,
            "reserved": 4,
            "safety_stock": 0,
            "available": 2,
        }
        assert (await get(client, org, f"/v1/orders/{order['id']}"))["status"] == "allocated"
        ledger = await get(client, org, "/v1/inventory/ledger", sku="CUP")
        kinds = [(m["kind"], m["on_hand_delta"], m["reference"]) for m in ledger["items"]]
        assert ("received", 6, f"PO-{acme['id']}") in kinds

        replay = await client.post(
            f"/v1/purchase-orders/{acme['id']}/receive",
            json={"lines": [{"sku": "CUP", "quantity": 6}]},
            headers={**org.headers, "Idempotency-Key": "rcv-1"},
        )
        assert replay.status_code == 201
        assert (await stock_of(client, org.headers, "CUP"))["WH1"]["on_hand"] == 6
        assert await ledger_mismatches(db, org.id) == []

    async def test_the_last_units_complete_the_order(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        bolt = (await purchase_orders(client, org, supplier="BOLT"))[0]
        await client.post(f"/v1/purchase-orders/{bolt['id']}/submit", headers=org.headers)
        response = await client.post(
            f"/v1/purchase-orders/{bolt['id']}/receive",
            json={"lines": [{"sku": "TEE", "quantity": 10}]},
            headers=org.headers,
        )
        assert response.json()["status"] == "received"
        again = await client.post(
            f"/v1/purchase-orders/{bolt['id']}/receive",
            json={"lines": [{"sku": "TEE", "quantity": 1}]},
            headers=org.headers,
        )
        assert again.status_code == 422
        assert again.json()["errors"][0]["field"] == "lines.0.quantity"
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_draft_cannot_be_received(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        bolt = (await purchase_orders(client, org, supplier="BOLT"))[0]
        response = await client.post(
            f"/v1/purchase-orders/{bolt['id']}/receive",
            json={"lines": [{"sku": "TEE", "quantity": 1}]},
            headers=org.headers,
        )
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"


class TestAccess:
    async def test_other_org_gets_404_and_viewer_403(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)
        await run_restock(db, org)
        po = (await purchase_orders(client, org))[0]
        other = await make_org(db)
        for path in (f"/v1/purchase-orders/{po['id']}",):
            assert (await client.get(path, headers=other.headers)).status_code == 404
        submit = await client.post(f"/v1/purchase-orders/{po['id']}/submit", headers=other.headers)
        assert submit.status_code == 404
        assert await purchase_orders(client, other) == []
        viewer = await key_for(db, org, Role.VIEWER)
        response = await client.post(f"/v1/purchase-orders/{po['id']}/submit", headers=viewer)
        assert response.status_code == 403
        response = await client.put(
            "/v1/replenishment/rules",
            json={
                "rules": [{"sku": "MUG", "location": "WH1", "reorder_point": 1, "max_quantity": 2}]
            },
            headers=viewer,
        )
        assert response.status_code == 403

    async def test_a_supplier_must_be_a_supplier_location(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await restockable_shop(db, org)
        response = await client.put(
            "/v1/replenishment/suppliers",
            json={"suppliers": [{"sku": "MUG", "supplier": "WH1", "currency": "USD"}]},
            headers=org.headers,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "not_a_supplier"
        assert response.json()["errors"][0]["field"] == "suppliers.0.supplier"


class TestCrashesAndRaces:
    async def test_a_run_killed_midway_leaves_nothing_and_the_retry_drafts_once(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await restockable_shop(db, org)

        class WorkerKilled(Exception):
            pass

        try:
            async with db.transaction() as transaction:
                conn = transaction.connection
                await tasks.draft_purchase_orders(conn, org_id=org.id, today=date(2026, 3, 2))
                raise WorkerKilled
        except WorkerKilled:
            pass
        assert await purchase_orders(client, org) == []
        await run_restock(db, org)
        await run_restock(db, org)
        assert len(await purchase_orders(client, org)) == 2

    async def test_two_workers_at_once_draft_one_order_per_supplier(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        import asyncio

        await restockable_shop(db, org)
        await asyncio.gather(run_restock(db, org), run_restock(db, org), run_restock(db, org))
        pos = await purchase_orders(client, org)
        assert [po["supplier"] for po in pos] == ["ACME", "BOLT"]
        assert lines(pos[0]) == {"MUG": (18, 0), "CUP": (10, 0)}


async def test_a_code_with_a_nul_character_is_refused(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.put(
        "/v1/replenishment/rules",
        json={
            "rules": [
                {"sku": "MU\u0000G", "location": "WH1", "reorder_point": 1, "max_quantity": 2}
            ]
        },
        headers=org.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_value"
