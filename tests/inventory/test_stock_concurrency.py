"""Many writers at once: no deadlock, no lost update, and the ledger still sums to the levels."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
from tests.factories import Org, create_location, create_sku, receive_stock
from tests.inventory.helpers import level

from orderly.inventory import service
from orderly.inventory.domain import Adjustment, AdjustmentReason, Transfer
from orderly.kit.db import Database

SKUS = ("A", "B")
PLACES = ("WH1", "WH2")
START = 100


async def network(db: Database, org: Org) -> None:
    for sku in SKUS:
        await create_sku(db, org, sku)
    for place in PLACES:
        await create_location(db, org, place)


async def books_balance(db: Database, org: Org) -> bool:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await service.ledger_matches_levels(conn, org.id) == []


class TestConcurrentWriters:
    async def test_fifty_mixed_requests_over_http(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await network(db, org)
        for sku in SKUS:
            for place in PLACES:
                await receive_stock(db, org, sku, place, START)
        rng = random.Random(7)
        expected: Counter[tuple[str, str]] = Counter({(s, p): START for s in SKUS for p in PLACES})
        requests: list[tuple[str, dict[str, Any]]] = []
        for i in range(50):
            if i % 3 == 2:
                sku = rng.choice(SKUS)
                source, destination = rng.sample(PLACES, 2)
                body = {"sku": sku, "from_location": source, "to_location": destination}
                requests.append(("/v1/inventory/transfers", {**body, "quantity": 1}))
                expected[(sku, source)] -= 1
                expected[(sku, destination)] += 1
            else:
                items = []
                # Several levels per batch, in a random order, so that batches cross.
                for sku, place in rng.sample([(s, p) for s in SKUS for p in PLACES], 3):
                    delta = rng.choice((1, -1))
                    items.append(
                        {"sku": sku, "location": place, "delta": delta, "reason": "correction"}
                    )
                    expected[(sku, place)] += delta
                requests.append(("/v1/inventory/adjustments", {"adjustments": items}))

        responses = await asyncio.gather(
            *(client.post(path, json=body, headers=org.headers) for path, body in requests)
        )

        assert [r.status_code for r in responses] == [201] * len(requests), [
            r.text for r in responses if r.status_code != 201
        ]
        for (sku, place), on_hand in expected.items():
            assert (await level(client, org, sku, place))["on_hand"] == on_hand
        assert await books_balance(db, org)

    async def test_batches_that_create_the_same_new_levels_do_not_deadlock(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await network(db, org)
        keys = [(s, p) for s in SKUS for p in PLACES]
        rng = random.Random(11)

        async def receive_batch(order: list[tuple[str, str]]) -> list[Any]:
            adjustments = [
                Adjustment(sku=s, location=p, reason=AdjustmentReason.RECEIVED, delta=1)
                for s, p in order
            ]
            async with db.transaction() as transaction:
                conn = transaction.connection
                return await service.adjust_stock(conn, org.id, "test", adjustments)

        await asyncio.gather(*(receive_batch(rng.sample(keys, len(keys))) for _ in range(30)))

        for sku, place in keys:
            assert (await level(client, org, sku, place))["on_hand"] == 30
        assert await books_balance(db, org)

    async def test_counts_deltas_and_transfers_keep_the_ledger_true(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await network(db, org)
        await receive_stock(db, org, "A", "WH1", START)
        await receive_stock(db, org, "A", "WH2", START)
        rng = random.Random(3)

        async def one(i: int) -> None:
            async with db.transaction() as transaction:
                conn = transaction.connection
                if i % 4 == 0:
                    count = Adjustment(
                        sku="A",
                        location=rng.choice(PLACES),
                        reason=AdjustmentReason.CYCLE_COUNT,
                        set_on_hand=rng.randint(50, 150),
                    )
                    await service.adjust_stock(conn, org.id, "counter", [count])
                elif i % 4 == 1:
                    source, destination = rng.sample(PLACES, 2)
                    await service.transfer_stock(
                        conn, org.id, "mover", Transfer("A", source, destination, 1)
                    )
                else:
                    delta = Adjustment(
                        sku="A",
                        location=rng.choice(PLACES),
                        reason=AdjustmentReason.FOUND,
                        delta=rng.choice((2, -2)),
                    )
                    await service.adjust_stock(conn, org.id, "finder", [delta])

        await asyncio.gather(*(one(i) for i in range(50)))

        assert await books_balance(db, org)
