"""Notification jobs: dispatch events, send messages, deliver webhooks, remind of pickups.

Each is idempotent and safe to kill at any point (kill -9 included); schedules and locks are
in docs/notifications.md.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import UTC, datetime

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Database
from orderly.kit.jobs import worker_database
from orderly.kit.vault import vault_for
from orderly.notifications import deliveries, outbox, reminders, sending
from orderly.settings import Settings, environment_database_url, in_worker_transaction

blueprint = procrastinate.Blueprint()
logger = logging.getLogger(__name__)


@functools.cache
def _settings() -> Settings:
    return Settings()


async def dispatch_all(database: Database) -> int:
    """Dispatch until the outbox has nothing new; returns how many events were dispatched."""
    total = 0
    while True:
        async with database.transaction() as transaction:
            conn = transaction.connection
            dispatched = await outbox.dispatch_events(conn)
        total += dispatched
        if dispatched < outbox.BATCH:
            return total


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(name="dispatch_events", queueing_lock="notifications_dispatch_events")
async def dispatch_events(timestamp: int) -> int:
    dispatched = await dispatch_all(worker_database(environment_database_url))
    if dispatched:
        for task in (send_notifications, deliver_webhooks):
            # AlreadyEnqueued: one is already waiting, and it will see these too.
            with contextlib.suppress(AlreadyEnqueued):
                await task.configure(queueing_lock=f"notifications_{task.name}_kick").defer_async(
                    timestamp=timestamp
                )
    return dispatched


@blueprint.periodic(cron="* * * * * */10")
@blueprint.task(name="send_notifications", queueing_lock="notifications_send")
async def send_notifications(timestamp: int) -> int:
    return await sending.send_due_notifications(
        worker_database(environment_database_url), _settings()
    )


@blueprint.periodic(cron="* * * * * */10")
@blueprint.task(name="deliver_webhooks", queueing_lock="notifications_deliver_webhooks")
async def deliver_webhooks(timestamp: int) -> int:
    settings = _settings()
    return await deliveries.deliver_due_webhooks(
        worker_database(environment_database_url),
        vault_for(settings),
        allow_private_urls=settings.allow_private_urls,
    )


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="remind_expiring_pickups", queueing_lock="notifications_pickup_reminders")
@in_worker_transaction
async def remind_expiring_pickups(conn: AsyncConnection, timestamp: int) -> int:
    return await reminders.queue_pickup_reminders(conn, datetime.fromtimestamp(timestamp, UTC))
