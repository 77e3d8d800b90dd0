"""Hold, release and cancel: transitions, stock given back, and illegal moves refused."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from tests.factories import Org, create_sku, order_body, receive_stock
from tests.orders.helpers import ledger_mismatches, stock_of


async def place(client: httpx.AsyncClient, org: Org, quantity: int = 2, **extra: object) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/v1/orders", json=order_body([("MUG", quantity)], **extra), headers=org.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def act(
    client: httpx.AsyncClient,
    org: Org,
    order: dict,
    action: str,
    **body: object,  # type: ignore[type-arg]
) -> httpx.Response:
    return await client.post(f"/v1/orders/{order['id']}/{action}", json=body, headers=org.headers)


class TestCancel:
    async def test_cancel_releases_every_reservation(
        self, client: httpx.AsyncClient, mug_shop: Org, db: Database
    ) -> None:
        order = await place(client, mug_shop, 3)
        response = await act(client, mug_shop, order, "cancel", reason="customer changed mind")
        assert response.status_code == 200
        cancelled = response.json()
        assert cancelled["status"] == "cancelled"
        assert cancelled["cancel_reason"] == "customer changed mind"
        assert cancelled["lines"][0]["allocations"][0]["status"] == "released"
        assert (await stock_of(client, mug_shop.headers, "MUG"))["WH1"]["available"] == 5
        assert await ledger_mismatches(db, mug_shop.id) == []

    async def test_cancelling_twice_is_an_illegal_transition(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        order = await place(client, mug_shop)
        await act(client, mug_shop, order, "cancel", reason="first")
        again = await act(client, mug_shop, order, "cancel", reason="second")
        assert again.status_code == 409
        assert again.json()["code"] == "illegal_transition"
        assert (await stock_of(client, mug_shop.headers, "MUG"))["WH1"]["reserved"] == 0

    async def test_cancel_needs_a_reason(self, client: httpx.AsyncClient, mug_shop: Org) -> None:
        order = await place(client, mug_shop)
        response = await act(client, mug_shop, order, "cancel")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "reason"


class TestHoldAndRelease:
    async def test_hold_then_release_returns_to_allocated(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        order = await place(client, mug_shop)
        held = (await act(client, mug_shop, order, "hold", reason="address check")).json()
        assert (held["status"], held["hold_reasons"]) == ("on_hold", ["manual"])
        assert (await stock_of(client, mug_shop.headers, "MUG"))["WH1"]["reserved"] == 2
        released = (await act(client, mug_shop, order, "release")).json()
        assert (released["status"], released["hold_reasons"]) == ("allocated", [])

    async def test_releasing_an_order_that_is_not_held_is_409(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        order = await place(client, mug_shop)
        response = await act(client, mug_shop, order, "release")
        assert response.status_code == 409
        assert response.json()["code"] == "order_not_on_hold"

    async def test_releasing_one_reason_keeps_the_other(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        order = await place(client, mug_shop, payment={"status": "pending", "amount": "0"})
        await act(client, mug_shop, order, "hold", reason="also check the address")
        partly = (await act(client, mug_shop, order, "release", hold="payment")).json()
        assert (partly["status"], partly["hold_reasons"]) == ("on_hold", ["manual"])
        done = (await act(client, mug_shop, order, "release", hold="manual")).json()
        assert done["status"] == "allocated"

    async def test_a_cancelled_order_cannot_be_held(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        order = await place(client, mug_shop)
        await act(client, mug_shop, order, "cancel", reason="fraud")
        response = await act(client, mug_shop, order, "hold", reason="late")
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"

    async def test_release_sources_an_order_held_before_sourcing(
        self, client: httpx.AsyncClient, mug_shop: Org, db: Database
    ) -> None:
        body_address = {"country": "US", "city": "Boston"}  # incomplete: held for shipping
        order = await place(client, mug_shop, shipping_address=body_address)
        assert (order["status"], order["hold_reasons"]) == ("on_hold", ["shipping"])
        assert order["lines"][0]["allocated"] == 0
        released = (
            await act(client, mug_shop, order, "release", reason="address confirmed")
        ).json()
        assert released["status"] == "allocated"
        assert released["lines"][0]["allocated"] == 2
        assert (await stock_of(client, mug_shop.headers, "MUG"))["WH1"]["reserved"] == 2
        assert await ledger_mismatches(db, mug_shop.id) == []


class TestListing:
    async def test_filters_and_pagination(
        self, db: Database, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        await create_sku(db, mug_shop, "TEE")
        await receive_stock(db, mug_shop, "TEE", "WH1", 5)
        a = await place(client, mug_shop, 1)
        b = await place(client, mug_shop, 1, customer={"email": "bo@example.com"})
        c = (
            await client.post("/v1/orders", json=order_body([("TEE", 1)]), headers=mug_shop.headers)
        ).json()
        await act(client, mug_shop, a, "cancel", reason="test")

        async def ids(**params: object) -> list[int]:
            r = await client.get("/v1/orders", params=params, headers=mug_shop.headers)
            assert r.status_code == 200, r.text
            return [o["id"] for o in r.json()["items"]]

        assert await ids() == [c["id"], b["id"], a["id"]]
        assert await ids(status="cancelled") == [a["id"]]
        assert await ids(customer_email="bo@example.com") == [b["id"]]
        assert await ids(sku="TEE") == [c["id"]]
        assert await ids(location="WH1", status="allocated") == [c["id"], b["id"]]
        assert await ids(channel="web", limit=5) == [c["id"], b["id"], a["id"]]

        first = (
            await client.get("/v1/orders", params={"limit": 2}, headers=mug_shop.headers)
        ).json()
        assert [o["id"] for o in first["items"]] == [c["id"], b["id"]]
        rest = await client.get(
            "/v1/orders",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=mug_shop.headers,
        )
        assert [o["id"] for o in rest.json()["items"]] == [a["id"]]
        assert rest.json()["next_cursor"] is None

    async def test_a_bad_cursor_or_status_is_422(
        self, client: httpx.AsyncClient, mug_shop: Org
    ) -> None:
        bad_cursor = await client.get(
            "/v1/orders", params={"cursor": "%%%"}, headers=mug_shop.headers
        )
        bad_status = await client.get(
            "/v1/orders", params={"status": "lost"}, headers=mug_shop.headers
        )
        assert (bad_cursor.status_code, bad_status.status_code) == (422, 422)
        assert bad_cursor.json()["errors"][0]["field"] == "cursor"
