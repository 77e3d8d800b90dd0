"""Found by the kill test: a worker killed while running a job that has a queueing lock,
after the next run of that job was queued. Retrying the stalled job would make two waiting
jobs with one lock, which PostgreSQL refuses; the recovery must close it and carry on."""

from __future__ import annotations

import procrastinate
import sqlalchemy as sa

from orderly.automation import tasks
from orderly.kit.db import Database, plain_url


async def test_a_stalled_job_whose_next_run_is_queued_is_closed(
    db: Database, database_url: str
) -> None:
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=plain_url(database_url))
    )
    lock = "e2e-stalled-lock-test"
    async with app.open_async():
        kick = app.configure_task(
            "notifications:deliver_webhooks", queue="e2e-stalled", queueing_lock=lock
        )
        stalled = await kick.defer_async(timestamp=1)
        healthy = await app.configure_task(
            "automation:draft_purchase_orders", queue="e2e-stalled"
        ).defer_async(timestamp=2)
        # A worker took both and died; the next run of the locked job was queued meanwhile.
        async with db.transaction() as transaction:
            conn = transaction.connection
            worker_id = (
                await conn.execute(
                    sa.text(
                        "INSERT INTO procrastinate_workers (last_heartbeat)"
                        " VALUES (now() - interval '1 hour') RETURNING id"
                    )
                )
            ).scalar_one()
            await conn.execute(
                sa.text(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker"
                    " WHERE id = ANY(:ids)"
                ),
                {"worker": worker_id, "ids": [stalled, healthy]},
            )
        queued = await kick.defer_async(timestamp=3)

        assert await tasks.retry_stalled_jobs(app.job_manager, silent_for=30) >= 2

        async with db.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT id, status FROM procrastinate_jobs WHERE id = ANY(:ids)"),
                {"ids": [stalled, healthy, queued]},
            )
            status = {job_id: str(s) for job_id, s in rows}
        assert status == {stalled: "failed", healthy: "todo", queued: "todo"}
        # Nothing of this test is left for a worker to run.
        async with db.transaction() as transaction:
            conn = transaction.connection
            await conn.execute(
                sa.text("DELETE FROM procrastinate_jobs WHERE queue_name = 'e2e-stalled'")
            )
