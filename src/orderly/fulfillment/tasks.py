"""Fulfillment jobs: pickups not collected in time expire, every hour."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment import pickup
from orderly.kit.db import Database
from orderly.settings import Settings

blueprint = procrastinate.Blueprint()


async def expire_uncollected_pickups(conn: AsyncConnection, now: datetime) -> int:
    """The job's body, callable directly: expire the pickups due at `now`."""
    return await pickup.expire_uncollected_pickups(conn, now)


@blueprint.periodic(cron="5 * * * *")
@blueprint.task(name="expire_uncollected_pickups", queueing_lock="expire_uncollected_pickups")
async def expire_uncollected_pickups_job(timestamp: int) -> None:
    async with _database().transaction() as conn:
        await expire_uncollected_pickups(conn, datetime.fromtimestamp(timestamp, UTC))


@functools.cache
def _database() -> Database:
    """The worker process's database, made on the first job (nothing happens at import)."""
    return Database(Settings().resolved_database_url(), pool_size=2, max_overflow=2)
