"""The outbox over the order timeline: an event that commits late (after a later id was
dispatched) is still dispatched; an id that rolled back is given up once it cannot commit."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.notifications import outbox
from orderly.notifications.models import event_outbox_cursor, webhook_deliveries
from orderly.orders.models import order_events
from tests.factories import Org, place_order
from tests.fulfillment.helpers import setup_warehouses
from tests.notifications.helpers import subscribe

NO_GRACE = timedelta(0)


async def append(conn: sa.ext.asyncio.AsyncConnection, org: Org, order_id: int, kind: str) -> int:
    event_id = await conn.scalar(
        sa.insert(order_events)
        .values(org_id=org.id, order_id=order_id, type=kind, data={}, actor="test")
        .returning(order_events.c.id)
    )
    assert event_id is not None
    return int(event_id)


async def dispatch(db: Database) -> list[int]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        await outbox.dispatch_events(conn, grace=NO_GRACE)
        cursor = (await conn.execute(sa.select(event_outbox_cursor.c.gaps))).scalar_one()
    return list(cursor)


async def delivered_events(db: Database, org: Org) -> set[int]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        rows = await conn.execute(
            sa.select(webhook_deliveries.c.event_id).where(webhook_deliveries.c.org_id == org.id)
        )
        return {int(r[0]) for r in rows}


@pytest.fixture(autouse=True)
async def caught_up(db: Database) -> None:
    """The dispatcher has read every event of the tests before (which may be more than one
    batch), as a running one would have."""
    while True:
        async with db.transaction() as transaction:
            conn = transaction.connection
            if await outbox.dispatch_events(conn, grace=NO_GRACE) < outbox.BATCH:
                return


class TestLateCommits:
    async def test_an_event_committed_after_a_later_one_is_dispatched(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await subscribe(client, org, "http://127.0.0.1:9/hooks", ["test.*"])
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        await dispatch(db)

        slow = await db.engine.connect()
        slow_tx = await slow.begin()
        early = await append(slow, org, placed["id"], "test.slow")  # drawn first, not committed
        async with db.transaction() as transaction:
            conn = transaction.connection
            late = await append(conn, org, placed["id"], "test.fast")
        gaps = await dispatch(db)
        assert early in gaps
        assert await delivered_events(db, org) == {late}

        await slow_tx.commit()
        await slow.close()
        gaps = await dispatch(db)
        assert early not in gaps
        assert await delivered_events(db, org) == {early, late}

    async def test_a_rolled_back_id_is_given_up(self, db: Database, org: Org) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        await dispatch(db)
        conn = await db.engine.connect()
        tx = await conn.begin()
        lost = await append(conn, org, placed["id"], "test.lost")
        await tx.rollback()
        await conn.close()
        async with db.transaction() as transaction:
            c = transaction.connection
            await append(c, org, placed["id"], "test.kept")

        assert lost in await dispatch(db)
        for _ in range(3):  # the horizon is passed once the transactions of then are over
            gaps = await dispatch(db)
        assert lost not in gaps

    async def test_dispatch_waits_for_the_grace_period(self, db: Database, org: Org) -> None:
        await setup_warehouses(db, org, {"WH1": 5})
        placed = await place_order(db, org, [("MUG", 1)])
        conn = await db.engine.connect()
        tx = await conn.begin()
        lost = await append(conn, org, placed["id"], "test.lost")
        await tx.rollback()
        await conn.close()
        async with db.transaction() as transaction:
            c = transaction.connection
            await append(c, org, placed["id"], "test.kept")
        for _ in range(3):
            async with db.transaction() as transaction:
                c = transaction.connection
                await outbox.dispatch_events(c, grace=timedelta(hours=1))
        async with db.transaction() as transaction:
            c = transaction.connection
            gaps = (await c.execute(sa.select(event_outbox_cursor.c.gaps))).scalar_one()
        assert lost in gaps  # not yet given up: a writer might still be on its way
        await dispatch(db)
        assert lost not in await dispatch(db)
