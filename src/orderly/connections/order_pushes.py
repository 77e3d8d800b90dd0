"""Fulfillments and cancellations out: each queued push is sent with no transaction open, then
marked done, or retried with backoff and jitter; after the last attempt it is marked failed on
the connection and on the order's timeline."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from orderly.connections import repository as repo
from orderly.connections.errors import PlatformError
from orderly.connections.port import FulfilledLine, FulfillmentPush, SalesChannel
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.orders.timeline import append_events

MOST_ATTEMPTS = 8
BATCH = 50

_DUE = sa.text(
    """
    SELECT p.id, p.org_id, p.order_id, p.kind, p.reference, p.attempts,
           co.platform_order_id, co.lines
      FROM connection_pushes p
      JOIN connection_orders co ON co.connection_id = p.connection_id AND co.order_id = p.order_id
     WHERE p.connection_id = :id AND p.status = 'pending' AND p.next_attempt_at <= now()
     ORDER BY p.id LIMIT :batch
    """
)

_PARCEL = sa.text(
    """
    SELECT fp.items, fp.tracking_number, fp.carrier, fp.shipped_at
      FROM fulfillment_parcels fp WHERE fp.org_id = :org_id AND fp.id = :parcel_id
    """
)

_LINE_SKUS = sa.text(
    """
    SELECT ol.line_no, s.code FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
     WHERE ol.org_id = :org_id AND ol.order_id = :order_id
    """
)


def retry_delay(attempts: int) -> timedelta:
    """Full jitter over an exponential ceiling: 30 s, 1 min, 2 min ... at most an hour."""
    ceiling = min(30 * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


async def due_connections(database: Database) -> list[int]:
    async with database.transaction() as tx:
        result = await tx.connection.execute(
            sa.text(
                "SELECT DISTINCT connection_id FROM connection_pushes"
                " WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY 1"
            )
        )
        return list(result.scalars())


async def push_orders(database: Database, channel: SalesChannel, connection: Any) -> int:
    """Send this connection's due pushes; answers how many the platform took."""
    async with database.transaction() as tx:
        due = (await tx.connection.execute(_DUE, {"id": connection.id, "batch": BATCH})).all()
        fulfillments = {
            push.id: await _fulfillment(tx.connection, push)
            for push in due
            if push.kind == "fulfillment"
        }
    taken = 0
    for push in due:
        try:
            if push.kind == "fulfillment":
                reference = await channel.push_fulfillment(fulfillments[push.id])
            else:
                await channel.push_cancellation(
                    push.platform_order_id, reason="cancelled in Orderly"
                )
                reference = None
        except PlatformError as error:
            await _failed(database, connection, push, error)
            continue
        await _done(database, connection, push, reference)
        taken += 1
    return taken


async def _fulfillment(conn: Any, push: Any) -> FulfillmentPush:
    parcel_id = int(push.reference.removeprefix("parcel:"))
    parcel = (await conn.execute(_PARCEL, {"org_id": push.org_id, "parcel_id": parcel_id})).one()
    skus = dict(
        (await conn.execute(_LINE_SKUS, {"org_id": push.org_id, "order_id": push.order_id})).all()
    )
    platform_lines = list(push.lines)
    lines = tuple(
        FulfilledLine(
            platform_line_id=str(platform_lines[int(item["line_no"]) - 1]["platform_line_id"]),
            sku=skus[int(item["line_no"])],
            quantity=int(item["quantity"]),
        )
        for item in parcel.items
        if int(item["quantity"]) > 0
    )
    return FulfillmentPush(
        platform_order_id=push.platform_order_id,
        lines=lines,
        carrier=parcel.carrier,
        tracking_number=parcel.tracking_number,
        tracking_url=None,
        shipped_at=parcel.shipped_at or utcnow(),
        reference=f"orderly-{push.reference.replace(':', '-')}",
    )


async def _done(database: Database, connection: Any, push: Any, reference: str | None) -> None:
    async with database.transaction() as tx:
        await tx.connection.execute(
            sa.text(
                "UPDATE connection_pushes SET status = 'done', done_at = now(),"
                " attempts = attempts + 1, platform_reference = :ref, last_error = NULL"
                " WHERE id = :id"
            ),
            {"id": push.id, "ref": reference},
        )
        await repo.update_connection(
            tx.connection,
            org_id=connection.org_id,
            connection_id=connection.id,
            values={"last_push_at": utcnow()},
        )
        await append_events(
            tx.connection,
            push.org_id,
            push.order_id,
            [
                (
                    f"channel.{push.kind}_pushed",
                    {"platform": connection.platform, "platform_reference": reference},
                )
            ],
            actor=f"connection:{connection.id}",
        )


async def _failed(database: Database, connection: Any, push: Any, error: PlatformError) -> None:
    attempts = push.attempts + 1
    last = attempts >= MOST_ATTEMPTS
    async with database.transaction() as tx:
        await tx.connection.execute(
            sa.text(
                "UPDATE connection_pushes SET attempts = :attempts, last_error = :error,"
                " status = CASE WHEN :last THEN 'failed' ELSE 'pending' END,"
                " next_attempt_at = :next WHERE id = :id"
            ),
            {
                "id": push.id,
                "attempts": attempts,
                "error": error.detail[:500],
                "last": last,
                "next": utcnow() + retry_delay(attempts),
            },
        )
        await repo.record_error(
            tx.connection,
            org_id=connection.org_id,
            connection_id=connection.id,
            activity=f"push_{push.kind}",
            code=error.code,
            detail=f"order {push.order_id}: {error.detail}",
        )
        if last:
            await append_events(
                tx.connection,
                push.org_id,
                push.order_id,
                [
                    (
                        f"channel.{push.kind}_push_failed",
                        {"platform": connection.platform, "error": error.detail[:500]},
                    )
                ],
                actor=f"connection:{connection.id}",
            )
