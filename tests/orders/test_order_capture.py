"""Capturing orders through the API: outcomes, stock, idempotency and bad input."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    key_for,
    make_org,
    order_body,
    receive_stock,
)
from tests.orders.helpers import ledger_mismatches, order_count, stock_of


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    """One warehouse with 10 TEE-M and 5 MUG."""
    await create_location(db, org, "WH1")
    for sku, quantity in (("TEE-M", 10), ("MUG", 5)):
        await create_sku(db, org, sku)
        await receive_stock(db, org, sku, "WH1", quantity)
    return org


class TestCapture:
    async def test_the_contract_order_is_allocated_and_reserves_stock(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        response = await client.post(
            "/v1/orders", json=order_body([("TEE-M", 1)]), headers=shop.headers
        )
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "allocated"
        assert order["number"].startswith("SO-")
        assert order["total"] == "19.99"
        assert order["lines"][0]["allocations"] == [
            {"location": "WH1", "quantity": 1, "status": "reserved"}
        ]
        assert (await stock_of(client, shop.headers, "TEE-M"))["WH1"] == {
            "on_hand": 10,
            "reserved": 1,
            "safety_stock": 0,
            "available": 9,
        }
        assert await ledger_mismatches(db, shop.id) == []

    async def test_numbers_count_up_per_organization(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        numbers = []
        for _ in range(2):
            r = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers)
            numbers.append(int(r.json()["number"].removeprefix("SO-")))
        assert numbers[1] > numbers[0] >= 1001

    async def test_get_returns_what_capture_returned(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        created = (
            await client.post(
                "/v1/orders", json=order_body([("TEE-M", 2), ("MUG", 1)]), headers=shop.headers
            )
        ).json()
        fetched = await client.get(f"/v1/orders/{created['id']}", headers=shop.headers)
        assert fetched.status_code == 200
        assert fetched.json() == created

    async def test_short_stock_is_409_and_writes_nothing(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        response = await client.post(
            "/v1/orders", json=order_body([("MUG", 1), ("TEE-M", 11)]), headers=shop.headers
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "insufficient_stock"
        assert problem["shortages"] == [{"line_no": 2, "sku": "TEE-M", "requested": 11, "short": 1}]
        assert await order_count(db, shop.id) == 0
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 0

    async def test_a_backorder_channel_backorders_the_short_units(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        await create_channel(
            db, shop, "market", name="Market", kind="marketplace", allow_backorders=True
        )
        response = await client.post(
            "/v1/orders",
            json=order_body([("MUG", 8)], channel="market"),
            headers=shop.headers,
        )
        assert response.status_code == 201
        order = response.json()
        assert order["status"] == "backordered"
        assert (order["lines"][0]["allocated"], order["lines"][0]["backordered"]) == (5, 3)
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["available"] == 0

    async def test_pending_payment_puts_the_order_on_hold_with_stock_kept(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        body = order_body([("MUG", 2)], payment={"status": "pending", "amount": "0"})
        order = (await client.post("/v1/orders", json=body, headers=shop.headers)).json()
        assert order["status"] == "on_hold"
        assert order["hold_reasons"] == ["payment"]
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 2

    async def test_no_location_ships_abroad_so_the_order_waits_on_hold(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        body = order_body([("MUG", 1)])
        body["shipping_address"] = {
            "line1": "1 Rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
        }
        order = (await client.post("/v1/orders", json=body, headers=shop.headers)).json()
        assert (order["status"], order["hold_reasons"]) == ("on_hold", ["shipping"])
        assert order["lines"][0]["allocated"] == 0

    async def test_every_check_lands_on_the_timeline(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        order = (
            await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers)
        ).json()
        events = await client.get(f"/v1/orders/{order['id']}/events", headers=shop.headers)
        types = [e["type"] for e in events.json()["items"]]
        assert types == [
            "order.captured",
            "check.availability",
            "check.payment",
            "check.shipping",
            "check.fraud",
            "sourcing.decided",
            "order.allocated",
        ]

    async def test_pickup_sources_only_from_the_pickup_store(
        self, db: Database, client: httpx.AsyncClient, shop: Org
    ) -> None:
        await create_location(
            db, shop, "ST1", city="Boston", kind="store", capabilities=("pickup",)
        )
        await receive_stock(db, shop, "MUG", "ST1", 1)
        body = order_body([("MUG", 1)], delivery_method="pickup", pickup_location="ST1")
        order = (await client.post("/v1/orders", json=body, headers=shop.headers)).json()
        assert order["status"] == "allocated"
        assert order["lines"][0]["allocations"][0]["location"] == "ST1"
        again = await client.post("/v1/orders", json=body, headers=shop.headers)
        assert again.status_code == 409  # the warehouse's mugs are not for pickup at ST1

    async def test_pickup_at_a_location_without_pickup_is_refused(
        self, client: httpx.AsyncClient, shop: Org
    ) -> None:
        body = order_body([("MUG", 1)], delivery_method="pickup", pickup_location="WH1")
        response = await client.post("/v1/orders", json=body, headers=shop.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "pickup_not_available"
        assert response.json()["errors"][0]["field"] == "pickup_location"


class TestNoDuplicates:
    async def test_same_channel_external_id_returns_the_first_order(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        body = order_body([("MUG", 1)], external_id="shop-1001")
        first = await client.post("/v1/orders", json=body, headers=shop.headers)
        second = await client.post("/v1/orders", json=body, headers=shop.headers)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["id"] == first.json()["id"]
        assert await order_count(db, shop.id) == 1
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 1

    # Through `served` the API key is known to the process after the first request, and the
    # key's claim travels with capture's first round trip instead of the key lookup.
    @pytest.fixture(params=["client", "served"])
    def api(self, request: pytest.FixtureRequest) -> httpx.AsyncClient:
        api: httpx.AsyncClient = request.getfixturevalue(request.param)
        return api

    async def test_idempotency_key_replays_the_first_response(
        self, api: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        headers = {**shop.headers, "Idempotency-Key": "k-1"}
        body = order_body([("MUG", 1)])
        first = await api.post("/v1/orders", json=body, headers=headers)
        replay = await api.post("/v1/orders", json=body, headers=headers)
        assert (first.status_code, replay.status_code) == (201, 201)
        assert replay.json() == first.json()
        assert replay.headers.get("idempotent-replayed") == "true"
        assert await order_count(db, shop.id) == 1
        assert (await stock_of(api, shop.headers, "MUG"))["WH1"]["reserved"] == 1

    async def test_idempotency_key_with_another_body_is_422(
        self, api: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        headers = {**shop.headers, "Idempotency-Key": "k-2"}
        await api.post("/v1/orders", json=order_body([("MUG", 1)]), headers=headers)
        other = await api.post("/v1/orders", json=order_body([("MUG", 2)]), headers=headers)
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"
        assert await order_count(db, shop.id) == 1

    async def test_an_expired_idempotency_key_captures_again(
        self, api: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        await api.get("/v1/orders", headers=shop.headers)  # the API key is known now
        headers = {**shop.headers, "Idempotency-Key": "k-4"}
        body = order_body([("MUG", 1)])
        first = await api.post("/v1/orders", json=body, headers=headers)
        async with db.transaction() as transaction:
            conn = transaction.connection
            await conn.execute(
                sa.text(
                    "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"
                    " WHERE org_id = :org AND key = 'k-4'"
                ),
                {"org": shop.id},
            )
        again = await api.post("/v1/orders", json=body, headers=headers)
        replay = await api.post("/v1/orders", json=body, headers=headers)
        assert (first.status_code, again.status_code, replay.status_code) == (201, 201, 201)
        assert again.json()["id"] != first.json()["id"]
        assert replay.json() == again.json()
        assert await order_count(db, shop.id) == 2
        assert (await stock_of(api, shop.headers, "MUG"))["WH1"]["reserved"] == 2

    async def test_an_idempotency_key_in_flight_is_409_and_nothing_is_written(
        self, api: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        await api.get("/v1/orders", headers=shop.headers)  # the API key is known now
        async with db.transaction() as transaction:
            conn = transaction.connection
            # Another request with the key is being processed: it holds the key's claim.
            await conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:claim, 7))"),
                {"claim": f"{shop.id}:k-3"},
            )
            busy = await api.post(
                "/v1/orders",
                json=order_body([("MUG", 1)]),
                headers={**shop.headers, "Idempotency-Key": "k-3"},
            )
        assert busy.status_code == 409
        assert busy.json()["code"] == "idempotency_key_in_use"
        assert await order_count(db, shop.id) == 0
        assert (await stock_of(api, shop.headers, "MUG"))["WH1"]["reserved"] == 0


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field", "code"),
        [
            (
                {"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}]},
                "lines.0.sku",
                "unknown_sku",
            ),
            (
                {"lines": [{"sku": "MUG", "quantity": 0, "unit_price": "1.00"}]},
                "lines.0.quantity",
                "validation_error",
            ),
            (
                {"lines": [{"sku": "MUG", "quantity": -2, "unit_price": "1.00"}]},
                "lines.0.quantity",
                "validation_error",
            ),
            (
                {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "1.999"}]},
                "lines.0.unit_price",
                "invalid_amount",
            ),
            (
                {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "abc"}]},
                "lines.0.unit_price",
                "validation_error",
            ),
            (
                {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": 19.99}]},
                "lines.0.unit_price",
                "validation_error",
            ),
            ({"lines": []}, "lines", "validation_error"),
            ({"currency": "usd"}, "currency", "validation_error"),
            ({"currency": "XYZ"}, "currency", "invalid_currency"),
            ({"channel": "nowhere"}, "channel", "unknown_channel"),
            ({"status": "allocated"}, "status", "validation_error"),
            ({"customer": {"email": "not-an-email"}}, "customer.email", "validation_error"),
        ],
    )
    async def test_is_a_problem_naming_the_field_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        shop: Org,
        db: Database,
        change: dict[str, object],
        field: str,
        code: str,
    ) -> None:
        body = order_body([("MUG", 1)])
        body.update(change)
        response = await client.post("/v1/orders", json=body, headers=shop.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == code
        assert field in [e["field"] for e in problem["errors"]]
        assert await order_count(db, shop.id) == 0
        assert (await stock_of(client, shop.headers, "MUG"))["WH1"]["reserved"] == 0

    async def test_malformed_json_is_400(self, client: httpx.AsyncClient, shop: Org) -> None:
        response = await client.post(
            "/v1/orders",
            content=b'{"channel": "web", ',
            headers={**shop.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_json"

    async def test_an_oversized_body_is_413(self, client: httpx.AsyncClient, shop: Org) -> None:
        body = order_body([("MUG", 1)], notes="x" * 2_000_000)
        response = await client.post("/v1/orders", json=body, headers=shop.headers)
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"


class TestAccess:
    async def test_without_a_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/orders")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    async def test_a_viewer_cannot_place_or_cancel(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        order = (
            await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers)
        ).json()
        viewer = await key_for(db, shop, Role.VIEWER)
        placed = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=viewer)
        cancelled = await client.post(
            f"/v1/orders/{order['id']}/cancel", json={"reason": "x"}, headers=viewer
        )
        assert (placed.status_code, cancelled.status_code) == (403, 403)
        assert (await client.get(f"/v1/orders/{order['id']}", headers=viewer)).status_code == 200

    async def test_another_organizations_order_is_404(
        self, client: httpx.AsyncClient, shop: Org, db: Database
    ) -> None:
        order = (
            await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers)
        ).json()
        other = await make_org(db)
        for method, path in (
            ("GET", f"/v1/orders/{order['id']}"),
            ("GET", f"/v1/orders/{order['id']}/events"),
            ("POST", f"/v1/orders/{order['id']}/cancel"),
        ):
            response = await client.request(
                method, path, json={"reason": "x"}, headers=other.headers
            )
            assert response.status_code == 404, path
        listed = await client.get("/v1/orders", headers=other.headers)
        assert listed.json()["items"] == []


async def test_customers_keep_one_record_with_an_address_book(
    client: httpx.AsyncClient, shop: Org
) -> None:
    await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=shop.headers)
    body = order_body([("MUG", 1)], customer={"email": "a@example.com", "phone": "+1 555 0100"})
    body["shipping_address"] = {
        "line1": "9 Oak Ave",
        "city": "Boston",
        "postal_code": "02111",
        "country": "US",
    }
    await client.post("/v1/orders", json=body, headers=shop.headers)
    await client.post("/v1/orders", json=body, headers=shop.headers)

    found = (
        await client.get("/v1/customers", params={"q": "a@example"}, headers=shop.headers)
    ).json()["items"]
    assert len(found) == 1
    customer = found[0]
    assert (customer["name"], customer["phone"], customer["order_count"]) == (
        "Ann",
        "+1 555 0100",
        3,
    )
    assert [a["line1"] for a in customer["addresses"]] == ["5 Elm St", "9 Oak Ave"]
