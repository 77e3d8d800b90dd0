"""What may come back: shipped minus returned, the window, non-returnable SKUs, reasons;
the lifecycle's refusals; and who may see and change returns."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import Org, key_for, make_org, shipped_order
from tests.returns.helpers import open_return, open_shop, post, set_return_policy


class TestQuantities:
    async def test_capped_by_shipped_minus_returned(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2)])
        first = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
        refused = await open_return(client, org, placed["id"], [(1, 2, "too_small")], status=422)
        assert refused["code"] == "return_quantity_exceeded"
        assert refused["errors"][0]["field"] == "lines.0.quantity"
        await open_return(client, org, placed["id"], [(1, 1, "too_small")])
        assert (await open_return(client, org, placed["id"], [(1, 1, "x")], status=422))[
            "code"
        ] in ("return_quantity_exceeded", "return_reason_not_offered")
        await post(client, org, f"/v1/returns/{first['id']}/cancel", {"reason": "kept it"})
        again = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        assert again["number"] == "RMA-1003"

    async def test_an_unshipped_order_has_nothing_to_return(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        from tests.factories import order_body

        placed = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=org.headers)
        assert placed.status_code == 201, placed.text
        refused = await open_return(
            client, org, placed.json()["id"], [(1, 1, "damaged")], status=422
        )
        assert refused["code"] == "order_not_shipped"

    async def test_unknown_line(self, client: httpx.AsyncClient, org: Org, db: Database) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        refused = await open_return(client, org, placed["id"], [(7, 1, "damaged")], status=422)
        assert refused["code"] == "return_line_invalid"


class TestPolicy:
    async def test_window_closed(self, client: httpx.AsyncClient, org: Org, db: Database) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        await set_return_policy(db, org, {"window_days": 0})
        refused = await open_return(client, org, placed["id"], [(1, 1, "damaged")], status=422)
        assert refused["code"] == "return_window_expired"

    async def test_non_returnable_sku_and_reasons(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1), ("HAT", 1)])
        await set_return_policy(
            db, org, {"non_returnable_skus": ["HAT"], "reasons": ["damaged", "too_small"]}
        )
        hat = await open_return(client, org, placed["id"], [(2, 1, "damaged")], status=422)
        assert hat["code"] == "sku_not_returnable"
        reason = await open_return(client, org, placed["id"], [(1, 1, "changed_mind")], status=422)
        assert reason["code"] == "return_reason_not_offered"
        assert reason["errors"][0]["field"] == "lines.0.reason"
        await open_return(client, org, placed["id"], [(1, 1, "too_small")])

    async def test_invalid_policy_is_named(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        await set_return_policy(db, org, {"window_days": -3})
        refused = await open_return(client, org, placed["id"], [(1, 1, "damaged")], status=422)
        assert refused["code"] == "return_policy_invalid"


class TestLifecycle:
    async def test_illegal_moves_are_409(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")], authorize=False)
        assert opened["status"] == "requested"
        path = f"/v1/returns/{opened['id']}"
        for action in ("close", "in-transit", "refund"):
            response = await client.post(path + "/" + action, json={}, headers=org.headers)
            assert response.status_code == 409, (action, response.text)
            assert response.json()["code"] == "illegal_transition"
        receipt = await client.post(
            path + "/receive", json={"lines": [{"line_no": 1, "restock": 1}]}, headers=org.headers
        )
        assert receipt.status_code == 409
        authorized = await post(client, org, path + "/authorize")
        assert authorized["status"] == "authorized"
        assert authorized["shipment_id"] is not None
        cancelled = await post(client, org, path + "/cancel")
        assert cancelled["status"] == "cancelled"
        label = await client.get(f"/v1/shipments/{cancelled['shipment_id']}", headers=org.headers)
        assert label.json()["status"] == "cancelled"
        again = await client.post(path + "/authorize", headers=org.headers)
        assert again.status_code == 409

    async def test_reject_a_request(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")], authorize=False)
        rejected = await post(client, org, f"/v1/returns/{opened['id']}/reject", {"reason": "x"})
        assert rejected["status"] == "rejected"
        listed = await client.get(
            "/v1/returns", params={"order_id": placed["id"]}, headers=org.headers
        )
        assert [r["status"] for r in listed.json()["items"]] == ["rejected"]


class TestAccess:
    async def test_other_org_404_and_viewer_403(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        other = await make_org(db)
        seen = await client.get(f"/v1/returns/{opened['id']}", headers=other.headers)
        assert seen.status_code == 404
        assert seen.json()["code"] == "return_not_found"
        stolen = await client.post(
            "/v1/returns",
            json={
                "order_id": placed["id"],
                "lines": [{"line_no": 1, "quantity": 1, "reason": "damaged"}],
            },
            headers=other.headers,
        )
        assert stolen.status_code == 404
        receipt = await client.post(
            f"/v1/returns/{opened['id']}/receive",
            json={"lines": [{"line_no": 1, "restock": 1}]},
            headers=other.headers,
        )
        assert receipt.status_code == 404

        viewer = await key_for(db, org, Role.VIEWER)
        assert (await client.get(f"/v1/returns/{opened['id']}", headers=viewer)).status_code == 200
        refused = await client.post(
            f"/v1/returns/{opened['id']}/receive",
            json={"lines": [{"line_no": 1, "restock": 1}]},
            headers=viewer,
        )
        assert refused.status_code == 403
        created = await client.post(
            "/v1/returns",
            json={
                "order_id": placed["id"],
                "lines": [{"line_no": 1, "quantity": 1, "reason": "damaged"}],
            },
            headers=viewer,
        )
        assert created.status_code == 403
