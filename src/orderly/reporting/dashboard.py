"""The dashboard home page's figures: a handful of aggregate queries over one organization.

What each figure means (on time, order to shipment, return rate, below reorder point; UTC
days) is defined in docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.orders import service as orders

WINDOW_DAYS = 30
ON_TIME_HOURS = 48
BACKLOG_STATUSES = ("on_hold", "backordered", "allocated", "partially_shipped")


@dataclass(frozen=True, slots=True)
class Today:
    orders: int
    shipped: int
    backlog: int
    on_hold: int


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    today: Today
    days: list[date]
    # channel code -> orders per day, aligned with `days`
    orders_by_channel: dict[str, list[int]]
    backlog_by_status: list[tuple[str, int]]
    shipped_in_window: int
    on_time_share: float | None
    hours_to_ship: float | None
    return_rate: float | None  # None: no returns yet
    below_reorder_point: int | None  # None: no reorder points set
    window_days: int = WINDOW_DAYS


# A location-limited user's figures (`:location_ids` set) count only their locations' orders,
# fulfillment orders, returns and reorder points; NULL counts the whole organization.
_ORDER_MINE = f"(CAST(:location_ids AS bigint[]) IS NULL OR {orders.allocated_at('o')})"


def _at_mine(column: str) -> str:
    return (
        f"(CAST(:location_ids AS bigint[]) IS NULL"
        f" OR {column} = ANY(CAST(:location_ids AS bigint[])))"
    )


_TODAY = sa.text(
    f"""
    SELECT
      (SELECT count(*) FROM orders o
        WHERE o.org_id = :org_id AND o.created_at >= :today AND {_ORDER_MINE}) AS orders,
      (SELECT count(*) FROM fulfillment_orders f
        WHERE f.org_id = :org_id AND f.shipped_at >= :today
          AND {_at_mine("f.location_id")}) AS shipped,
      (SELECT count(*) FROM orders o
        WHERE o.org_id = :org_id AND o.status = ANY(:backlog) AND {_ORDER_MINE}) AS backlog,
      (SELECT count(*) FROM orders o
        WHERE o.org_id = :org_id AND o.status = 'on_hold' AND {_ORDER_MINE}) AS on_hold,
      to_regclass('returns') IS NOT NULL AS has_returns,
      to_regclass('replenishment_rules') IS NOT NULL AS has_rules
    """  # noqa: S608
)

_PER_DAY = sa.text(
    f"""
    SELECT CAST(o.created_at AT TIME ZONE 'UTC' AS date) AS day, c.code AS channel,
           count(*) AS orders
      FROM orders o JOIN channels c ON c.id = o.channel_id
     WHERE o.org_id = :org_id AND o.created_at >= :since AND {_ORDER_MINE}
     GROUP BY 1, 2
    """  # noqa: S608
)

_BACKLOG = sa.text(
    f"""
    SELECT o.status, count(*) AS orders FROM orders o
     WHERE o.org_id = :org_id AND o.status = ANY(:backlog) AND {_ORDER_MINE}
     GROUP BY o.status
    """  # noqa: S608
)

_SHIPPING = sa.text(
    f"""
    SELECT count(*) AS shipped,
           count(*) FILTER (WHERE f.shipped_at - o.created_at <= make_interval(hours => :hours))
             AS on_time,
           avg(EXTRACT(EPOCH FROM f.shipped_at - o.created_at)) / 3600 AS hours_to_ship,
           count(DISTINCT f.order_id) AS orders_shipped
      FROM fulfillment_orders f JOIN orders o ON o.id = f.order_id
     WHERE f.org_id = :org_id AND f.shipped_at >= :since AND {_at_mine("f.location_id")}
    """  # noqa: S608
)

_RETURNS = sa.text(
    f"""
    SELECT count(*) FROM returns r
     WHERE r.org_id = :org_id AND r.created_at >= :since AND {_at_mine("r.location_id")}
    """  # noqa: S608
)

_BELOW_REORDER = sa.text(
    f"""
    SELECT count(*) AS rules,
           count(*) FILTER (
             WHERE coalesce(s.on_hand - s.reserved - s.safety_stock, 0) < r.reorder_point)
             AS below
      FROM replenishment_rules r
      LEFT JOIN stock_levels s
        ON s.org_id = r.org_id AND s.sku_id = r.sku_id AND s.location_id = r.location_id
     WHERE r.org_id = :org_id AND {_at_mine("r.location_id")}
    """  # noqa: S608
)


async def dashboard_figures(
    conn: AsyncConnection,
    org_id: int,
    *,
    now: datetime,
    location_ids: Sequence[int] | None = None,
) -> DashboardFigures:
    """The organization's figures, or those of `location_ids` only when given."""
    today_start = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    first_day = now.date() - timedelta(days=WINDOW_DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
    params = {
        "org_id": org_id,
        "today": today_start,
        "since": since,
        "backlog": list(BACKLOG_STATUSES),
        "hours": ON_TIME_HOURS,
        "location_ids": None if location_ids is None else list(location_ids),
    }
    head = (await conn.execute(_TODAY, params)).one()
    days = [first_day + timedelta(days=n) for n in range(WINDOW_DAYS)]
    index = {day: n for n, day in enumerate(days)}
    by_channel: dict[str, list[int]] = {}
    for row in await conn.execute(_PER_DAY, params):
        series = by_channel.setdefault(row.channel, [0] * WINDOW_DAYS)
        if row.day in index:
            series[index[row.day]] = row.orders
    backlog = {row.status: row.orders for row in await conn.execute(_BACKLOG, params)}
    shipping = (await conn.execute(_SHIPPING, params)).one()
    return_rate = None
    if head.has_returns:
        opened = (await conn.execute(_RETURNS, params)).scalar_one()
        if opened:
            return_rate = opened / shipping.orders_shipped if shipping.orders_shipped else None
    below = None
    if head.has_rules:
        rules = (await conn.execute(_BELOW_REORDER, params)).one()
        below = rules.below if rules.rules else None
    return DashboardFigures(
        today=Today(
            orders=head.orders, shipped=head.shipped, backlog=head.backlog, on_hold=head.on_hold
        ),
        days=days,
        orders_by_channel=dict(sorted(by_channel.items())),
        backlog_by_status=[(status, backlog.get(status, 0)) for status in BACKLOG_STATUSES],
        shipped_in_window=shipping.shipped,
        on_time_share=(shipping.on_time / shipping.shipped) if shipping.shipped else None,
        hours_to_ship=float(shipping.hours_to_ship) if shipping.hours_to_ship else None,
        return_rate=return_rate,
        below_reorder_point=below,
    )
