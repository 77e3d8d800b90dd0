"""Small factories for order tests: locations, SKUs and stock through the public API."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database

CITIES = {
    "Newark": ("07102", 40.73, -74.17),
    "Chicago": ("60601", 41.88, -87.63),
    "Dallas": ("75201", 32.78, -96.80),
    "Boston": ("02110", 42.36, -71.06),
}


async def create_location(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    *,
    city: str = "Newark",
    kind: str = "warehouse",
    capabilities: tuple[str, ...] = ("ship",),
    priority: int = 100,
    **extra: Any,
) -> dict[str, Any]:
    postal, lat, lon = CITIES[city]
    body = {
        "code": code,
        "name": f"{city} {kind}",
        "kind": kind,
        "address": {"line1": "1 Main St", "city": city, "postal_code": postal, "country": "US"},
        "latitude": lat,
        "longitude": lon,
        "capabilities": list(capabilities),
        "priority": priority,
        **extra,
    }
    response = await client.post("/v1/locations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_sku(
    client: httpx.AsyncClient, headers: dict[str, str], sku: str, weight_grams: int = 200
) -> dict[str, Any]:
    response = await client.post(
        "/v1/products",
        json={"sku": sku, "name": sku.title(), "weight_grams": weight_grams},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def receive_stock(
    client: httpx.AsyncClient, headers: dict[str, str], sku: str, location: str, quantity: int
) -> None:
    response = await client.post(
        "/v1/inventory/adjustments",
        json={
            "adjustments": [
                {"sku": sku, "location": location, "delta": quantity, "reason": "received"}
            ]
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text


def order_body(lines: list[tuple[str, int]], **overrides: Any) -> dict[str, Any]:
    """The contract's order, with the given (sku, quantity) lines at 19.99 each."""
    total = sum(q for _, q in lines) * 1999
    body: dict[str, Any] = {
        "channel": "web",
        "currency": "USD",
        "customer": {"email": "a@example.com", "name": "Ann"},
        "shipping_address": {
            "name": "Ann",
            "line1": "5 Elm St",
            "city": "Boston",
            "postal_code": "02110",
            "country": "US",
            "latitude": 42.36,
            "longitude": -71.06,
        },
        "lines": [{"sku": s, "quantity": q, "unit_price": "19.99"} for s, q in lines],
        "payment": {"status": "authorized", "amount": f"{total // 100}.{total % 100:02d}"},
    }
    body.update(overrides)
    return body


async def stock_of(
    client: httpx.AsyncClient, headers: dict[str, str], sku: str
) -> dict[str, dict[str, int]]:
    """{location code: {on_hand, reserved, safety_stock, available}} for one SKU."""
    response = await client.get("/v1/inventory", params={"sku": sku}, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    if not items:
        return {}
    return {
        row["location"]: {k: row[k] for k in ("on_hand", "reserved", "safety_stock", "available")}
        for row in items[0]["locations"]
    }


async def ledger_mismatches(db: Database, org_id: int) -> list[Any]:
    """Stock levels whose ledger does not sum to them (should always be empty)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                """
                SELECT sl.sku_id, sl.location_id, sl.on_hand, sl.reserved,
                       coalesce(sum(l.on_hand_delta), 0) AS ledger_on_hand,
                       coalesce(sum(l.reserved_delta), 0) AS ledger_reserved
                  FROM stock_levels sl
                  LEFT JOIN stock_ledger l
                    ON l.org_id = sl.org_id AND l.sku_id = sl.sku_id
                   AND l.location_id = sl.location_id
                 WHERE sl.org_id = :org_id
                 GROUP BY sl.id
                HAVING sl.on_hand <> coalesce(sum(l.on_hand_delta), 0)
                    OR sl.reserved <> coalesce(sum(l.reserved_delta), 0)
                """
            ),
            {"org_id": org_id},
        )
        return list(rows)


async def order_count(db: Database, org_id: int) -> int:
    async with db.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT count(*) FROM orders WHERE org_id = :org_id"), {"org_id": org_id}
        )
        return int(result.scalar_one())
