"""Queries of notifications and webhooks. Every tenant query is scoped by org_id."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.notifications.domain import DeliveryStatus, NotificationStatus
from orderly.notifications.models import (
    event_outbox_cursor,
    notification_templates,
    notifications,
    webhook_deliveries,
    webhook_subscriptions,
)
from orderly.orders.models import order_events

Row = dict[str, Any]


def row_dict(row: Any) -> Row:
    return dict(row._mapping)


# The outbox ---------------------------------------------------------------------------------

OUTBOX = "order_events"


async def lock_cursor(conn: AsyncConnection) -> Row | None:
    """The outbox's cursor, locked; None while another dispatcher holds it."""
    await conn.execute(insert(event_outbox_cursor).values(name=OUTBOX).on_conflict_do_nothing())
    row = (
        await conn.execute(
            sa.select(event_outbox_cursor)
            .where(event_outbox_cursor.c.name == OUTBOX)
            .with_for_update(skip_locked=True)
        )
    ).first()
    return row_dict(row) if row else None


async def horizon_passed(
    conn: AsyncConnection, snapshot: str, seen_at: datetime, grace: timedelta
) -> bool:
    """Every transaction that was running at `snapshot` has ended, and `grace` has passed
    (for a writer that drew an event id but had no transaction id yet when it was taken)."""
    passed = await conn.scalar(
        sa.text(
            "SELECT pg_snapshot_xmin(pg_current_snapshot()) "
            "  >= pg_snapshot_xmax(CAST(:snapshot AS pg_snapshot)) "
            "AND clock_timestamp() - :seen_at >= :grace"
        ),
        {"snapshot": snapshot, "seen_at": seen_at, "grace": grace},
    )
    return bool(passed)


async def current_snapshot(conn: AsyncConnection) -> tuple[str, datetime]:
    row = (
        await conn.execute(sa.text("SELECT CAST(pg_current_snapshot() AS text), clock_timestamp()"))
    ).one()
    return str(row[0]), row[1]


_EVENT_COLUMNS = (
    order_events.c.id,
    order_events.c.org_id,
    order_events.c.order_id,
    order_events.c.type,
    order_events.c.data,
    order_events.c.created_at,
)


async def events_after(conn: AsyncConnection, after_id: int, limit: int) -> list[Row]:
    rows = await conn.execute(
        sa.select(*_EVENT_COLUMNS)
        .where(order_events.c.id > after_id)
        .order_by(order_events.c.id)
        .limit(limit)
    )
    return [row_dict(r) for r in rows]


async def events_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Row]:
    rows = await conn.execute(
        sa.select(*_EVENT_COLUMNS).where(order_events.c.id.in_(list(ids))).order_by("id")
    )
    return [row_dict(r) for r in rows]


async def event(conn: AsyncConnection, org_id: int, event_id: int) -> Row | None:
    row = (
        await conn.execute(
            sa.select(*_EVENT_COLUMNS).where(
                order_events.c.org_id == org_id, order_events.c.id == event_id
            )
        )
    ).first()
    return row_dict(row) if row else None


async def save_cursor(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(
        sa.update(event_outbox_cursor)
        .where(event_outbox_cursor.c.name == OUTBOX)
        .values(**values, updated_at=sa.func.now())
    )


async def subscriptions_of(conn: AsyncConnection, org_ids: Sequence[int]) -> list[Row]:
    rows = await conn.execute(
        sa.select(
            webhook_subscriptions.c.id,
            webhook_subscriptions.c.org_id,
            webhook_subscriptions.c.event_types,
        ).where(
            webhook_subscriptions.c.org_id.in_(list(org_ids)),
            webhook_subscriptions.c.active.is_(True),
        )
    )
    return [row_dict(r) for r in rows]


async def add_deliveries(conn: AsyncConnection, rows: list[Row]) -> None:
    if rows:
        await conn.execute(insert(webhook_deliveries).on_conflict_do_nothing(), rows)


async def add_notifications(conn: AsyncConnection, rows: list[Row]) -> None:
    """Queue messages; one already made for the same event and kind (or a second order
    confirmation) is left alone."""
    if rows:
        await conn.execute(insert(notifications).on_conflict_do_nothing(), rows)


# Sending messages ---------------------------------------------------------------------------


async def claim_due_notification(
    conn: AsyncConnection, now: datetime, org_id: int | None, *, skip_orgs: Collection[int] = ()
) -> Row | None:
    """One queued message that is due, of an organization not in `skip_orgs`, locked until this
    transaction ends (another worker skips it; a worker that dies releases it)."""
    query = (
        sa.select(notifications)
        .where(
            notifications.c.status == NotificationStatus.QUEUED.value,
            notifications.c.next_attempt_at <= now,
        )
        .order_by(notifications.c.next_attempt_at, notifications.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if org_id is not None:
        query = query.where(notifications.c.org_id == org_id)
    if skip_orgs:
        query = query.where(notifications.c.org_id.not_in(list(skip_orgs)))
    row = (await conn.execute(query)).first()
    return row_dict(row) if row else None


async def update_queued_notification(
    conn: AsyncConnection, notification_id: int, *, attempts_before: int, **values: Any
) -> None:
    """Update a message only if it is still queued as it was claimed (no other worker has
    handled it since)."""
    await conn.execute(
        sa.update(notifications)
        .where(
            notifications.c.id == notification_id,
            notifications.c.status == NotificationStatus.QUEUED.value,
            notifications.c.attempts == attempts_before,
        )
        .values(**values, updated_at=sa.func.now())
    )


async def update_notification(conn: AsyncConnection, notification_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(notifications)
        .where(notifications.c.id == notification_id)
        .values(**values, updated_at=sa.func.now())
    )


async def notification(conn: AsyncConnection, org_id: int, notification_id: int) -> Row | None:
    row = (
        await conn.execute(
            sa.select(notifications).where(
                notifications.c.org_id == org_id, notifications.c.id == notification_id
            )
        )
    ).first()
    return row_dict(row) if row else None


async def list_notifications(
    conn: AsyncConnection,
    org_id: int,
    *,
    filters: dict[str, Any],
    limit: int,
    before_id: int | None,
) -> list[Row]:
    query = sa.select(notifications).where(notifications.c.org_id == org_id)
    for name, value in filters.items():
        if value is not None:
            query = query.where(notifications.c[name] == value)
    if before_id is not None:
        query = query.where(notifications.c.id < before_id)
    rows = await conn.execute(query.order_by(notifications.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]


# Templates ----------------------------------------------------------------------------------


async def templates_for(
    conn: AsyncConnection, org_id: int, kind: str, channels: list[str]
) -> list[Row]:
    rows = await conn.execute(
        sa.select(notification_templates).where(
            notification_templates.c.org_id == org_id,
            notification_templates.c.kind == kind,
            notification_templates.c.channel.in_(channels),
        )
    )
    return [row_dict(r) for r in rows]


async def save_template(conn: AsyncConnection, values: Row) -> None:
    statement = insert(notification_templates).values(**values)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "kind", "channel"],
            set_={
                "subject": statement.excluded.subject,
                "body_text": statement.excluded.body_text,
                "body_html": statement.excluded.body_html,
                "enabled": statement.excluded.enabled,
                "updated_at": sa.func.now(),
            },
        )
    )


async def delete_template(conn: AsyncConnection, org_id: int, kind: str, channel: str) -> bool:
    result = await conn.execute(
        sa.delete(notification_templates)
        .where(
            notification_templates.c.org_id == org_id,
            notification_templates.c.kind == kind,
            notification_templates.c.channel == channel,
        )
        .returning(notification_templates.c.id)
    )
    return bool(result.all())


# Webhook subscriptions ----------------------------------------------------------------------


async def insert_subscription(conn: AsyncConnection, values: Row) -> Row:
    row = (
        await conn.execute(
            sa.insert(webhook_subscriptions).values(**values).returning(webhook_subscriptions)
        )
    ).one()
    return row_dict(row)


async def subscription(
    conn: AsyncConnection, org_id: int, subscription_id: int, *, for_update: bool = False
) -> Row | None:
    query = sa.select(webhook_subscriptions).where(
        webhook_subscriptions.c.org_id == org_id, webhook_subscriptions.c.id == subscription_id
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return row_dict(row) if row else None


async def list_subscriptions(
    conn: AsyncConnection, org_id: int, *, limit: int, after_id: int | None
) -> list[Row]:
    query = sa.select(webhook_subscriptions).where(webhook_subscriptions.c.org_id == org_id)
    if after_id is not None:
        query = query.where(webhook_subscriptions.c.id > after_id)
    rows = await conn.execute(query.order_by(webhook_subscriptions.c.id).limit(limit))
    return [row_dict(r) for r in rows]


async def update_subscription(
    conn: AsyncConnection, org_id: int, subscription_id: int, values: Row
) -> Row | None:
    row = (
        await conn.execute(
            sa.update(webhook_subscriptions)
            .where(
                webhook_subscriptions.c.org_id == org_id,
                webhook_subscriptions.c.id == subscription_id,
            )
            .values(**values, updated_at=sa.func.now())
            .returning(webhook_subscriptions)
        )
    ).first()
    return row_dict(row) if row else None


async def delete_subscription(conn: AsyncConnection, org_id: int, subscription_id: int) -> bool:
    result = await conn.execute(
        sa.delete(webhook_subscriptions)
        .where(
            webhook_subscriptions.c.org_id == org_id,
            webhook_subscriptions.c.id == subscription_id,
        )
        .returning(webhook_subscriptions.c.id)
    )
    return bool(result.all())


# Webhook deliveries -------------------------------------------------------------------------


async def claim_due_deliveries(
    conn: AsyncConnection, now: datetime, org_id: int | None, limit: int
) -> list[Row]:
    """Due deliveries of active subscriptions, locked until this transaction ends."""
    d, s = webhook_deliveries, webhook_subscriptions
    query = (
        sa.select(d, s.c.url, s.c.secret_sealed, s.c.allowed_networks)
        .join(s, s.c.id == d.c.subscription_id)
        .where(
            d.c.status == DeliveryStatus.PENDING.value,
            d.c.next_attempt_at <= now,
            s.c.active.is_(True),
        )
        .order_by(d.c.next_attempt_at, d.c.id)
        .limit(limit)
        .with_for_update(of=d, skip_locked=True)
    )
    if org_id is not None:
        query = query.where(d.c.org_id == org_id)
    return [row_dict(r) for r in await conn.execute(query)]


async def update_delivery(conn: AsyncConnection, delivery_id: int, **values: Any) -> None:
    await conn.execute(
        sa.update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(**values, updated_at=sa.func.now())
    )


async def delivery(
    conn: AsyncConnection, org_id: int, delivery_id: int, *, for_update: bool = False
) -> Row | None:
    query = sa.select(webhook_deliveries).where(
        webhook_deliveries.c.org_id == org_id, webhook_deliveries.c.id == delivery_id
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return row_dict(row) if row else None


async def list_deliveries(
    conn: AsyncConnection,
    org_id: int,
    *,
    subscription_id: int | None,
    status: str | None,
    limit: int,
    before_id: int | None,
) -> list[Row]:
    d = webhook_deliveries
    query = sa.select(d).where(d.c.org_id == org_id)
    if subscription_id is not None:
        query = query.where(d.c.subscription_id == subscription_id)
    if status is not None:
        query = query.where(d.c.status == status)
    if before_id is not None:
        query = query.where(d.c.id < before_id)
    rows = await conn.execute(query.order_by(d.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]
