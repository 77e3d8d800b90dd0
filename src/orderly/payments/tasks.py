"""Payment jobs: send an operation to a provider reached over the network, and, every hour,
watch the authorizations that are about to lapse."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import procrastinate

from orderly.kit.jobs import worker_database
from orderly.kit.vault import Vault, vault_for
from orderly.payments import lifecycle, stripe_webhooks
from orderly.settings import Settings, environment_database_url

blueprint = procrastinate.Blueprint()


@functools.cache
def _vault() -> Vault:
    return vault_for(Settings())


@blueprint.task(
    name="run_operation",
    retry=procrastinate.RetryStrategy(max_attempts=8, exponential_wait=15),
)
async def run_operation(operation_id: int) -> str:
    return await lifecycle.run_operation(
        worker_database(environment_database_url), _vault(), operation_id
    )


@blueprint.task(
    name="apply_webhook_event",
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=10),
)
async def apply_webhook_event(event_row_id: int) -> str:
    return await stripe_webhooks.apply_event(
        worker_database(environment_database_url), event_row_id
    )


@blueprint.periodic(cron="7 * * * *")
@blueprint.task(name="watch_authorizations", queueing_lock="payments_watch_authorizations")
async def watch_authorizations(timestamp: int) -> int:
    """Every hour: authorizations about to lapse are renewed or flagged (docs/payments.md)."""
    return await lifecycle.watch_authorizations(
        worker_database(environment_database_url), datetime.fromtimestamp(timestamp, UTC)
    )
