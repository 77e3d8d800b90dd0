"""No oversell, ever: many concurrent buyers on real connections, then count everything."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    order_body,
    receive_stock,
)
from tests.orders.helpers import ledger_mismatches, stock_of


async def place_all(
    client: httpx.AsyncClient,
    org: Org,
    bodies: list[dict],  # type: ignore[type-arg]
) -> list[httpx.Response]:
    return await asyncio.gather(
        *(client.post("/v1/orders", json=b, headers=org.headers) for b in bodies)
    )


async def reserved_by_orders(db: Database, org_id: int) -> dict[str, int]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                """
                SELECT s.code, sum(a.quantity) AS units
                  FROM order_allocations a JOIN skus s ON s.id = a.sku_id
                 WHERE a.org_id = :org_id AND a.status = 'reserved'
                 GROUP BY s.code
                """
            ),
            {"org_id": org_id},
        )
        return {r.code: int(r.units) for r in rows}


@pytest.mark.slow
async def test_300_buyers_for_100_units_get_exactly_100_orders(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "HOT")
    await receive_stock(db, org, "HOT", "WH1", 100)

    responses = await place_all(client, org, [order_body([("HOT", 1)]) for _ in range(300)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 100, 409: 200}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    assert {r.json()["status"] for r in responses if r.status_code == 201} == {"allocated"}
    level = (await stock_of(client, org.headers, "HOT"))["WH1"]
    assert (level["on_hand"], level["reserved"], level["available"]) == (100, 100, 0)
    assert await reserved_by_orders(db, org.id) == {"HOT": 100}
    assert await ledger_mismatches(db, org.id) == []


SKUS = ["A", "B", "C", "D"]
STOCK = {"WH1": 30, "WH2": 20, "ST1": 10}


async def stock_the_network(db: Database, org: Org) -> None:
    """Three locations with 30, 20 and 10 units of each of four SKUs."""
    await create_location(db, org, "WH1", city="Newark")
    await create_location(db, org, "WH2", city="Chicago")
    await create_location(db, org, "ST1", city="Dallas", kind="store")
    for sku in SKUS:
        await create_sku(db, org, sku)
        for location, units in STOCK.items():
            await receive_stock(db, org, sku, location, units)


def clashing_orders(seed: int, count: int = 300) -> list[dict]:  # type: ignore[type-arg]
    """Orders of 1 to 3 lines in random order, so that concurrent orders touch rows in
    clashing orders."""
    rng = random.Random(seed)
    return [
        order_body([(s, rng.randint(1, 4)) for s in rng.sample(SKUS, rng.randint(1, 3))])
        for _ in range(count)
    ]


async def assert_nothing_oversold(
    client: httpx.AsyncClient,
    org: Org,
    db: Database,
    bodies: list[dict],  # type: ignore[type-arg]
    responses: list[httpx.Response],
) -> Counter[int]:
    """Every unit of every answered order is reserved, and no level holds more than it has."""
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0
    requested: Counter[str] = Counter()
    for body, response in zip(bodies, responses, strict=True):
        if response.status_code == 201:
            for line in body["lines"]:
                requested[line["sku"]] += line["quantity"]
    assert await reserved_by_orders(db, org.id) == dict(requested)
    for sku in SKUS:
        levels = await stock_of(client, org.headers, sku)
        assert sum(v["reserved"] for v in levels.values()) == requested[sku]
        for location, v in levels.items():
            assert 0 <= v["reserved"] <= v["on_hand"] == STOCK[location]
    assert await ledger_mismatches(db, org.id) == []
    return statuses


@pytest.mark.slow
async def test_multi_line_orders_across_locations_never_oversell_or_deadlock(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await stock_the_network(db, org)
    bodies = clashing_orders(seed=7)

    responses = await place_all(client, org, bodies)

    statuses = await assert_nothing_oversold(client, org, db, bodies, responses)
    assert statuses[409] > 0


async def test_on_a_backorder_channel_the_excess_is_backordered_not_oversold(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "HOT")
    await receive_stock(db, org, "HOT", "WH1", 50)
    await create_channel(db, org, "b2b", name="B2B", kind="b2b", allow_backorders=True)

    responses = await place_all(
        client, org, [order_body([("HOT", 1)], channel="b2b") for _ in range(120)]
    )

    assert Counter(r.status_code for r in responses) == {201: 120}
    outcomes = Counter(r.json()["status"] for r in responses)
    assert outcomes == {"allocated": 50, "backordered": 70}
    level = (await stock_of(client, org.headers, "HOT"))["WH1"]
    assert (level["reserved"], level["available"]) == (50, 0)
    assert await ledger_mismatches(db, org.id) == []


async def test_concurrent_duplicates_of_one_channel_order_create_it_once(
    client: httpx.AsyncClient, org: Org, db: Database
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 50)

    body = order_body([("MUG", 1)], external_id="marketplace-77")
    responses = await place_all(client, org, [body] * 20)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: 19}
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await stock_of(client, org.headers, "MUG"))["WH1"]["reserved"] == 1
