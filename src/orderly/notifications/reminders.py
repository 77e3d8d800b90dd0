"""Pickup reminders: a pickup waiting at the store for all but the last day of its expiry gets
one reminder, with its code. The reminder is keyed on the pickup's ready_for_pickup event, so
the (org, event, kind) key makes it once per pickup however often the check runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment.models import fulfillment_orders
from orderly.notifications import repository
from orderly.notifications.domain import NotificationKind
from orderly.notifications.models import notifications
from orderly.orders.models import order_events

REMIND_BEFORE = timedelta(days=1)


async def queue_pickup_reminders(conn: AsyncConnection, now: datetime, *, limit: int = 1000) -> int:
    """Queue a reminder for each pickup expiring within a day that has none; returns how many.
    Pickups that are given a day or less in all are not reminded (the first message says it)."""
    fo, e, n = fulfillment_orders, order_events, notifications
    ready_event = (
        sa.select(sa.func.max(e.c.id))
        .where(
            e.c.org_id == fo.c.org_id,
            e.c.order_id == fo.c.order_id,
            e.c.type == "fulfillment.ready_for_pickup",
            e.c.data["fulfillment_order_id"].as_integer() == fo.c.id,
        )
        .scalar_subquery()
    )
    due = (
        sa.select(fo.c.org_id, fo.c.order_id, ready_event.label("event_id"))
        .where(
            fo.c.status == "ready_for_pickup",
            fo.c.pickup_expires_at > now,
            fo.c.pickup_expires_at <= now + REMIND_BEFORE,
            fo.c.pickup_expires_at - fo.c.ready_at > REMIND_BEFORE,
        )
        .subquery()
    )
    rows = (
        await conn.execute(
            sa.select(due)
            .where(
                due.c.event_id.is_not(None),
                ~sa.exists().where(
                    n.c.org_id == due.c.org_id,
                    n.c.event_id == due.c.event_id,
                    n.c.kind == NotificationKind.PICKUP_EXPIRING.value,
                ),
            )
            .limit(limit)
        )
    ).all()
    await repository.add_notifications(
        conn,
        [
            {
                "org_id": r.org_id,
                "order_id": r.order_id,
                "event_id": r.event_id,
                "kind": NotificationKind.PICKUP_EXPIRING.value,
            }
            for r in rows
        ],
    )
    return len(rows)
