"""The work the jobs do for a connection: set it up, map inbox events, pull orders, push stock.

Every platform call happens with no database transaction open: a job reads what it needs in one
short transaction, calls the platform, and records the outcome in another."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderly.connections import order_pushes, stock
from orderly.connections import repository as repo
from orderly.connections.access import (
    connection_row,
    connector_for,
    record_failure,
    record_healthy,
)
from orderly.connections.errors import PlatformError
from orderly.connections.intake import (
    Intake,
    Outcome,
    UnmappableOrder,
    take_order,
    with_our_skus,
)
from orderly.connections.port import ChannelOrder, InboundEvent, SalesChannel
from orderly.connections.schemas import ConnectionSettings
from orderly.connections.service import PUSH_STOCK_TASK, Installation
from orderly.kit.clock import utcnow
from orderly.kit.db import Database, Transaction
from orderly.kit.errors import OrderlyError
from orderly.kit.jobs import defer_job

logger = logging.getLogger(__name__)

# Inbox events mapped per run of a connection's retry job.
EVENT_BATCH = 100


# --- set-up ---------------------------------------------------------------------------------


async def set_up(database: Database, installation: Installation, connection_id: int) -> bool:
    """Check the credentials, subscribe the webhooks and read the catalog's ids."""
    row = await connection_row(database, connection_id)
    if row is None or not row.active:
        return False
    channel = connector_for(row, installation, database)
    try:
        await channel.check()
        topics: list[str] = []
        url = installation.webhook_url(row.platform, row.id)
        if url is not None:
            topics = await channel.register_webhooks(url)
        await _refresh_listings(database, row, channel)
    except PlatformError as error:
        await record_failure(database, row, "set_up", error)
        return False
    await record_healthy(database, row, webhooks_registered=",".join(topics))
    return True


async def _refresh_listings(database: Database, row: Any, channel: SalesChannel) -> int:
    """The store's ids for our SKUs, each under our SKU (the connection's `sku_map`)."""
    sku_map = ConnectionSettings.model_validate(row.settings).sku_map
    count = 0
    async for page in channel.listings():
        async with database.transaction() as tx:
            await repo.save_listings(
                tx.connection,
                org_id=row.org_id,
                connection_id=row.id,
                rows=[
                    {
                        "sku": sku_map.get(listing.sku, listing.sku),
                        "product_id": listing.product_id,
                        "variant_id": listing.variant_id,
                        "inventory_item_id": listing.inventory_item_id,
                    }
                    for listing in page
                ],
            )
        count += len(page)
    return count


# --- the inbox ------------------------------------------------------------------------------


async def store_event(tx: Transaction, row: Any, event: InboundEvent) -> int | None:
    """Keep a verified webhook in the inbox; None when the platform sent it before."""
    return await repo.store_event(
        tx.connection,
        org_id=row.org_id,
        connection_id=row.id,
        event_id=event.event_id,
        topic=event.topic,
        platform_order_id=event.platform_order_id,
        payload=event.payload,
    )


async def process_event(
    database: Database, installation: Installation, event_row_id: int
) -> str | None:
    """Map one inbox event to an order. Returns the event's new status (None: not found, or
    another job holds it)."""
    async with database.transaction() as tx:
        event = await repo.lock_event(tx.connection, event_row_id=event_row_id)
        if event is None or event.status in ("done", "ignored"):
            return None
    row = await connection_row(database, event.connection_id)
    if row is None:
        return None
    channel = connector_for(row, installation, database)
    inbound = InboundEvent(
        event_id=event.event_id,
        topic=event.topic,
        payload=event.payload,
        platform_order_id=event.platform_order_id,
    )
    try:
        order = await channel.order_of_event(inbound)
    except PlatformError as error:
        await record_failure(database, row, "webhook", error)
        await _settle(database, event_row_id, "failed", error.detail)
        return "failed"
    if order is None:
        await _settle(database, event_row_id, "ignored", "the event concerns no order")
        return "ignored"
    intake = await _take(database, row, order, event_row_id=event_row_id)
    return intake


async def _settle(database: Database, event_row_id: int, status: str, detail: str | None) -> None:
    async with database.transaction() as tx:
        await repo.settle_event(
            tx.connection, event_row_id=event_row_id, status=status, error=detail
        )


async def _take(
    database: Database, row: Any, order: ChannelOrder, *, event_row_id: int | None
) -> str:
    """Capture or update one order in a transaction of its own; a failure is kept on the event
    (or, for a pull, on the connection) and never loses the order."""
    order = with_our_skus(order, ConnectionSettings.model_validate(row.settings).sku_map)
    try:
        async with database.transaction() as tx:
            known = await _known_skus(tx, row.org_id, order)
            intake = await take_order(tx, row, order, known_skus=known)
            status = _event_status(intake)
            if event_row_id is not None:
                await repo.settle_event(
                    tx.connection,
                    event_row_id=event_row_id,
                    status=status,
                    error=intake.detail if status != "done" else None,
                    order_id=intake.order_id,
                )
            elif intake.outcome is Outcome.NEEDS_MAPPING:
                await _keep_for_mapping(tx, row, order, intake)
        return status
    except (OrderlyError, UnmappableOrder) as error:
        detail = error.detail if isinstance(error, OrderlyError) else str(error)
        async with database.transaction() as tx:
            if event_row_id is not None:
                await repo.settle_event(
                    tx.connection, event_row_id=event_row_id, status="failed", error=detail
                )
            await repo.record_error(
                tx.connection,
                org_id=row.org_id,
                connection_id=row.id,
                activity="order",
                code=getattr(error, "code", "unmappable_order"),
                detail=f"order {order.number}: {detail}",
            )
        return "failed"


def _event_status(intake: Intake) -> str:
    if intake.outcome is Outcome.NEEDS_MAPPING:
        return "needs_mapping"
    if intake.outcome is Outcome.IGNORED:
        return "ignored"
    return "done"


async def _keep_for_mapping(tx: Transaction, row: Any, order: ChannelOrder, intake: Intake) -> None:
    """A pulled order with an unknown SKU waits in the inbox like a webhook would."""
    event_row_id = await repo.store_event(
        tx.connection,
        org_id=row.org_id,
        connection_id=row.id,
        event_id=f"pull:{order.platform_order_id}:{order.updated_at.isoformat()}",
        topic="pull",
        platform_order_id=order.platform_order_id,
        payload={"platform_order_id": order.platform_order_id},
    )
    if event_row_id is not None:
        await repo.settle_event(
            tx.connection, event_row_id=event_row_id, status="needs_mapping", error=intake.detail
        )


async def _known_skus(tx: Transaction, org_id: int, order: ChannelOrder) -> set[str]:
    codes = sorted({line.sku for line in order.lines if line.sku})
    if not codes:
        return set()
    result = await tx.connection.execute(
        sa.text("SELECT code FROM skus WHERE org_id = :org_id AND code = ANY(:codes)"),
        {"org_id": org_id, "codes": codes},
    )
    return set(result.scalars())


async def retry_waiting_events(
    database: Database, installation: Installation, connection_id: int
) -> int:
    """Map again the events that wait for a SKU or failed: after a SKU is created or mapped."""
    async with database.transaction() as tx:
        waiting = await repo.waiting_events(
            tx.connection,
            connection_id=connection_id,
            statuses=("needs_mapping", "failed", "pending"),
            limit=EVENT_BATCH,
        )
    done = 0
    for event_row_id in waiting:
        if await process_event(database, installation, event_row_id) == "done":
            done += 1
    return done


# --- pulls ----------------------------------------------------------------------------------


async def pull(database: Database, installation: Installation, connection_id: int) -> int:
    """Pull every order changed since the connection's cursor, page by page; the cursor moves
    after each page is captured, so a crash loses nothing and repeats at most one page."""
    row = await connection_row(database, connection_id)
    if row is None or not row.active:
        return 0
    channel = connector_for(row, installation, database)
    taken = 0
    try:
        async for page in channel.orders_changed_since(row.pull_cursor):
            for order in page.orders:
                await _take(database, row, order, event_row_id=None)
                taken += 1
            async with database.transaction() as tx:
                await repo.update_connection(
                    tx.connection,
                    org_id=row.org_id,
                    connection_id=row.id,
                    values={"pull_cursor": page.cursor or row.pull_cursor},
                )
    except PlatformError as error:
        await record_failure(database, row, "pull", error)
        return taken
    await record_healthy(database, row, last_pull_at=utcnow())
    return taken


async def connections_due_for_pull(database: Database, now: datetime) -> list[int]:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.text(
                "SELECT id FROM connections WHERE active AND (last_pull_at IS NULL OR"
                " last_pull_at + make_interval(mins =>"
                "   coalesce((settings ->> 'pull_interval_minutes')::int, 10)) <= :now)"
                " ORDER BY id"
            ),
            {"now": now},
        )
        return list(result.scalars())


# --- stock ----------------------------------------------------------------------------------


async def push_stock(
    database: Database, installation: Installation, connection_id: int, *, batch: int = 5000
) -> int:
    """Push what the platform should show for every SKU waiting on this connection."""
    row = await connection_row(database, connection_id)
    if row is None or not row.active:
        return 0
    channel = connector_for(row, installation, database)
    settings = ConnectionSettings.model_validate(row.settings)
    pushed = 0
    while True:
        async with database.transaction() as tx:
            read_at, pending = await stock.pending_quantities(
                tx.connection, row, settings, limit=batch
            )
        if not pending.quantities and not pending.unlisted:
            break
        try:
            result = await channel.push_stock(pending.quantities)
        except PlatformError as error:
            await record_failure(database, row, "push_stock", error)
            await _count_attempt(database, row, pending.sku_ids, error.detail)
            return pushed
        async with database.transaction() as tx:
            await stock.settle(tx.connection, row, pending, result, read_at=read_at)
        pushed += result.pushed
        if len(pending.sku_ids) < batch or not result.pushed:
            break
    await record_healthy(database, row, last_push_at=utcnow())
    return pushed


async def _count_attempt(database: Database, row: Any, sku_ids: Sequence[int], detail: str) -> None:
    async with database.transaction() as tx:
        await tx.connection.execute(
            sa.text(
                "UPDATE connection_stock_pending SET attempts = attempts + 1, last_error = :e"
                " WHERE connection_id = :id AND sku_id = ANY(:skus)"
            ),
            {"id": row.id, "skus": list(sku_ids), "e": detail[:500]},
        )


async def resync_all(database: Database, installation: Installation) -> int:
    """The nightly resync: each active stock-pushing connection is checked and its catalog's
    ids read again (so the SKU map stays current), then every SKU of it is pushed."""
    async with database.transaction() as tx:
        rows = (
            await tx.connection.execute(
                sa.text(
                    "SELECT id, org_id FROM connections WHERE active"
                    " AND coalesce((settings ->> 'push_stock')::boolean, true) ORDER BY id"
                )
            )
        ).all()
    for r in rows:
        await set_up(database, installation, r.id)
        async with database.transaction() as tx:
            await repo.mark_all_skus(tx.connection, org_id=r.org_id, connection_id=r.id)
            await defer_job(tx.connection, PUSH_STOCK_TASK, lock=f"push:{r.id}", connection_id=r.id)
    return len(rows)


async def push_orders(database: Database, installation: Installation, connection_id: int) -> int:
    """Send the connection's due fulfillments and cancellations."""
    row = await connection_row(database, connection_id)
    if row is None or not row.active:
        return 0
    return await order_pushes.push_orders(database, connector_for(row, installation, database), row)


async def connections_with_waiting_events(database: Database) -> list[int]:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.text(
                "SELECT DISTINCT connection_id FROM connection_events"
                " WHERE status IN ('pending', 'needs_mapping', 'failed') AND attempts < 20"
                " ORDER BY 1"
            )
        )
        return list(result.scalars())
