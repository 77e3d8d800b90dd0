"""Connection jobs: set a connection up, map inbox events, pull orders (on demand and as a
safety net every minute for the connections due), route stock changes and push stock."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import procrastinate

from orderly.connections import order_pushes, stock, sync
from orderly.connections.service import Installation
from orderly.kit.jobs import worker_database
from orderly.settings import Settings, environment_database_url

blueprint = procrastinate.Blueprint()


@functools.cache
def _installation() -> Installation:
    settings = Settings()
    return Installation.of(settings)


@blueprint.task(
    name="set_up_connection", retry=procrastinate.RetryStrategy(max_attempts=3, exponential_wait=30)
)
async def set_up_connection(connection_id: int) -> bool:
    return await sync.set_up(
        worker_database(environment_database_url), _installation(), connection_id
    )


@blueprint.task(
    name="process_event", retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=10)
)
async def process_event(event_row_id: int) -> str | None:
    return await sync.process_event(
        worker_database(environment_database_url), _installation(), event_row_id
    )


@blueprint.task(name="pull_orders")
async def pull_orders(connection_id: int) -> int:
    return await sync.pull(
        worker_database(environment_database_url), _installation(), connection_id
    )


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="pull_due_connections", queueing_lock="connections_pull_due")
async def pull_due_connections(timestamp: int) -> int:
    database = worker_database(environment_database_url)
    due = await sync.connections_due_for_pull(database, datetime.fromtimestamp(timestamp, UTC))
    for connection_id in due:
        await pull_orders.configure(lock=f"pull:{connection_id}").defer_async(
            connection_id=connection_id
        )
    return len(due)


@blueprint.task(name="push_stock")
async def push_stock(connection_id: int) -> int:
    return await sync.push_stock(
        worker_database(environment_database_url), _installation(), connection_id
    )


# Every two seconds: a burst of changes becomes one push per SKU per connection.
@blueprint.periodic(cron="* * * * * */2")
@blueprint.task(name="route_stock_changes", queueing_lock="connections_route_stock")
async def route_stock_changes(timestamp: int) -> int:
    database = worker_database(environment_database_url)
    async with database.transaction() as tx:
        connections = await stock.route_stock_changes(tx.connection)
    for connection_id in connections:
        await push_stock.configure(lock=f"push:{connection_id}").defer_async(
            connection_id=connection_id
        )
    return len(connections)


# Nightly, every SKU of every connection is pushed again.
@blueprint.periodic(cron="17 3 * * *")
@blueprint.task(name="nightly_resync", queueing_lock="connections_nightly_resync")
async def nightly_resync(timestamp: int) -> int:
    return await sync.resync_all(worker_database(environment_database_url), _installation())


@blueprint.task(name="push_orders")
async def push_orders(connection_id: int) -> int:
    return await sync.push_orders(
        worker_database(environment_database_url), _installation(), connection_id
    )


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(name="push_due_orders", queueing_lock="connections_push_due_orders")
async def push_due_orders(timestamp: int) -> int:
    due = await order_pushes.due_connections(worker_database(environment_database_url))
    for connection_id in due:
        await push_orders.configure(lock=f"orders:{connection_id}").defer_async(
            connection_id=connection_id
        )
    return len(due)


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(name="retry_waiting_events", queueing_lock="connections_retry_events")
async def retry_waiting_events(timestamp: int) -> int:
    """Events that wait for a SKU, or failed, are mapped again every five minutes."""
    database = worker_database(environment_database_url)
    retried = 0
    for connection_id in await sync.connections_with_waiting_events(database):
        retried += await sync.retry_waiting_events(database, _installation(), connection_id)
    return retried
