"""Automation jobs: backorders sourced when stock arrives, purchase orders drafted for what
runs low, late orders flagged, and expired Idempotency-Keys pruned. Each is idempotent and
commits nothing when killed mid-job (docs/automation.md, "Jobs").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

import procrastinate
import procrastinate.exceptions
import procrastinate.jobs
import procrastinate.manager
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation import restock, sla
from orderly.inventory.arrivals import WAITING_FOR_STOCK
from orderly.kit.idempotency import prune_expired_keys
from orderly.kit.jobs import stalled_after, worker_database
from orderly.order_flows.backorders import BackorderRun, allocate_backorders
from orderly.settings import Settings, environment_database_url, in_worker_transaction

blueprint = procrastinate.Blueprint()
logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "automation"
RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)


# Job bodies ---------------------------------------------------------------------------------


async def source_backorders(
    conn: AsyncConnection, *, org_id: int, sku_ids: Sequence[int] | None
) -> BackorderRun:
    """Source the backordered orders of the organization that want these SKUs."""
    return await allocate_backorders(conn, org_id, sku_ids, SYSTEM_ACTOR)


async def draft_purchase_orders(conn: AsyncConnection, *, org_id: int, today: date) -> list[int]:
    return await restock.draft_purchase_orders(conn, org_id, today)


async def flag_late_orders(conn: AsyncConnection, *, org_id: int, now: datetime) -> list[int]:
    return await sla.flag_late_orders(conn, org_id, now)


# Jobs ---------------------------------------------------------------------------------------


@blueprint.task(name="source_backorders", retry=RETRY)
@in_worker_transaction
async def source_backorders_job(conn: AsyncConnection, org_id: int, sku_ids: list[int]) -> None:
    """Deferred with the stock change that made the SKUs arrive (see `inventory.arrivals`)."""
    await source_backorders(conn, org_id=org_id, sku_ids=sku_ids)


@blueprint.periodic(cron="*/10 * * * *")
@blueprint.task(name="sweep_backorders", queueing_lock="automation_sweep_backorders", retry=RETRY)
async def sweep_backorders_job(timestamp: int) -> None:
    """A backstop for stock that became available without an arrival (an order cancelled,
    a reservation released): every backordered order gets another try."""
    await _per_organization(
        _ORGS_WITH_BACKORDERS,
        lambda conn, org_id: source_backorders(conn, org_id=org_id, sku_ids=None),
    )


@blueprint.periodic(cron="7 * * * *")
@blueprint.task(name="draft_purchase_orders", queueing_lock="automation_restock", retry=RETRY)
async def draft_purchase_orders_job(timestamp: int) -> None:
    today = datetime.fromtimestamp(timestamp, UTC).date()
    await _per_organization(
        _ORGS_WITH_RULES,
        lambda conn, org_id: draft_purchase_orders(conn, org_id=org_id, today=today),
    )


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="flag_late_orders", queueing_lock="automation_sla_watch", retry=RETRY)
async def flag_late_orders_job(timestamp: int) -> None:
    now = datetime.fromtimestamp(timestamp, UTC)
    await _per_organization(
        _ALL_ORGS, lambda conn, org_id: flag_late_orders(conn, org_id=org_id, now=now)
    )


@blueprint.periodic(cron="23 * * * *")
@blueprint.task(
    name="prune_idempotency_keys", queueing_lock="automation_prune_idempotency_keys", retry=RETRY
)
@in_worker_transaction
async def prune_idempotency_keys_job(conn: AsyncConnection, timestamp: int) -> None:
    """Expired Idempotency-Keys are forgotten: a request no longer replays them anyway."""
    await prune_expired_keys(conn)


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(
    name="retry_stalled_jobs", queueing_lock="automation_retry_stalled_jobs", pass_context=True
)
async def retry_stalled_jobs_job(context: procrastinate.JobContext, timestamp: int) -> None:
    heartbeat = Settings().worker_heartbeat_seconds
    await retry_stalled_jobs(context.app.job_manager, silent_for=stalled_after(heartbeat))


async def retry_stalled_jobs(
    job_manager: procrastinate.manager.JobManager, *, silent_for: float
) -> int:
    """Jobs left `doing` by a worker that sent no heartbeat for `silent_for` seconds (killed,
    even with -9) are put back in the queue. Their transaction died with the worker, so the
    retry starts from the committed state. Returns how many jobs were put back."""
    stalled = list(await job_manager.get_stalled_jobs(seconds_since_heartbeat=silent_for))
    for job in stalled:
        logger.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
        try:
            await job_manager.retry_job(job)
        except procrastinate.exceptions.UniqueViolation:
            if job.queueing_lock is None:
                raise
            # A job with the same queueing lock is already waiting and will do the same work
            # (that is what the lock means). Close this one instead: left `doing` it would be
            # found again on every run, and raising here would leave the next ones stuck.
            logger.warning("job %s is already queued again; closing the stalled one", job.id)
            await job_manager.finish_job(
                job, status=procrastinate.jobs.Status.FAILED, delete_job=False
            )
    return len(stalled)


# Running a body once per organization, each in its own transaction -------------------------

_ORGS_WITH_BACKORDERS = f"SELECT DISTINCT o.org_id FROM orders o WHERE {WAITING_FOR_STOCK}"  # noqa: S608
_ORGS_WITH_RULES = "SELECT DISTINCT org_id FROM replenishment_rules"
_ALL_ORGS = "SELECT id FROM organizations"


async def _per_organization(
    orgs_sql: str, body: Callable[[AsyncConnection, int], Awaitable[object]]
) -> None:
    """One transaction per organization, so that one failing organization does not hold back
    the others; the job fails (and is retried) when any did, after all were tried."""
    database = worker_database(environment_database_url)
    async with database.transaction() as transaction:
        conn = transaction.connection
        org_ids = [row[0] for row in await conn.execute(sa.text(orgs_sql))]
    failed = []
    for org_id in org_ids:
        try:
            async with database.transaction() as transaction:
                conn = transaction.connection
                await body(conn, org_id)
        except Exception:
            logger.exception("automation job failed for organization %s", org_id)
            failed.append(org_id)
    if failed:
        raise RuntimeError(f"automation job failed for organizations {failed}")
