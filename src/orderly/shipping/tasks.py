"""Background jobs of shipping: polling carriers that can be asked for tracking news, and
asking carriers that validate addresses about the orders just captured."""

from __future__ import annotations

import logging

import procrastinate

from orderly.kit.db import Database
from orderly.kit.jobs import worker_database
from orderly.settings import environment_database_url
from orderly.shipping import address_check_repository, address_checks, tracking

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


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="check_addresses", queueing_lock="shipping_check_addresses")
async def check_addresses(timestamp: int) -> int:
    """Every minute: the carriers' verdicts on the addresses of orders just captured."""
    return await check_all_addresses(worker_database(environment_database_url))


async def check_all_addresses(database: Database) -> int:
    async with database.reading() as conn:
        org_ids = await address_check_repository.orgs_with_outside_carriers(conn)
    checked = 0
    for org_id in org_ids:
        try:
            checked += len(await address_checks.check_org(database, org_id))
        except Exception:
            # One organization's trouble must not stop the others; the next run tries again.
            logger.exception("address checks failed for organization %s", org_id)
    return checked
