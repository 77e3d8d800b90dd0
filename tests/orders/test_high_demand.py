"""SKUs in high demand: their stock rows are locked only by the write that reserves them.
Many concurrent buyers on real connections, then count everything: nothing oversold."""

from __future__ import annotations

from collections import Counter

import httpx

from orderly.kit.db import Database
from tests.factories import Org, create_location, create_sku, order_body, receive_stock
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.orders.test_order_concurrency import (
    assert_nothing_oversold,
    clashing_orders,
    place_all,
    reserved_by_orders,
    stock_the_network,
)


async def mark_high_demand(client: httpx.AsyncClient, org: Org, sku: str) -> None:
    found = await client.get("/v1/products", params={"sku": sku}, headers=org.headers)
    sku_id = next(p["id"] for p in found.json()["items"] if p["sku"] == sku)
    marked = await client.patch(
        f"/v1/products/{sku_id}", json={"high_demand": True}, headers=org.headers
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["high_demand"] is True


async def test_a_product_is_marked_in_high_demand_and_back(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    created = await create_sku(db, org, "LAUNCH")
    assert created["high_demand"] is False
    await mark_high_demand(client, org, "LAUNCH")
    back = await client.patch(
        f"/v1/products/{created['id']}", json={"high_demand": False}, headers=org.headers
    )
    assert back.json()["high_demand"] is False
    refused = await client.patch(
        f"/v1/products/{created['id']}", json={"high_demand": None}, headers=org.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "high_demand"


async def test_300_buyers_for_100_units_in_high_demand_get_exactly_100_orders(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "HOT")
    await mark_high_demand(client, org, "HOT")
    await receive_stock(db, org, "HOT", "WH1", 100)

    responses = await place_all(client, org, [order_body([("HOT", 1)]) for _ in range(300)])

    statuses = Counter(r.status_code for r in responses)
    # A buyer loses only to an empty shelf: seen empty when planning (insufficient_stock), or
    # emptied by others between planning and writing (stock_contention, worth a retry).
    assert statuses == {201: 100, 409: 200}
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"insufficient_stock", "stock_contention"}
    level = (await stock_of(client, org.headers, "HOT"))["WH1"]
    assert (level["on_hand"], level["reserved"], level["available"]) == (100, 100, 0)
    assert await reserved_by_orders(db, org.id) == {"HOT": 100}
    assert await ledger_mismatches(db, org.id) == []


async def test_orders_mixing_high_demand_and_other_skus_never_oversell_or_deadlock(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await stock_the_network(db, org)
    for sku in ("A", "C"):
        await mark_high_demand(client, org, sku)
    bodies = clashing_orders(seed=11)

    responses = await place_all(client, org, bodies)

    await assert_nothing_oversold(client, org, db, bodies, responses)
    # A deadlock would answer 409 concurrent_update: there is none.
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"insufficient_stock", "stock_contention"}
