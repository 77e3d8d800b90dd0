"""Limits on what a client can send: body size, page size, string lengths, lines per order."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from tests.factories import Org, create_location, create_sku, make_org, order_body, receive_stock
from tests.security.routes import SPEC

MAX_BODY = 1_048_576
TOO_BIG = b'{"name": "' + b"x" * (MAX_BODY + 10) + b'"}'
BODY_ROUTES = [
    ("POST", "/v1/orders"),
    ("POST", "/v1/products"),
    ("POST", "/v1/inventory/adjustments"),
    ("PUT", "/v1/fulfillment/locations/WH1/boxes"),
    ("POST", "/v1/carriers/own/rate-card"),
]
# A pattern bounds a string's length when it is anchored and every repetition is bounded.
_BOUNDED_PATTERN = re.compile(r"^\^(?:[^*+{]|\{\d+(?:,\d+)?\})*\$$")
# Strings with no length limit of their own, and why that is fine.
UNBOUNDED = {
    "POST /v1/carriers/{code}/rate-card body": "a CSV file: bounded by the body size limit",
}


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_bodies_over_the_limit_are_refused(
    method: str, path: str, client: httpx.AsyncClient, org: Org
) -> None:
    headers = {**org.headers, "content-type": "application/json"}
    response = await client.request(method, path, content=TOO_BIG, headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit is counted as the body arrives.
        for start in range(0, len(TOO_BIG), 65536):
            yield TOO_BIG[start : start + 65536]

    response = await client.request(method, path, content=chunks(), headers=headers)
    assert response.status_code == 413


LIST_PATHS = [
    path
    for path, operations in SPEC["paths"].items()
    if any(p["name"] == "limit" for p in operations.get("get", {}).get("parameters", []))
]


@pytest.mark.parametrize("path", LIST_PATHS)
async def test_pages_are_at_most_200(path: str, client: httpx.AsyncClient, org: Org) -> None:
    path = re.sub(r"\{[a-z_]+\}", "1", path)
    response = await client.get(path, params={"limit": 201}, headers=org.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"
    assert (await client.get(path, params={"limit": 0}, headers=org.headers)).status_code == 422


def _strings() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string a client can send (query, path, header and body), with where it is."""
    components = SPEC["components"]["schemas"]

    def walk(schema: dict[str, Any], where: str, seen: frozenset[str]) -> Iterator[Any]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], name, seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                yield from walk(option, where, seen)
        if schema.get("type") == "string":
            yield where, schema
        if "items" in schema:
            yield from walk(schema["items"], where, seen)
        for name, prop in schema.get("properties", {}).items():
            yield from walk(prop, f"{where}.{name}", seen)
        if isinstance(schema.get("additionalProperties"), dict):
            yield from walk(schema["additionalProperties"], f"{where}.*", seen)

    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            here = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield from walk(parameter["schema"], f"{here} {parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content.get("schema", {}), f"{here} body", frozenset())


def test_every_string_a_client_sends_has_a_length_limit() -> None:
    unbounded = sorted(
        where
        for where, schema in _strings()
        if "maxLength" not in schema
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in {"date", "date-time", "binary"}
        and not _BOUNDED_PATTERN.match(schema.get("pattern", ""))
        and where not in UNBOUNDED
    )
    assert not unbounded, unbounded


async def test_orders_have_at_most_500_lines(client: httpx.AsyncClient, db: Database) -> None:
    shop = await make_org(db)
    await create_location(db, shop, "WH1")
    await create_sku(db, shop, "MUG")
    await receive_stock(db, shop, "MUG", "WH1", 1000)
    too_many = order_body([("MUG", 1)] * 501)
    response = await client.post("/v1/orders", json=too_many, headers=shop.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"
    listed = await client.get("/v1/orders", headers=shop.headers)
    assert listed.json()["items"] == []
