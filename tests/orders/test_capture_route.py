"""How a capture request is sent: the capture route answers every form of request as the API's
other creating routes do (orders/capture_route.py resolves plain requests itself)."""

from __future__ import annotations

import json

import httpx
import pytest

from orderly.kit.db import Database
from tests.factories import Org, order_body
from tests.orders.helpers import order_count


def _location_body() -> dict[str, object]:
    return {
        "code": "STORE9",
        "name": "Store 9",
        "kind": "store",
        "address": {
            "line1": "1 Main St",
            "city": "Boston",
            "postal_code": "02110",
            "country": "US",
        },
    }


async def test_a_json_body_with_a_charset_is_captured(
    client: httpx.AsyncClient, mug_shop: Org, db: Database
) -> None:
    response = await client.post(
        "/v1/orders",
        content=json.dumps(order_body([("MUG", 2)])).encode(),
        headers={**mug_shop.headers, "Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "allocated"
    assert await order_count(db, mug_shop.id) == 1


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/problem+json"],
)
async def test_another_content_type_is_answered_as_on_other_routes(
    client: httpx.AsyncClient, mug_shop: Org, db: Database, content_type: str | None
) -> None:
    headers = {k: v for k, v in mug_shop.headers.items() if k.lower() != "content-type"}
    if content_type is not None:
        headers["Content-Type"] = content_type

    async def post(path: str, body: dict[str, object]) -> httpx.Response:
        return await client.post(path, content=json.dumps(body).encode(), headers=headers)

    order = await post("/v1/orders", order_body([("MUG", 1)]))
    location = await post("/v1/locations", _location_body())
    assert order.status_code == location.status_code, (order.text, location.text)
    if order.status_code >= 400:
        assert order.json()["code"] == location.json()["code"]
        assert await order_count(db, mug_shop.id) == 0
    else:
        assert await order_count(db, mug_shop.id) == 1


async def test_an_idempotency_key_of_the_longest_length_is_kept(
    client: httpx.AsyncClient, mug_shop: Org
) -> None:
    headers = {**mug_shop.headers, "Idempotency-Key": "k" * 255}
    first = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=headers)
    again = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"


async def test_an_over_long_idempotency_key_is_a_problem_naming_the_header(
    client: httpx.AsyncClient, mug_shop: Org, db: Database
) -> None:
    headers = {**mug_shop.headers, "Idempotency-Key": "k" * 256}
    response = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=headers)
    assert response.status_code == 422, response.text
    assert "Idempotency-Key" in [e["field"] for e in response.json()["errors"]]
    assert await order_count(db, mug_shop.id) == 0


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-key", "Basic dXNlcjpwYXNz"])
async def test_a_valid_order_without_a_valid_key_is_401_and_writes_nothing(
    client: httpx.AsyncClient, mug_shop: Org, db: Database, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post("/v1/orders", json=order_body([("MUG", 1)]), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert await order_count(db, mug_shop.id) == 0


async def test_an_invalid_order_without_a_key_is_401_as_well(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/orders", json={"lines": []})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
