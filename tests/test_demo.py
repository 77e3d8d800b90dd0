"""The demo data: loaded once, complete enough to explore, and never loaded twice."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

import httpx

from orderly.demo import api_key_file, seed_demo
from orderly.kit.db import Database
from orderly.settings import Settings


async def every_item(client: httpx.AsyncClient, path: str, key: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}"}
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


async def test_seeding_twice_loads_once_and_keeps_the_key(
    settings: Settings, db: Database, client: httpx.AsyncClient
) -> None:
    slug = "demo-" + secrets.token_hex(4)
    first = await seed_demo(settings, db, slug=slug)
    second = await seed_demo(settings, db, slug=slug)

    assert first.created and not second.created
    assert second.api_key == first.api_key
    assert api_key_file(settings, slug).read_text().strip() == first.api_key
    assert api_key_file(settings, slug).stat().st_mode & 0o777 == 0o600
    # Loaded once: the second run added nothing.
    assert len(await every_item(client, "/v1/locations", first.api_key)) == 5


async def test_the_demo_has_locations_skus_channels_and_orders_in_several_states(
    settings: Settings, db: Database, client: httpx.AsyncClient
) -> None:
    demo = await seed_demo(settings, db, slug="demo-" + secrets.token_hex(4))

    locations = await every_item(client, "/v1/locations", demo.api_key)
    assert Counter(loc["kind"] for loc in locations) == {"warehouse": 2, "store": 3}
    assert len({loc["address"]["city"] for loc in locations}) == 5
    assert all(loc["group"] for loc in locations)
    headers = {"Authorization": f"Bearer {demo.api_key}"}
    (brand,) = (await client.get("/v1/hierarchy", headers=headers)).json()
    assert len(brand["regions"]) == 2
    assert 45 <= len(await every_item(client, "/v1/products", demo.api_key)) <= 60
    channels = await every_item(client, "/v1/channels", demo.api_key)
    assert {c["code"] for c in channels} == {"web", "marketplace"}
    carriers = (await client.get("/v1/carriers", headers=headers)).json()
    assert len(carriers) == 2

    orders = await every_item(client, "/v1/orders", demo.api_key)
    statuses = Counter(order["status"] for order in orders)
    assert len(orders) >= 24
    assert {"allocated", "on_hold", "backordered", "cancelled"} <= set(statuses)
    assert all(o["channel"] == "marketplace" for o in orders if o["status"] == "backordered")


async def test_every_location_holds_stock_and_the_scarce_sku_is_reserved(
    settings: Settings, db: Database, client: httpx.AsyncClient
) -> None:
    demo = await seed_demo(settings, db, slug="demo-" + secrets.token_hex(4))
    headers = {"Authorization": f"Bearer {demo.api_key}"}

    response = await client.get("/v1/inventory", params={"sku": "TEE-BLK-M"}, headers=headers)
    assert response.status_code == 200, response.text
    (tee,) = response.json()["items"]
    assert len(tee["locations"]) == 5
    assert all(level["on_hand"] > 0 for level in tee["locations"])

    response = await client.get("/v1/inventory", params={"sku": "THROW-WOOL"}, headers=headers)
    (throw,) = response.json()["items"]
    assert throw["totals"]["available"] == 0
