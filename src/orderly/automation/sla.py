"""SLA watch: orders not shipped by their promise date are flagged once, with an `order.late`
event on their timeline, and counted per location for the reports.

The promise is the order's ship-by time when it has one (a marketplace's deadline), else the
end of the requested delivery date (UTC) when the customer asked for one, else
`ship_within_days` (a channel setting, default 2) after the order was placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation.domain import DEFAULT_SHIP_WITHIN_DAYS
from orderly.automation.errors import UnsupportedGrouping
from orderly.automation.schemas import (
    LateShipmentChannel,
    LateShipmentGroup,
    LateShipmentsOut,
)
from orderly.orders import service as orders
from orderly.orders import timeline as order_timeline

SYSTEM_ACTOR = "automation"

# Unshipped orders past their promise, not flagged before. The insert is the once-only guard:
# an order already flagged (by this run's twin in another worker too) is skipped.
_FLAG = sa.text(
    """
    WITH due AS (
        SELECT o.id,
               CASE WHEN o.ship_by IS NOT NULL THEN o.ship_by
                    WHEN o.requested_delivery_date IS NOT NULL
                    THEN CAST(o.requested_delivery_date + 1 AS timestamp) AT TIME ZONE 'UTC'
                    ELSE o.created_at + make_interval(days => CASE
                         WHEN c.settings ->> 'ship_within_days' ~ '^[0-9]{1,4}$'
                         THEN CAST(c.settings ->> 'ship_within_days' AS int)
                         ELSE :default_days END)
               END AS promised_by
          FROM orders o JOIN channels c ON c.id = o.channel_id
         WHERE o.org_id = :org_id
           AND o.status IN ('allocated', 'on_hold', 'backordered', 'partially_shipped')
           AND NOT EXISTS (SELECT 1 FROM late_orders lo
                            WHERE lo.org_id = o.org_id AND lo.order_id = o.id)
    )
    INSERT INTO late_orders (org_id, order_id, promised_by, location_ids)
    SELECT :org_id, d.id, d.promised_by,
           coalesce((SELECT array_agg(DISTINCT a.location_id ORDER BY a.location_id)
                       FROM order_allocations a
                      WHERE a.org_id = :org_id AND a.order_id = d.id
                        AND a.status = 'reserved'), '{}')
      FROM due d
     WHERE d.promised_by < :now
     ORDER BY d.id
    ON CONFLICT (org_id, order_id) DO NOTHING
    RETURNING order_id, promised_by
    """
)


async def flag_late_orders(conn: AsyncConnection, org_id: int, now: datetime) -> list[int]:
    """Flag the organization's orders that are late at `now`; returns those newly flagged."""
    rows = list(
        await conn.execute(
            _FLAG, {"org_id": org_id, "now": now, "default_days": DEFAULT_SHIP_WITHIN_DAYS}
        )
    )
    for row in sorted(rows, key=lambda r: r.order_id):
        await order_timeline.append_events(
            conn,
            org_id,
            row.order_id,
            [("order.late", {"promised_by": row.promised_by.isoformat()})],
            SYSTEM_ACTOR,
        )
    await warn_before_ship_by(conn, org_id, now)
    return sorted(row.order_id for row in rows)


# A marketplace's deadline is warned of this long before it passes (`ship_by_warning_hours`, a
# channel setting), once per order: `order.ship_by_soon` on its timeline.
DEFAULT_WARNING_HOURS = 12

_DUE_SOON = sa.text(
    """
    SELECT o.id, o.ship_by
      FROM orders o JOIN channels c ON c.id = o.channel_id
     WHERE o.org_id = :org_id
       AND o.status IN ('allocated', 'on_hold', 'backordered', 'partially_shipped')
       AND o.ship_by IS NOT NULL AND o.ship_by >= :now
       AND o.ship_by < :now + make_interval(hours => CASE
               WHEN c.settings ->> 'ship_by_warning_hours' ~ '^[0-9]{1,4}$'
               THEN CAST(c.settings ->> 'ship_by_warning_hours' AS int)
               ELSE :default_hours END)
       AND NOT EXISTS (SELECT 1 FROM order_events e
                        WHERE e.org_id = o.org_id AND e.order_id = o.id
                          AND e.type = 'order.ship_by_soon')
     ORDER BY o.id
       FOR UPDATE OF o SKIP LOCKED
    """
)


async def warn_before_ship_by(conn: AsyncConnection, org_id: int, now: datetime) -> list[int]:
    """Orders whose marketplace deadline comes within the warning window and are not shipped:
    flagged once, before they are late. Returns those newly warned."""
    rows = list(
        await conn.execute(
            _DUE_SOON, {"org_id": org_id, "now": now, "default_hours": DEFAULT_WARNING_HOURS}
        )
    )
    for row in rows:
        await order_timeline.append_events(
            conn,
            org_id,
            row.id,
            [("order.ship_by_soon", {"ship_by": row.ship_by.isoformat()})],
            SYSTEM_ACTOR,
        )
    return [row.id for row in rows]


_BY_LOCATION = sa.text(
    """
    SELECT l.code AS location, count(DISTINCT lo.order_id) AS late_orders
      FROM late_orders lo
      LEFT JOIN LATERAL unnest(lo.location_ids) AS u(location_id) ON true
      LEFT JOIN locations l ON l.id = u.location_id AND l.org_id = lo.org_id
     WHERE lo.org_id = :org_id
       AND (CAST(:since AS timestamptz) IS NULL OR lo.created_at >= :since)
       AND (CAST(:until AS timestamptz) IS NULL OR lo.created_at < :until)
       AND (CAST(:location_ids AS bigint[]) IS NULL
            OR u.location_id = ANY(CAST(:location_ids AS bigint[])))
     GROUP BY l.code
     ORDER BY late_orders DESC, l.code NULLS LAST
    """
)

# By the channel the order came from: the one view of a seller on several marketplaces.
_BY_CHANNEL = sa.text(
    """
    SELECT c.code AS channel, count(*) AS late_orders
      FROM late_orders lo
      JOIN orders o ON o.id = lo.order_id AND o.org_id = lo.org_id
      JOIN channels c ON c.id = o.channel_id
     WHERE lo.org_id = :org_id
       AND (CAST(:since AS timestamptz) IS NULL OR lo.created_at >= :since)
       AND (CAST(:until AS timestamptz) IS NULL OR lo.created_at < :until)
       AND (CAST(:location_ids AS bigint[]) IS NULL
            OR lo.location_ids && CAST(:location_ids AS bigint[]))
     GROUP BY c.code
     ORDER BY late_orders DESC, c.code
    """
)

_TOTAL = sa.text(
    """
    SELECT count(*) FROM late_orders lo
     WHERE lo.org_id = :org_id
       AND (CAST(:since AS timestamptz) IS NULL OR lo.created_at >= :since)
       AND (CAST(:until AS timestamptz) IS NULL OR lo.created_at < :until)
       AND (CAST(:location_ids AS bigint[]) IS NULL
            OR lo.location_ids && CAST(:location_ids AS bigint[]))
    """
)


async def late_shipments(
    conn: AsyncConnection,
    org_id: int,
    *,
    group_by: str,
    since: datetime | None,
    until: datetime | None,
    location_ids: Sequence[int] | None = None,
) -> LateShipmentsOut:
    """Late orders per location holding their unshipped units when flagged (an order split
    over two locations counts at both, so `total`, distinct orders, can be below the sum), or
    per channel the orders came from. With `location_ids`, only those locations count."""
    if group_by not in ("location", "channel"):
        raise UnsupportedGrouping("late shipments group by location or channel", field="group_by")
    params: dict[str, Any] = {
        "org_id": org_id,
        "since": since,
        "until": until,
        "location_ids": None if location_ids is None else list(location_ids),
    }
    total = (await conn.execute(_TOTAL, params)).scalar_one()
    if group_by == "channel":
        rows = await conn.execute(_BY_CHANNEL, params)
        by_channel = [
            LateShipmentChannel(channel=r.channel, late_orders=r.late_orders) for r in rows
        ]
        return LateShipmentsOut(group_by=group_by, total=total, items=by_channel)
    rows = await conn.execute(_BY_LOCATION, params)
    items = [LateShipmentGroup(location=r.location, late_orders=r.late_orders) for r in rows]
    return LateShipmentsOut(group_by=group_by, total=total, items=items)


@dataclass(frozen=True, slots=True)
class LateOrder:
    order_id: int
    number: str
    status: str
    promised_by: datetime
    flagged_at: datetime
    locations: list[str]


# Flagged orders that are still not shipped, most overdue first, with their locations' codes.
_STILL_LATE = sa.text(
    f"""
    SELECT o.id AS order_id, o.number, o.status, lo.promised_by, lo.created_at AS flagged_at,
           coalesce((SELECT array_agg(l.code ORDER BY l.code) FROM locations l
                      WHERE l.org_id = lo.org_id AND l.id = ANY(lo.location_ids)), '{{}}')
             AS locations
      FROM late_orders lo JOIN orders o ON o.id = lo.order_id AND o.org_id = lo.org_id
     WHERE lo.org_id = :org_id
       AND o.status IN ('allocated', 'on_hold', 'backordered', 'partially_shipped')
       AND (CAST(:location_ids AS bigint[]) IS NULL OR {orders.allocated_at("o")})
     ORDER BY lo.promised_by, o.id
     LIMIT :limit
    """  # noqa: S608
)


async def still_late(
    conn: AsyncConnection, org_id: int, *, limit: int, location_ids: Sequence[int] | None = None
) -> list[LateOrder]:
    """The orders the watch flagged that have still not shipped (the dashboard's list), with
    units at `location_ids` when given."""
    params = {
        "org_id": org_id,
        "limit": limit,
        "location_ids": None if location_ids is None else list(location_ids),
    }
    rows = await conn.execute(_STILL_LATE, params)
    return [
        LateOrder(
            order_id=r.order_id,
            number=r.number,
            status=r.status,
            promised_by=r.promised_by,
            flagged_at=r.flagged_at,
            locations=list(r.locations),
        )
        for r in rows
    ]
