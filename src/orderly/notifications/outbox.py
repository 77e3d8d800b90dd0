"""The event outbox: every committed order timeline event becomes the customer messages and
webhook deliveries it calls for, at least once, whatever dies on the way; a late commit is still
dispatched, so events may arrive out of order: docs/notifications.md, "How events become messages".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.notifications import repository
from orderly.notifications.domain import (
    NotificationKind,
    kind_of_event,
    subscribed,
    webhook_payload,
)

GRACE = timedelta(seconds=5)
BATCH = 1000


async def dispatch_events(
    conn: AsyncConnection, *, batch: int = BATCH, grace: timedelta = GRACE
) -> int:
    """One run of the dispatcher. Returns how many events it dispatched (0 when another
    dispatcher is running)."""
    cursor = await repository.lock_cursor(conn)
    if cursor is None:
        return 0
    gaps: list[int] = list(cursor["gaps"])
    horizon_id: int | None = cursor["horizon_id"]
    settled = horizon_id is not None and await repository.horizon_passed(
        conn, cursor["horizon_snapshot"], cursor["horizon_at"], grace
    )
    # Read after the horizon check, so that every commit it vouches for is visible here.
    late = await repository.events_by_id(conn, gaps) if gaps else []
    fresh = await repository.events_after(conn, cursor["head_id"], batch)
    await dispatch(conn, late + fresh)

    appeared = {e["id"] for e in late}
    gaps = [g for g in gaps if g not in appeared]
    if settled:
        assert horizon_id is not None
        gaps = [g for g in gaps if g > horizon_id]
        horizon_id = None
    head: int = cursor["head_id"]
    for e in fresh:
        gaps.extend(range(head + 1, e["id"]))
        head = e["id"]
    values: dict[str, Any] = {"head_id": head, "gaps": gaps}
    if not gaps:
        values.update(horizon_id=None, horizon_snapshot=None, horizon_at=None)
    elif horizon_id is None:
        snapshot, seen_at = await repository.current_snapshot(conn)
        values.update(horizon_id=head, horizon_snapshot=snapshot, horizon_at=seen_at)
    await repository.save_cursor(conn, **values)
    return len(late) + len(fresh)


async def dispatch(conn: AsyncConnection, events: list[dict[str, Any]]) -> None:
    """Queue the messages and webhook deliveries of these events (idempotent)."""
    if not events:
        return
    subscriptions = await repository.subscriptions_of(conn, sorted({e["org_id"] for e in events}))
    by_org: dict[int, list[dict[str, Any]]] = {}
    for s in subscriptions:
        by_org.setdefault(s["org_id"], []).append(s)
    deliveries: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for e in events:
        for s in by_org.get(e["org_id"], []):
            if subscribed(s["event_types"], e["type"]):
                deliveries.append(
                    {
                        "org_id": e["org_id"],
                        "subscription_id": s["id"],
                        "event_id": e["id"],
                        "event_type": e["type"],
                        "payload": webhook_payload(e),
                    }
                )
        kind = kind_of_event(e["type"])
        if kind is not None:
            messages.append(queued_message(e, kind))
    await repository.add_deliveries(conn, deliveries)
    await repository.add_notifications(conn, messages)


def queued_message(event: dict[str, Any], kind: NotificationKind) -> dict[str, Any]:
    return {
        "org_id": event["org_id"],
        "order_id": event["order_id"],
        "event_id": event["id"],
        "kind": kind.value,
    }
