"""Background jobs of shipping: polling carriers that can be asked for tracking news."""

from __future__ import annotations

import logging

import procrastinate

from orderly.kit.db import Database
from orderly.kit.jobs import worker_database
from orderly.settings import environment_database_url
from orderly.shipping import tracking

blueprint = procrastinate.Blueprint()
logger = logging.getLogger(__name__)


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="poll_tracking", queueing_lock="shipping_poll_tracking")
async def poll_tracking(timestamp: int) -> int:
    """Every 15 minutes: ask pollable carriers about undelivered shipments."""
    return await poll_all(worker_database(environment_database_url))


async def poll_all(database: Database) -> int:
    async with database.reading() as conn:
        org_ids = await tracking.orgs_to_poll(conn)
    moved = 0
    for org_id in org_ids:
        try:
            moved += len(await tracking.poll_carriers(database, org_id))
        except Exception:
            # One organization's trouble must not stop the others; the next run tries again.
            logger.exception("tracking poll failed for organization %s", org_id)
    return moved
