"""Store credit spent on a new order: drawn at capture, never twice, given back on cancel."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from orderly.kit.db import Database
from tests.factories import Org, order_body, shipped_order
from tests.fulfillment.helpers import act, confirm, fulfillment_orders, ok, pick
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.returns.helpers import open_return, open_shop, post

PAID_WITH_CREDIT = {"status": "captured", "method": "store_credit"}


async def customer_with_credit(
    client: httpx.AsyncClient, db: Database, org: Org, units: int
) -> int:
    """The shop's customer, with `units` x 19.99 of store credit from a refunded return."""
    await open_shop(db, org)
    placed = await shipped_order(db, org, [("MUG", units)])
    opened = await open_return(client, org, placed["id"], [(1, units, "too_small")])
    path = f"/v1/returns/{opened['id']}"
    await post(client, org, path + "/receive", {"lines": [{"line_no": 1, "restock": units}]})
    await post(client, org, path + "/refund", {"destination": "store_credit"}, 201)
    customers = await ok(await client.get("/v1/customers", headers=org.headers))
    return int(customers["items"][0]["id"])


async def credit(client: httpx.AsyncClient, org: Org, customer_id: int) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}/store-credit", headers=org.headers)
    assert response.status_code == 200, response.text
    [usd] = response.json()
    return dict(usd)


def paid_with_credit(units: int, **payment: str) -> dict[str, Any]:
    amount = f"{Decimal('19.99') * units:.2f}"
    return order_body([("HAT", units)], payment={**PAID_WITH_CREDIT, "amount": amount, **payment})


class TestSpendingStoreCredit:
    async def test_an_order_paid_with_store_credit_draws_the_balance(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=2)
        assert (await credit(client, org, customer_id))["balance"] == "39.98"

        placed = await client.post("/v1/orders", json=paid_with_credit(1), headers=org.headers)

        assert placed.status_code == 201, placed.text
        assert placed.json()["payment"] == {
            "status": "captured",
            "amount": "19.99",
            "method": "store_credit",
            "reference": None,
            "authorized": "19.99",
            "captured": "19.99",
            "refunded": "0.00",
        }
        assert placed.json()["payments"][0]["provider"] == "store_credit"
        account = await credit(client, org, customer_id)
        assert account["balance"] == "19.99"
        assert [(e["amount"], e["order_id"]) for e in account["entries"]][-1] == (
            "-19.99",
            placed.json()["id"],
        )

    async def test_more_than_the_balance_is_refused_and_nothing_is_written(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=1)
        orders_before = await ok(await client.get("/v1/orders", headers=org.headers))

        refused = await client.post("/v1/orders", json=paid_with_credit(2), headers=org.headers)

        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "store_credit_insufficient"
        assert refused.json()["errors"][0]["field"] == "payment.amount"
        assert (await credit(client, org, customer_id))["balance"] == "19.99"
        assert (await stock_of(client, org.headers, "HAT"))["WH1"]["reserved"] == 0
        orders_after = await ok(await client.get("/v1/orders", headers=org.headers))
        assert orders_after["items"] == orders_before["items"]
        assert await ledger_mismatches(db, org.id) == []

    async def test_orders_racing_for_one_balance_never_spend_it_twice(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=2)

        answers = await asyncio.gather(
            *(
                client.post("/v1/orders", json=paid_with_credit(1), headers=org.headers)
                for _ in range(6)
            )
        )

        codes = sorted(a.status_code for a in answers)
        assert codes == [201, 201, 409, 409, 409, 409], [a.text for a in answers]
        account = await credit(client, org, customer_id)
        assert account["balance"] == "0.00"
        entries = sum(Decimal(e["amount"]) for e in account["entries"])
        assert entries == Decimal(account["balance"])
        assert (await stock_of(client, org.headers, "HAT"))["WH1"]["reserved"] == 2

    async def test_units_cancelled_short_at_capture_are_not_drawn(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=2)
        others = order_body([("HAT", 9)], customer={"email": "b@example.com"})
        await ok(await client.post("/v1/orders", json=others, headers=org.headers), 201)
        config = {"rules": [{"type": "backorder", "policy": "cancel_line"}]}
        await client.put("/v1/routing-configs/default", json=config, headers=org.headers)

        placed = await ok(
            await client.post("/v1/orders", json=paid_with_credit(2), headers=org.headers), 201
        )

        assert (placed["lines"][0]["cancelled"], placed["total"]) == (1, "19.99")
        assert placed["payment"]["amount"] == "19.99"
        assert (await credit(client, org, customer_id))["balance"] == "19.99"

    async def test_cancelling_the_unshipped_units_gives_their_credit_back(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=3)
        placed = await ok(
            await client.post("/v1/orders", json=paid_with_credit(3), headers=org.headers), 201
        )
        [fo] = await fulfillment_orders(client, org, placed["id"])
        await ok(await act(client, org, fo["id"], "accept"))
        await confirm(client, org, (await pick(client, org, "WH1"))["id"])
        parcels = [{"box": "S", "items": [{"line_no": 1, "quantity": q}]} for q in (1, 2)]
        packed = await ok(await act(client, org, fo["id"], "pack", {"parcels": parcels}))
        first = packed["parcels"][0]["id"]
        await ok(await act(client, org, fo["id"], "ship", {"parcels": [first]}))
        assert (await credit(client, org, customer_id))["balance"] == "0.00"

        done = await ok(
            await client.post(
                f"/v1/orders/{placed['id']}/cancel-unshipped",
                json={"reason": "too late"},
                headers=org.headers,
            )
        )

        assert (done["status"], done["total"]) == ("shipped", "19.99")
        assert (await credit(client, org, customer_id))["balance"] == "39.98"
        assert await ledger_mismatches(db, org.id) == []

    async def test_cancelling_the_order_gives_the_credit_back(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        customer_id = await customer_with_credit(client, db, org, units=1)
        placed = await ok(
            await client.post("/v1/orders", json=paid_with_credit(1), headers=org.headers), 201
        )
        assert (await credit(client, org, customer_id))["balance"] == "0.00"

        cancelled = await client.post(
            f"/v1/orders/{placed['id']}/cancel",
            json={"reason": "changed mind"},
            headers=org.headers,
        )

        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["payment"]["status"] == "refunded"
        account = await credit(client, org, customer_id)
        assert account["balance"] == "19.99"
        assert account["entries"][-1]["amount"] == "19.99"
        refunds = await client.get(f"/v1/orders/{placed['id']}/refunds", headers=org.headers)
        assert [(r["amount"], r["provider"]) for r in refunds.json()] == [("19.99", "store_credit")]

    async def test_store_credit_is_drawn_at_capture_only(
        self, client: httpx.AsyncClient, org: Org, db: Database
    ) -> None:
        await customer_with_credit(client, db, org, units=1)
        authorized_only = paid_with_credit(1, status="authorized")

        refused = await client.post("/v1/orders", json=authorized_only, headers=org.headers)

        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "store_credit_payment_invalid"
        assert refused.json()["errors"][0]["field"] == "payment.status"
