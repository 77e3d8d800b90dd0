"""A worker killed mid-job (kill -9): its transaction dies with it, the job is put back in the
queue once the worker stops sending heartbeats, and the retry never drafts a duplicate."""

from __future__ import annotations

import httpx
import procrastinate
import sqlalchemy as sa

from orderly.automation import tasks
from orderly.kit.db import Database, plain_url
from tests.automation.test_restock import purchase_orders, restockable_shop, run_restock
from tests.factories import Org


async def job_status(db: Database, job_id: int) -> str:
    async with db.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        )
        return str(result.scalar_one())


class TestKilledWorker:
    async def test_the_job_is_retried_and_drafts_each_purchase_order_once(
        self, client: httpx.AsyncClient, db: Database, org: Org, database_url: str
    ) -> None:
        await restockable_shop(db, org)
        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=plain_url(database_url))
        )
        async with app.open_async():
            job_id = await app.configure_task(
                "automation:draft_purchase_orders", queue=f"crash-test-{org.id}"
            ).defer_async(timestamp=0)
            # A worker took the job and died mid-run: its drafts were never committed, and
            # its heartbeat stopped an hour ago.
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
                        " WHERE id = :id"
                    ),
                    {"worker": worker_id, "id": job_id},
                )
            assert await purchase_orders(client, org) == []

            assert await tasks.retry_stalled_jobs(app.job_manager, silent_for=30) >= 1
            assert await job_status(db, job_id) == "todo"

        # The retry runs the job again; a second run (the next hour) adds nothing.
        await run_restock(db, org)
        await run_restock(db, org)
        assert [po["supplier"] for po in await purchase_orders(client, org)] == ["ACME", "BOLT"]
