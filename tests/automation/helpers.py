"""Shared setup for automation tests: a shop with a warehouse, SKUs and a backorder channel."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from orderly.automation import tasks
from orderly.kit.db import Database
from tests.factories import Org, create_channel, create_location, create_sku


async def shop_with_backorders(db: Database, org: Org, *skus: str) -> None:
    """WH1 (Newark), the SKUs named (no stock), and the `b2b` channel, which backorders."""
    await create_location(db, org, "WH1", city="Newark")
    for sku in skus:
        await create_sku(db, org, sku)
    await create_channel(db, org, "b2b", name="B2B", kind="b2b", allow_backorders=True)


async def get(client: httpx.AsyncClient, org: Org, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def event_types(client: httpx.AsyncClient, org: Org, order_id: int) -> list[str]:
    page = await get(client, org, f"/v1/orders/{order_id}/events", limit=200)
    return [e["type"] for e in page["items"]]


async def deferred_backorder_jobs(db: Database, org_id: int) -> list[dict[str, Any]]:
    """The arguments of backorder jobs deferred for the organization (none has run)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT args FROM procrastinate_jobs"
                " WHERE task_name = 'automation:source_backorders'"
                "   AND CAST(args ->> 'org_id' AS bigint) = :org_id ORDER BY id"
            ),
            {"org_id": org_id},
        )
        return [dict(r.args) for r in rows]


async def run_deferred_backorder_jobs(db: Database, org_id: int) -> None:
    """What the worker does with each deferred job: run its body in a transaction."""
    for args in await deferred_backorder_jobs(db, org_id):
        async with db.transaction() as transaction:
            conn = transaction.connection
            await tasks.source_backorders(conn, org_id=args["org_id"], sku_ids=args["sku_ids"])
