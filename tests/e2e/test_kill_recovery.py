"""SIGKILL the API processes and the job worker, again and again, under a load of orders,
cancellations and stock changes; then nothing answered is lost, doubled or left inconsistent."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import procrastinate
import sqlalchemy as sa

from orderly.automation.tasks import retry_stalled_jobs
from orderly.kit.db import Database, plain_url
from orderly.kit.jobs import stalled_after
from tests.e2e.cluster import WORKER_HEARTBEAT_SECONDS, Cluster, running_cluster
from tests.e2e.load import LOCATIONS, SKUS, Load
from tests.e2e.receiver import WebhookReceiver, webhook_receiver
from tests.factories import create_location, create_sku, receive_many
from tests.orders.helpers import ledger_mismatches

CLIENTS = 3
CRASHES = 3
STEADY_SECONDS = 4  # of load after the last restart
DRAIN_SECONDS = 45
STOCK_PER_LEVEL = 120


async def test_orders_stock_webhooks_and_jobs_survive_sigkill() -> None:
    seed = random.randrange(1_000_000)
    began = time.monotonic()
    async with (
        running_cluster(with_worker=True) as cluster,
        webhook_receiver() as receiver,
        httpx.AsyncClient(base_url=cluster.base_url, timeout=30) as setup,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await prepare(setup, cluster, receiver)
        stop = asyncio.Event()
        load = Load(cluster, http, seed, stop)
        print(f"ready after {time.monotonic() - began:.1f} s")
        clients = [asyncio.create_task(load.client(n)) for n in range(CLIENTS)]
        try:
            await crash_repeatedly(cluster, random.Random(seed))
            await asyncio.sleep(STEADY_SECONDS)
        finally:
            stop.set()
            ended = await asyncio.gather(*clients, return_exceptions=True)
        for outcome in ended:  # a client's own failure, once the crashes went well
            if isinstance(outcome, BaseException):
                raise outcome
        print(f"load over after {time.monotonic() - began:.1f} s")
        print(f"seed {seed}: answers {dict(load.answers)}, retries {dict(load.retries)}")
        assert cluster.restarts == {"api": CRASHES, "worker": CRASHES}
        assert len(load.captured_ids) >= 50, load.answers  # the load did happen

        database = Database(cluster.database_url, pool_size=2, max_overflow=0)
        try:
            await check_orders(database, cluster.org_id, load)
            await check_stock(database, cluster.org_id)
            await asyncio.gather(
                check_webhooks(database, cluster.org_id, receiver),
                check_jobs(database, cluster.database_url),
            )
        finally:
            await database.dispose()
        print(f"checked after {time.monotonic() - began:.1f} s")


async def prepare(api: httpx.AsyncClient, cluster: Cluster, receiver: WebhookReceiver) -> None:
    headers = cluster.headers
    hook = await api.post(
        "/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=headers
    )
    assert hook.status_code == 201, hook.text
    database = Database(cluster.database_url, pool_size=1, max_overflow=0)
    try:
        for code, city in zip(LOCATIONS, ("Newark", "Chicago"), strict=True):
            await create_location(database, cluster.org, code, city=city)
        for sku in SKUS:
            await create_sku(database, cluster.org, sku)
        stock = {(sku, location): STOCK_PER_LEVEL for sku in SKUS for location in LOCATIONS}
        await receive_many(database, cluster.org, stock)
    finally:
        await database.dispose()


async def crash_repeatedly(cluster: Cluster, rng: random.Random) -> None:
    """Each round SIGKILLs the API (master and workers) and, independently, the job worker at
    random moments, and starts them again, while the clients keep sending."""

    async def crash_worker() -> None:
        await asyncio.sleep(rng.uniform(0.0, 4.0))
        await asyncio.to_thread(cluster.restart_worker)

    for _ in range(CRASHES):
        await asyncio.sleep(rng.uniform(1.5, 4.0))
        worker = asyncio.create_task(crash_worker())
        down = time.monotonic()
        await asyncio.to_thread(cluster.restart_api)
        print(f"API down for {time.monotonic() - down:.1f} s")
        await worker


async def check_orders(database: Database, org_id: int, load: Load) -> None:
    """Every capture answered 2xx exists exactly once; no other capture left an order."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT external_id, count(*) FROM orders "
                "WHERE org_id = :org_id AND external_id IS NOT NULL GROUP BY external_id"
            ),
            {"org_id": org_id},
        )
        stored = {external_id: count for external_id, count in rows}
    answered = {e for e, status in load.captures.items() if 200 <= status < 300}
    assert {e: n for e, n in stored.items() if n != 1} == {}
    assert set(stored) == answered


async def check_stock(database: Database, org_id: int) -> None:
    async with database.engine.connect() as conn:
        oversold = await conn.execute(
            sa.text("SELECT * FROM stock_levels WHERE org_id = :org_id AND reserved > on_hand"),
            {"org_id": org_id},
        )
        assert list(oversold) == []
    assert await ledger_mismatches(database, org_id) == []


async def check_webhooks(database: Database, org_id: int, receiver: WebhookReceiver) -> None:
    """Every committed order event reaches the receiver at least once (the worker drains)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    missing: set[int] = set()
    while time.monotonic() < deadline:
        async with database.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT id FROM order_events WHERE org_id = :org_id"), {"org_id": org_id}
            )
            committed = {int(row[0]) for row in rows}
        missing = committed - receiver.event_ids
        if committed and not missing:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"{len(missing)} committed events never delivered: {sorted(missing)[:20]}")


async def check_jobs(database: Database, database_url: str) -> None:
    """No job stays `doing` for a dead worker once stalled jobs are retried (the automation
    feature's recovery, called here rather than waiting for its five-minute period), and every
    job it found ends: run again by the live worker, or closed because its next run waits."""
    # Only its job manager is used: no tasks, so nothing is bound to this throwaway database.
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=plain_url(database_url))
    )
    found: set[int] = set()
    stuck: list[int] = []
    deadline = time.monotonic() + DRAIN_SECONDS
    async with app.open_async():
        while time.monotonic() < deadline:
            stuck = await _jobs(database, DEAD_WORKERS_JOBS)
            found.update(stuck)
            await retry_stalled_jobs(
                app.job_manager, silent_for=stalled_after(WORKER_HEARTBEAT_SECONDS)
            )
            unfinished = await _jobs(database, UNFINISHED, ids=sorted(found))
            if not stuck and not unfinished:
                break
            await asyncio.sleep(2)
    assert stuck == [], f"jobs of dead workers still doing: {stuck}"
    assert await _jobs(database, UNFINISHED, ids=sorted(found)) == []
    print(f"jobs left doing by killed workers, recovered: {len(found)}")


# The live worker registered last: the ones before it were killed.
DEAD_WORKERS_JOBS = (
    "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND (worker_id IS NULL"
    " OR worker_id <> (SELECT max(id) FROM procrastinate_workers))"
)
UNFINISHED = (
    "SELECT id FROM procrastinate_jobs WHERE id = ANY(:ids) AND status IN ('todo', 'doing')"
)


async def _jobs(database: Database, sql: str, **params: object) -> list[int]:
    async with database.engine.connect() as conn:
        return [int(row[0]) for row in await conn.execute(sa.text(sql), params)]
