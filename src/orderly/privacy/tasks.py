"""Personal data jobs: every night, orders kept past their channel's retention are erased."""

from __future__ import annotations

from datetime import UTC, datetime

import procrastinate
import sqlalchemy as sa

from orderly.kit.jobs import worker_database
from orderly.privacy import service
from orderly.settings import environment_database_url

blueprint = procrastinate.Blueprint()


@blueprint.periodic(cron="41 2 * * *")
@blueprint.task(name="apply_retention", queueing_lock="privacy_apply_retention")
async def apply_retention(timestamp: int) -> int:
    now = datetime.fromtimestamp(timestamp, UTC)
    database = worker_database(environment_database_url)
    async with database.transaction() as tx:
        orgs = list(
            (await tx.connection.execute(sa.text("SELECT id FROM organizations"))).scalars()
        )
    erased = 0
    for org_id in orgs:
        async with database.transaction() as tx:
            erased += len(await service.apply_retention(tx.connection, org_id, now))
    return erased
