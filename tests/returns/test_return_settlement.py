"""Refunds of returns (arithmetic, idempotency, store credit, caps) and exchanges."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from tests.factories import Org, shipped_order
from tests.fulfillment.helpers import ok, order, timeline
from tests.returns.helpers import open_return, open_shop, post, set_return_policy

# 3 MUG at 10.00 with 1.00 off and 2.00 tax on the line, 5.00 shipping: 36.00 in all.
DISCOUNTED: dict[str, Any] = {
    "lines": [
        {"sku": "MUG", "quantity": 3, "unit_price": "10.00", "discount": "1.00", "tax": "2.00"}
    ],
    "shipping_price": "5.00",
    "payment": {"status": "captured", "amount": "36.00", "reference": "pay_123"},
}


async def received(client: httpx.AsyncClient, org: Org, return_id: int, n: int) -> None:
    await post(
        client, org, f"/v1/returns/{return_id}/receive", {"lines": [{"line_no": 1, "restock": n}]}
    )


class TestRefundArithmetic:
    async def test_shares_of_discount_tax_and_shipping(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2)], **DISCOUNTED)
        # units are worth 10.33, 10.34, 10.33 (discount 0.34/0.33/0.33, tax 0.67/0.67/0.66)
        first = await open_return(client, org, placed["id"], [(1, 1, "changed_mind")])
        assert first["value"] == "10.33"
        second = await open_return(client, org, placed["id"], [(1, 2, "damaged")])
        assert second["shipping_refund"] == "5.00"
        assert second["value"] == "25.67"  # 10.34 + 10.33 + shipping 5.00
        await received(client, org, first["id"], 1)
        await received(client, org, second["id"], 2)
        one = await post(client, org, f"/v1/returns/{first['id']}/refund", {}, 201)
        two = await post(client, org, f"/v1/returns/{second['id']}/refund", {}, 201)
        assert (one["refund"]["amount"], two["refund"]["amount"]) == ("10.33", "25.67")
        assert (await order(client, org, placed["id"]))["payment"]["status"] == "refunded"

    async def test_restocking_fee_per_reason(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        await set_return_policy(db, org, {"restocking_fee_percent": {"changed_mind": "15"}})
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "changed_mind")])
        assert opened["value"] == "16.99"  # 19.99 less 3.00 (15 %, rounded half up)
        assert opened["shipping_refund"] == "0.00"


class TestRefunds:
    async def test_same_key_twice_is_one_refund(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2)])
        opened = await open_return(client, org, placed["id"], [(1, 2, "damaged")])
        await received(client, org, opened["id"], 2)
        path = f"/v1/returns/{opened['id']}/refund"
        body = {"amount": "10.00", "idempotency_key": "refund-abc"}
        first = await post(client, org, path, body, 201)
        again = await post(client, org, path, body, 200)
        assert again["refund"]["id"] == first["refund"]["id"]
        header = {**org.headers, "Idempotency-Key": "hdr-1"}
        by_header = await client.post(path, json={"amount": "5.00"}, headers=header)
        replay = await client.post(path, json={"amount": "5.00"}, headers=header)
        assert by_header.status_code == 201, by_header.text
        assert replay.json()["refund"]["id"] == by_header.json()["refund"]["id"]
        listed = await client.get(f"/v1/orders/{placed['id']}/refunds", headers=org.headers)
        refunds = listed.json()
        assert sorted(r["amount"] for r in refunds) == ["10.00", "5.00"]
        assert (await order(client, org, placed["id"]))["payment"]["status"] == (
            "partially_refunded"
        )

    async def test_never_more_than_owed_or_paid(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 2)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        await received(client, org, opened["id"], 1)
        path = f"/v1/returns/{opened['id']}/refund"
        over = await client.post(path, json={"amount": "20.00"}, headers=org.headers)
        assert over.status_code == 422
        assert over.json()["code"] == "refund_exceeds_return_value"
        goodwill = f"/v1/orders/{placed['id']}/refunds"
        await post(client, org, goodwill, {"amount": "30.00", "reason": "late"}, 201)
        capped = await client.post(path, json={}, headers=org.headers)
        assert capped.status_code == 422
        assert capped.json()["code"] == "refund_exceeds_captured"
        rest = await client.post(goodwill, json={"amount": "9.98"}, headers=org.headers)
        assert rest.status_code == 201, rest.text
        more = await client.post(goodwill, json={"amount": "0.01"}, headers=org.headers)
        assert more.json()["code"] == "refund_exceeds_captured"
        assert (await order(client, org, placed["id"]))["payment"]["status"] == "refunded"

    async def test_refund_to_store_credit(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
        await received(client, org, opened["id"], 1)
        done = await post(
            client,
            org,
            f"/v1/returns/{opened['id']}/refund",
            {"destination": "store_credit"},
            201,
        )
        assert done["refund"]["destination"] == "store_credit"
        customers = await ok(await client.get("/v1/customers", headers=org.headers))
        customer_id = customers["items"][0]["id"]
        credit = await client.get(f"/v1/customers/{customer_id}/store-credit", headers=org.headers)
        assert credit.status_code == 200, credit.text
        [usd] = credit.json()
        assert (usd["currency"], usd["balance"]) == ("USD", "19.99")
        assert [e["amount"] for e in usd["entries"]] == ["19.99"]


class TestExchange:
    async def test_dearer_replacement_leaves_the_difference_to_pay(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
        swapped = await post(
            client,
            org,
            f"/v1/returns/{opened['id']}/exchange",
            {"lines": [{"sku": "HAT", "quantity": 1, "unit_price": "25.00"}]},
            201,
        )
        assert (swapped["credit"], swapped["difference"]) == ("19.99", "5.01")
        assert swapped["refund"] is None
        assert swapped["return"]["exchange_order_id"] == swapped["order_id"]
        replacement = await order(client, org, swapped["order_id"])
        assert replacement["payment"]["status"] == "pending"
        assert replacement["payment"]["amount"] == "19.99"
        assert replacement["lines"][0]["sku"] == "HAT"
        assert "exchange.created" in await timeline(client, org, placed["id"])
        twice = await client.post(
            f"/v1/returns/{opened['id']}/exchange",
            json={"lines": [{"sku": "HAT", "quantity": 1, "unit_price": "25.00"}]},
            headers=org.headers,
        )
        assert twice.status_code == 409
        assert twice.json()["code"] == "exchange_exists"

    async def test_cheaper_replacement_refunds_the_difference(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await open_shop(db, org)
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
        swapped = await post(
            client,
            org,
            f"/v1/returns/{opened['id']}/exchange",
            {"lines": [{"sku": "HAT", "quantity": 1, "unit_price": "15.00"}]},
            201,
        )
        assert (swapped["credit"], swapped["difference"]) == ("15.00", "-4.99")
        assert swapped["refund"]["amount"] == "4.99"
        replacement = await order(client, org, swapped["order_id"])
        assert replacement["payment"]["status"] == "captured"
        assert replacement["status"] != "on_hold"
        await received(client, org, opened["id"], 1)
        nothing = await client.post(
            f"/v1/returns/{opened['id']}/refund", json={}, headers=org.headers
        )
        assert nothing.json()["code"] == "nothing_to_refund"
