"""Jobs of locations operated by others: send what is due (every five seconds), ask for news
(every minute), read stock (hourly), ask a provider to cancel, check a provider."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import procrastinate

from orderly.kit.jobs import worker_database
from orderly.outside import access, events, sending, stock, withdrawal
from orderly.outside import repository as repo
from orderly.outside.access import Installation
from orderly.settings import Settings, environment_database_url

blueprint = procrastinate.Blueprint()

POLL_EVERY = timedelta(seconds=55)
STOCK_EVERY = timedelta(minutes=59)


@functools.cache
def _installation() -> Installation:
    return Installation.of(Settings())


def _poll_lock(provider_id: int) -> str:
    # Polls and stock readings of one provider run one at a time.
    return f"provider:{provider_id}:poll"


@blueprint.task(name="send_orders")
async def send_orders(provider_id: int) -> int:
    return await sending.send_orders(
        worker_database(environment_database_url), _installation(), provider_id
    )


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(name="send_due_orders", queueing_lock="outside_send_due")
async def send_due_orders(timestamp: int) -> int:
    database = worker_database(environment_database_url)
    async with database.reading() as conn:
        due = await repo.due_for_sending(conn)
    for provider_id in due:
        await send_orders.configure(lock=sending.orders_lock(provider_id)).defer_async(
            provider_id=provider_id
        )
    return len(due)


@blueprint.task(name="poll_provider")
async def poll_provider(provider_id: int) -> int:
    return await events.poll_provider(
        worker_database(environment_database_url), _installation(), provider_id
    )


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="poll_due_providers", queueing_lock="outside_poll_due")
async def poll_due_providers(timestamp: int) -> int:
    database = worker_database(environment_database_url)
    now = datetime.fromtimestamp(timestamp, UTC)
    async with database.reading() as conn:
        due = await repo.providers_due(conn, "last_poll_at", now - POLL_EVERY)
    for provider_id in due:
        await poll_provider.configure(lock=_poll_lock(provider_id)).defer_async(
            provider_id=provider_id
        )
    return len(due)


@blueprint.task(name="reconcile_stock")
async def reconcile_stock(provider_id: int) -> int:
    return await stock.reconcile_stock(
        worker_database(environment_database_url), _installation(), provider_id
    )


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="reconcile_due_providers", queueing_lock="outside_stock_due")
async def reconcile_due_providers(timestamp: int) -> int:
    database = worker_database(environment_database_url)
    now = datetime.fromtimestamp(timestamp, UTC)
    async with database.reading() as conn:
        due = await repo.providers_due(conn, "last_stock_at", now - STOCK_EVERY)
    for provider_id in due:
        await reconcile_stock.configure(lock=_poll_lock(provider_id)).defer_async(
            provider_id=provider_id
        )
    return len(due)


@blueprint.task(
    name="withdraw_order", retry=procrastinate.RetryStrategy(max_attempts=8, exponential_wait=30)
)
async def withdraw_order(provider_order_id: int) -> str:
    return await withdrawal.withdraw(
        worker_database(environment_database_url), _installation(), provider_order_id
    )


@blueprint.task(
    name="check_provider", retry=procrastinate.RetryStrategy(max_attempts=3, exponential_wait=30)
)
async def check_provider(provider_id: int) -> str:
    return await access.check(
        worker_database(environment_database_url), _installation(), provider_id
    )
