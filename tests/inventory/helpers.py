"""Inventory tests: adjustments and reads over the API, and reservations written the way order
capture writes them (level and ledger). Their worlds come from tests/factories.py."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from tests.factories import Org

from orderly.kit.db import Database


async def adjust(
    client: httpx.AsyncClient, org: Org, *items: dict[str, Any], status: int = 201
) -> httpx.Response:
    response = await client.post(
        "/v1/inventory/adjustments", json={"adjustments": list(items)}, headers=org.headers
    )
    assert response.status_code == status, response.text
    return response


async def level(client: httpx.AsyncClient, org: Org, sku: str, location: str) -> dict[str, Any]:
    """The level of one SKU at one location, as GET /v1/inventory shows it (zeros if none)."""
    response = await client.get(
        "/v1/inventory", params={"sku": sku, "location": location}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    rows = response.json()["items"][0]["locations"]
    if not rows:
        return {"location": location, "on_hand": 0, "reserved": 0, "safety_stock": 0}
    found: dict[str, Any] = rows[0]
    return found


async def ledger(client: httpx.AsyncClient, org: Org, **params: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/inventory/ledger", params={"limit": 200, **params}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def reserve(db: Database, org: Org, sku_id: int, location_id: int, quantity: int) -> None:
    """Reserve units as an order would: guarded, with its ledger row."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        changed = await conn.execute(
            sa.text(
                "UPDATE stock_levels SET reserved = reserved + :q"
                " WHERE org_id = :org AND sku_id = :sku AND location_id = :loc"
                " AND on_hand - reserved - safety_stock >= :q"
            ),
            {"org": org.id, "sku": sku_id, "loc": location_id, "q": quantity},
        )
        assert changed.rowcount == 1
        await conn.execute(
            sa.text(
                "INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, reserved_delta)"
                " VALUES (:org, :sku, :loc, 'reserved', :q)"
            ),
            {"org": org.id, "sku": sku_id, "loc": location_id, "q": quantity},
        )
