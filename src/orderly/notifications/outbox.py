"""The event outbox: every order timeline event, once committed, becomes the customer messages
and webhook deliveries it calls for, at least once, whatever dies on the way.

The timeline (``order_events``) is the outbox. It is written in the same transaction as every
order change, so an event exists exactly when its change committed, and order capture does no
extra work for notifications. A dispatcher (one at a time: it locks the cursor row) reads
events past its cursor in id order and inserts, for each, the queued messages and webhook
deliveries it calls for; both tables have a unique key on the event, so dispatching an event
twice adds nothing.

Ids are drawn when a row is inserted but become visible when its transaction commits, so a
later id can be seen before an earlier one. The cursor therefore keeps the ids it passed
without seeing them (`gaps`) and looks for them again on every run: a late commit is
dispatched when it appears. A gap is dropped only when it cannot appear any more: every
transaction running when it was recorded has ended (compared with PostgreSQL's snapshot
horizon, ``pg_snapshot_xmin`` of now against ``pg_snapshot_xmax`` of then) and a grace of a
few seconds has passed (for a writer that drew the id but had no transaction id yet). Then the
id belongs to a transaction that rolled back. Nothing committed is ever skipped, and a run
reads only new events plus the handful of open gaps.

Events may thus be dispatched out of id order (a late commit comes after later ids): webhook
receivers must not rely on order, and use ``Orderly-Event-Id`` to drop duplicates.
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
