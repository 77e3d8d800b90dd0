"""PostgreSQL stops under load: the API answers 503 with Retry-After while it is gone, and
serves again by itself once it is back, without being restarted."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import httpx

from orderly.kit.db import Database
from tests.e2e.cluster import running_cluster
from tests.factories import create_location, create_sku, order_body, receive_stock

RECOVERY_SECONDS = 30
PROBLEM_JSON = "application/problem+json"


async def test_api_answers_503_while_the_database_is_down_and_recovers() -> None:
    async with (
        running_cluster(with_worker=False) as cluster,
        httpx.AsyncClient(base_url=cluster.base_url, headers=cluster.headers, timeout=15) as api,
    ):
        database = Database(cluster.database_url, pool_size=1, max_overflow=0)
        try:
            await create_location(database, cluster.org, "MAIN")
            await create_sku(database, cluster.org, "DB-MUG")
            await receive_stock(database, cluster.org, "DB-MUG", "MAIN", 100_000)
        finally:
            await database.dispose()

        statuses: Counter[int] = Counter()
        stop = asyncio.Event()
        load = [asyncio.create_task(place_orders(api, statuses, stop)) for _ in range(3)]
        try:
            await asyncio.sleep(2)
            await asyncio.to_thread(cluster.stop_database)
            await assert_unavailable(api)
            await asyncio.sleep(1)
            await asyncio.to_thread(cluster.start_database)
            await wait_until_serving(api)
            await asyncio.sleep(2)
        finally:
            stop.set()
            await asyncio.gather(*load)

        print(f"answers under load: {dict(statuses)}")
        # After recovery every request succeeds: no stale pooled connection is left over.
        for _ in range(20):
            assert (await place_order(api)).status_code == 201
        # Under the load, every answer was a success or a clean 503, never a 500.
        assert set(statuses) <= {201, 503}, statuses
        assert statuses[201] > 0 and statuses[503] > 0, statuses


async def place_order(api: httpx.AsyncClient) -> httpx.Response:
    body = order_body([("DB-MUG", 1)], external_id=uuid.uuid4().hex)
    return await api.post("/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


async def place_orders(api: httpx.AsyncClient, statuses: Counter[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        statuses[(await place_order(api)).status_code] += 1
        await asyncio.sleep(0.1)


async def assert_unavailable(api: httpx.AsyncClient) -> None:
    for answer in (await api.get("/healthz"), await place_order(api)):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert int(answer.headers["retry-after"]) > 0
        assert answer.json()["code"] == "database_unavailable"


async def wait_until_serving(api: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while time.monotonic() < deadline:
        health = await api.get("/healthz")
        if health.status_code == 200 and (await place_order(api)).status_code == 201:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the API did not recover after the database came back")
