"""Bad query and path parameters are the client's 4xx, naming the parameter, never a server
error or a dropped connection (kit.query, kit.pagination)."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Org

NUL = "a\x00b"
FORGED_CURSORS = ["W3RydWVd", "WzFlMzBd", "Wy0xXQ", "WyJ4Il0", "WzEsMl0", "!!!"]

CASES = [
    *(("/v1/orders", name, NUL) for name in ("channel", "location", "sku", "tag")),
    ("/v1/orders", "customer_email", NUL),
    ("/v1/orders", "created_from", NUL),
    ("/v1/orders", "created_from", "2024-13-45"),
    ("/v1/orders", "created_to", "yesterday"),
    ("/v1/orders", "cursor", "W3RydWVd"),
    *(("/v1/fulfillment-orders", "cursor", cursor) for cursor in FORGED_CURSORS),
    ("/v1/fulfillment-orders", "order_id", "99999999999999999999"),
    ("/v1/products", "q", NUL),
    ("/v1/customers", "q", NUL),
    ("/v1/customers", "email", NUL),
    ("/v1/inventory", "sku", NUL),
    ("/v1/returns", "order_id", "99999999999999999999"),
    ("/v1/fraud/review", "cursor", "W3RydWVd"),
]


@pytest.mark.parametrize(("path", "name", "value"), CASES)
async def test_a_bad_parameter_is_a_4xx_naming_it(
    path: str, name: str, value: str, client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.get(path, params={name: value}, headers=org.headers)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == name


@pytest.mark.parametrize(("name", "day"), [("from", "9999-12-31"), ("to", "9999-12-31")])
async def test_a_report_period_past_the_calendar_is_refused(
    name: str, day: str, client: httpx.AsyncClient, org: Org
) -> None:
    params = {"from": "2024-01-01", "to": "2024-01-31", name: day}

    response = await client.get("/v1/reports/returns", params=params, headers=org.headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == name


async def test_a_nul_in_a_path_parameter_is_refused(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get("/v1/fulfillment/locations/a%00b/bins", headers=org.headers)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "code"
