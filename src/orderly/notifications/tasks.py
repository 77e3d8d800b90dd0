"""Notification jobs. Each is idempotent and safe to kill at any point (kill -9 included):

- dispatch_events (every 5 s): order timeline events -> queued messages and webhook deliveries;
  when it found events it kicks the two senders at once rather than waiting for their turn.
- send_notifications (every 10 s): queued messages -> SMTP (or .eml files).
- deliver_webhooks (every 10 s): due deliveries -> signed HTTP POSTs, with retries.
- remind_expiring_pickups (every 15 min): pickups about to expire -> a reminder message.

A queueing lock keeps at most one of each waiting; row locks (SKIP LOCKED) let several
workers share the sending.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import UTC, datetime

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from orderly.kit.db import Database
from orderly.notifications import deliveries, outbox, reminders, sending
from orderly.settings import Settings
from orderly.shipping.vault import vault_for

blueprint = procrastinate.Blueprint()
logger = logging.getLogger(__name__)


@functools.cache
def _settings() -> Settings:
    return Settings()


@functools.cache
def _database() -> Database:
    # Built on first use in a worker process, never at import.
    return Database(_settings().resolved_database_url(), pool_size=3, max_overflow=2)


async def dispatch_all(database: Database) -> int:
    """Dispatch until the outbox has nothing new; returns how many events were dispatched."""
    total = 0
    while True:
        async with database.transaction() as conn:
            dispatched = await outbox.dispatch_events(conn)
        total += dispatched
        if dispatched < outbox.BATCH:
            return total


@blueprint.periodic(cron="* * * * * */5")
@blueprint.task(name="dispatch_events", queueing_lock="notifications_dispatch_events")
async def dispatch_events(timestamp: int) -> int:
    dispatched = await dispatch_all(_database())
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
    return await sending.send_due_notifications(_database(), _settings())


@blueprint.periodic(cron="* * * * * */10")
@blueprint.task(name="deliver_webhooks", queueing_lock="notifications_deliver_webhooks")
async def deliver_webhooks(timestamp: int) -> int:
    settings = _settings()
    return await deliveries.deliver_due_webhooks(
        _database(), vault_for(settings), allow_private_urls=settings.allow_private_urls
    )


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="remind_expiring_pickups", queueing_lock="notifications_pickup_reminders")
async def remind_expiring_pickups(timestamp: int) -> int:
    async with _database().transaction() as conn:
        return await reminders.queue_pickup_reminders(conn, datetime.fromtimestamp(timestamp, UTC))
