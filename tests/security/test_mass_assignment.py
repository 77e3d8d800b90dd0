"""Mass assignment: what the system owns (ids, status, totals, numbers, timestamps, holds,
reservations, the organization) cannot be set by a client. Request bodies refuse unknown fields,
and sending an owned field changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from orderly.kit.db import Database
from orderly.settings import Settings
from tests.factories import order_body
from tests.orders.helpers import stock_of
from tests.security.routes import SPEC
from tests.security.world import World, build_world

OWNED = {
    "id", "org_id", "status", "number", "totals", "total", "created_at", "updated_at",
    "hold_reasons", "reserved", "on_hand",
}  # fmt: skip
# Bodies that may take fields they do not name, and why.
OPEN_BODIES = {
    "SimulateIn": "a what-if simulation: nothing is stored",
    "SimulationLineIn": "a what-if simulation: nothing is stored",
    "SimulationAddressIn": "a what-if simulation: nothing is stored",
    "TrackingEventsIn": "carriers' pushes: fields a carrier adds later are ignored",
    "TrackingEventIn": "carriers' pushes: fields a carrier adds later are ignored",
}
# Owned-sounding names that are the client's to give.
CLIENT_FIELDS = {
    ("PaymentIn", "status"): "the payment's status as the channel reports it",
}


def _request_schemas() -> dict[str, dict[str, Any]]:
    """Every object schema a client can send, by component name (or operation for inline)."""
    components = SPEC["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}

    def walk(schema: dict[str, Any], name: str) -> None:
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[-1]
            if ref not in found:
                if components[ref].get("properties"):
                    found[ref] = components[ref]
                walk(components[ref], ref)
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                walk(option, name)
        if "items" in schema:
            walk(schema["items"], name)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], name)
        if schema.get("properties"):
            name = schema.get("title", name)
            found.setdefault(name, schema)
        for prop in schema.get("properties", {}).values():
            walk(prop, name)

    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
                # HTML forms bind only the fields they declare: nothing more can be assigned.
                if "schema" in content and media_type == "application/json":
                    walk(content["schema"], f"{method.upper()} {path}")
    return found


def test_request_bodies_refuse_unknown_and_owned_fields() -> None:
    schemas = _request_schemas()
    assert "OrderIn" in schemas and "LocationPatch" in schemas
    for name, schema in schemas.items():
        if name not in OPEN_BODIES:
            assert schema.get("additionalProperties") is False, f"{name} accepts unknown fields"
        for field in set(schema.get("properties", {})) & OWNED:
            assert (name, field) in CLIENT_FIELDS, f"a client can send {name}.{field}"


@pytest_asyncio.fixture(scope="module")
async def shop(client: httpx.AsyncClient, db: Database, settings: Settings) -> World:
    return await build_world(client, db, "MA", settings)


async def test_an_order_cannot_be_given_what_the_system_decides(
    client: httpx.AsyncClient, shop: World
) -> None:
    h = shop.org.headers
    before = (await client.get("/v1/orders", params={"limit": 200}, headers=h)).json()["items"]
    sku = f"SKU{str(shop.ids['code'])[2:]}"
    owned: dict[str, Any] = {
        "status": "shipped",
        "number": "FREE-1",
        "totals": {"total": "0.00"},
        "org_id": 1,
        "id": 1,
        "created_at": "2001-01-01T00:00:00Z",
        "hold_reasons": [],
    }
    for field, value in owned.items():
        response = await client.post(
            "/v1/orders", json=order_body([(sku, 1)], **{field: value}), headers=h
        )
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    line = {"sku": sku, "quantity": 1, "unit_price": "1.00", "reserved": 1, "status": "shipped"}
    response = await client.post("/v1/orders", json={**order_body([]), "lines": [line]}, headers=h)
    assert response.status_code == 422
    after = (await client.get("/v1/orders", params={"limit": 200}, headers=h)).json()["items"]
    assert after == before


async def test_patches_cannot_move_ids_or_organizations(
    client: httpx.AsyncClient, shop: World
) -> None:
    h = shop.org.headers
    for path in (f"/v1/locations/{shop.ids['location_id']}",
                 f"/v1/products/{shop.ids['product_id']}",
                 f"/v1/channels/{shop.ids['channel_id']}"):  # fmt: skip
        before = (await client.get(path, headers=h)).json()
        for field, value in (("id", 1), ("org_id", 1), ("created_at", "2001-01-01T00:00:00Z")):
            response = await client.patch(path, json={field: value}, headers=h)
            assert response.status_code == 422, (path, field, response.text)
        assert (await client.get(path, headers=h)).json() == before


async def test_stock_cannot_be_given_reservations(client: httpx.AsyncClient, shop: World) -> None:
    h = shop.org.headers
    sku, location = f"SKU{str(shop.ids['code'])[2:]}", str(shop.ids["code"])
    before = await stock_of(client, h, sku)
    adjustment = {"sku": sku, "location": location, "delta": 1, "reason": "received"}
    for field, value in (("reserved", 0), ("on_hand", 1000), ("org_id", 1)):
        response = await client.post(
            "/v1/inventory/adjustments",
            json={"adjustments": [{**adjustment, field: value}]},
            headers=h,
        )
        assert response.status_code == 422, (field, response.text)
    assert await stock_of(client, h, sku) == before
