"""Order flow jobs: pickups not collected in time expire, every hour."""

from __future__ import annotations

from datetime import UTC, datetime

import procrastinate
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.order_flows import pickup_expiry
from orderly.settings import in_worker_transaction

blueprint = procrastinate.Blueprint()
# The job keeps the name it had under fulfillment: queued jobs and periodic runs store it.
JOB_NAMESPACE = "fulfillment"


async def expire_uncollected_pickups(conn: AsyncConnection, now: datetime) -> int:
    """The job's body, callable directly: expire the pickups due at `now`."""
    return await pickup_expiry.expire_uncollected_pickups(conn, now)


@blueprint.periodic(cron="5 * * * *")
@blueprint.task(name="expire_uncollected_pickups", queueing_lock="expire_uncollected_pickups")
@in_worker_transaction
async def expire_uncollected_pickups_job(conn: AsyncConnection, timestamp: int) -> None:
    await expire_uncollected_pickups(conn, datetime.fromtimestamp(timestamp, UTC))
