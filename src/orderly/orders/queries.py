"""Reading orders: one order with everything on it, lists with filters, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import fetch_all, int_array
from orderly.orders.models import (
    orders,
)

_ORDER = sa.text(
    """
    SELECT o.*, c.code AS channel_code, cu.name AS customer_name, cu.phone AS customer_phone,
           pl.code AS pickup_code,
           (SELECT coalesce(json_agg(json_build_object(
                       'line_no', ol.line_no, 'sku', s.code, 'sku_id', ol.sku_id,
                       'quantity', ol.quantity, 'unit_price_minor', ol.unit_price_minor,
                       'discount_minor', ol.discount_minor, 'tax_minor', ol.tax_minor,
                       'total_minor', ol.total_minor,
                       'cancelled_quantity', ol.cancelled_quantity) ORDER BY ol.line_no), '[]')
              FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
             WHERE ol.order_id = o.id) AS lines,
           (SELECT coalesce(json_agg(json_build_object(
                       'line_no', a.line_no, 'sku_id', a.sku_id, 'location_id', a.location_id,
                       'location', l.code, 'quantity', a.quantity, 'status', a.status)
                       ORDER BY a.id), '[]')
              FROM order_allocations a JOIN locations l ON l.id = a.location_id
             WHERE a.order_id = o.id) AS allocations,
           (SELECT coalesce(json_agg(to_jsonb(p) ORDER BY p.position), '[]')
              FROM order_payments p
             WHERE p.order_id = o.id) AS payments
      FROM orders o
      JOIN channels c ON c.id = o.channel_id
      LEFT JOIN customers cu ON cu.id = o.customer_id
      LEFT JOIN locations pl ON pl.id = o.pickup_location_id
     WHERE o.org_id = :org_id AND o.id = :order_id
    """
)


async def order_row(
    conn: AsyncConnection, org_id: int, order_id: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    if for_update:
        locked = await conn.execute(
            sa.select(orders.c.id)
            .where(orders.c.org_id == org_id, orders.c.id == order_id)
            .with_for_update()
        )
        if locked.first() is None:
            return None
    row = (await conn.execute(_ORDER, {"org_id": org_id, "order_id": order_id})).first()
    return dict(row._mapping) if row else None


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: str | None = None
    channel: str | None = None
    location: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    customer_email: str | None = None
    sku: str | None = None
    tag: str | None = None
    # Free text: part of the number, e-mail or customer name, or an exact SKU or external id.
    search: str | None = None
    # Only orders with units allocated at one of these locations (a location-limited user).
    location_ids: tuple[int, ...] | None = None


def allocated_at(order: str, location_ids: str = ":location_ids") -> str:
    """The condition that an order has units allocated at one of some locations: what a user
    limited to those locations sees of orders, in lists and figures alike. `order` is the
    alias of the orders table, `location_ids` the placeholder of a bigint array."""
    return f"""EXISTS (SELECT 1 FROM order_allocations a
                        WHERE a.order_id = {order}.id AND a.org_id = {order}.org_id
                          AND a.location_id = ANY(CAST({location_ids} AS bigint[])))"""  # noqa: S608


# An order list is one statement on the driver connection, built from fixed fragments (the
# values travel as parameters): SQLAlchemy would build, compile and map it again on every
# request, about as long as PostgreSQL takes to answer. Each filter is one condition on `o`.
_LIST = """
    SELECT o.id, o.number, c.code AS channel, o.external_id, o.status, o.hold_reasons,
           o.currency, o.customer_email, o.total_minor, o.created_at
      FROM orders o JOIN channels c ON c.id = o.channel_id
     WHERE {conditions}
     ORDER BY o.id DESC
     LIMIT %(limit)s
"""

_CONDITIONS = {
    "after_id": "o.id < %(after_id)s",
    "status": "o.status = %(status)s",
    # The channel's id as a value, so the planner reads (status, channel) from one index.
    "channel": "o.channel_id = (SELECT id FROM channels"
    " WHERE org_id = %(org_id)s AND code = %(channel)s)",
    "customer_email": "o.customer_email = %(customer_email)s",
    "created_from": "o.created_at >= %(created_from)s",
    "created_to": "o.created_at < %(created_to)s",
    "tag": "%(tag)s = ANY(o.tags)",
    "search": """(o.number ILIKE %(search_like)s OR o.customer_email ILIKE %(search_like)s
                  OR o.external_id = %(search)s
                  OR EXISTS (SELECT 1 FROM customers cu
                              WHERE cu.id = o.customer_id AND cu.org_id = %(org_id)s
                                AND cu.name ILIKE %(search_like)s)
                  OR EXISTS (SELECT 1 FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
                              WHERE ol.order_id = o.id AND ol.org_id = %(org_id)s
                                AND s.org_id = %(org_id)s AND s.code = %(search)s))""",
    "location_ids": allocated_at("o", "%(location_ids)s"),
    "location": """EXISTS (SELECT 1 FROM order_allocations a
                            WHERE a.order_id = o.id AND a.org_id = %(org_id)s
                              AND a.location_id = (SELECT id FROM locations
                                                    WHERE org_id = %(org_id)s
                                                      AND code = %(location)s))""",
    "sku": """EXISTS (SELECT 1 FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
                       WHERE ol.order_id = o.id AND ol.org_id = %(org_id)s
                         AND s.org_id = %(org_id)s AND s.code = %(sku)s)""",
}

# With one of these filters a list holds fewer orders than a location has: it reads them from
# their own index and asks each one whether it has units at the location (`location` above).
# Without, it walks the location's allocations (below).
_NARROWER_THAN_A_LOCATION = frozenset({"customer_email", "sku"})

# A list filtered by location walks that location's allocations newest first, a window at a
# time, and reads the orders of each window from the index the other filters pick (one
# `id = ANY(...)` over it). Each allocation carries its order's status and channel
# (migration 0014), so with those filters the walk reads only the allocations of matching
# orders, from ix_order_allocations_org_location_status_channel: a list with few or no
# matches among a location's many orders costs no more than a full one. The other filters
# are checked on the orders of each window. The windows grow, so a list that fills fast reads
# little, and a location with a million allocations is never read in one piece. A window asks
# for one allocation more than its size: when that one comes back, older allocations remain
# and the next window starts below its order (which this window reads, whatever edge its
# allocations straddle). The orders' own conditions are checked again on the orders.
_FIRST_WINDOW = 2_000
_WINDOW_GROWTH = 8
_LARGEST_WINDOW = 64_000
# When the walk knows every filter of the list, its allocations are the list's orders (an
# order with several allocations at the location comes more than once): twice the page is
# then a first window that fills it, without reading thousands of entries to show fifty.
_KNOWN_TO_THE_WALK = frozenset({"org_id", "location", "status", "channel", "after_id"})
_AT_LOCATION = """
    WITH allocated AS MATERIALIZED (
        SELECT ARRAY(SELECT a.order_id FROM order_allocations a
                      WHERE a.org_id = %(org_id)s
                        AND a.location_id = (SELECT id FROM locations
                                              WHERE org_id = %(org_id)s AND code = %(location)s)
                        {walk}
                      ORDER BY a.order_id DESC
                      LIMIT %(window)s + 1) AS ids
    ),
    w AS (
        SELECT ids, CASE WHEN cardinality(ids) > %(window)s THEN ids[%(window)s + 1] END
                    AS rest_below
          FROM allocated
    )
    SELECT w.rest_below, page.*
      FROM w LEFT JOIN LATERAL ({page}) AS page ON true
     ORDER BY page.id DESC
"""
# The conditions of the walk, from the filters its allocations know.
_WALK_CONDITIONS = {
    "status": "AND a.order_status = %(status)s",
    "channel": "AND a.channel_id = (SELECT id FROM channels"
    " WHERE org_id = %(org_id)s AND code = %(channel)s)",
}


async def list_orders(
    conn: AsyncConnection, org_id: int, filters: OrderFilters, *, limit: int, after_id: int | None
) -> list[Any]:
    """Summary rows (id, number, channel, external_id, status, hold_reasons, currency,
    customer_email, total_minor, created_at), newest first."""
    params = _filter_params(org_id, filters, after_id)
    walk = "location" in params and not _NARROWER_THAN_A_LOCATION & params.keys()
    conditions = [
        "o.org_id = %(org_id)s",
        *(
            _CONDITIONS[name]
            for name in params
            if name in _CONDITIONS and not (walk and name == "location")
        ),
    ]
    if walk:
        return await _list_at_location(conn, conditions, params, limit=limit)
    sql = _LIST.format(conditions=" AND ".join(conditions))
    return await fetch_all(conn, sql, {**params, "limit": limit})


def _filter_params(org_id: int, filters: OrderFilters, after_id: int | None) -> dict[str, Any]:
    """The parameters of the filters in use; their names pick the conditions."""
    given: dict[str, Any] = {
        "after_id": after_id,
        "status": filters.status or None,
        "channel": filters.channel or None,
        "location": filters.location or None,
        "customer_email": filters.customer_email.strip() if filters.customer_email else None,
        "created_from": filters.created_from,
        "created_to": filters.created_to,
        "tag": filters.tag or None,
        "sku": filters.sku or None,
    }
    params = {"org_id": org_id, **{k: v for k, v in given.items() if v is not None}}
    term = filters.search.strip() if filters.search else ""
    if term:
        params["search"] = term
        params["search_like"] = (
            "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if filters.location_ids is not None:
        params["location_ids"] = int_array(filters.location_ids)
    return params


async def _list_at_location(
    conn: AsyncConnection, conditions: list[str], params: dict[str, Any], *, limit: int
) -> list[Any]:
    page = _LIST.format(conditions=" AND ".join([*conditions, "o.id = ANY(w.ids)"]))
    walk = [_WALK_CONDITIONS[name] for name in params if name in _WALK_CONDITIONS]
    found: list[Any] = []
    before = params.get("after_id")
    window = min(2 * limit, _FIRST_WINDOW) if params.keys() <= _KNOWN_TO_THE_WALK else _FIRST_WINDOW
    while True:
        if before is not None:
            walk_sql = " ".join([*walk, "AND a.order_id < %(before)s"])
        else:
            walk_sql = " ".join(walk)
        rows = await fetch_all(
            conn,
            _AT_LOCATION.format(page=page, walk=walk_sql),
            {**params, "before": before, "window": window, "limit": limit - len(found)},
        )
        found.extend(row for row in rows if row.id is not None)
        before = rows[0].rest_below
        if len(found) >= limit or before is None:
            return found
        window = min(window * _WINDOW_GROWTH, _LARGEST_WINDOW)


# Returns read what left the building: units per line from `shipped` allocations, and when
# the order last shipped or was delivered (the start of its return window); an order handed
# over at a store's counter has no fulfillment order, and left the building when it was made.
_SHIPPED = sa.text(
    """
    SELECT (SELECT coalesce(json_object_agg(x.line_no, x.units), '{}')
              FROM (SELECT a.line_no, sum(a.quantity) AS units
                      FROM order_allocations a
                     WHERE a.org_id = :org_id AND a.order_id = :order_id
                       AND a.status = 'shipped'
                     GROUP BY a.line_no) x) AS units,
           coalesce((SELECT max(greatest(fo.shipped_at, fo.delivered_at))
                       FROM fulfillment_orders fo
                      WHERE fo.org_id = :org_id AND fo.order_id = :order_id),
                    (SELECT o.created_at FROM orders o
                      WHERE o.org_id = :org_id AND o.id = :order_id
                        AND 'counter' = ANY(o.tags) AND o.status = 'delivered'))
               AS last_shipped_at
    """
)


@dataclass(frozen=True, slots=True)
class ShippedUnits:
    by_line: dict[int, int]
    last_shipped_at: datetime | None


async def shipped_units(conn: AsyncConnection, org_id: int, order_id: int) -> ShippedUnits:
    row = (await conn.execute(_SHIPPED, {"org_id": org_id, "order_id": order_id})).one()
    return ShippedUnits(
        by_line={int(k): int(v) for k, v in row.units.items()},
        last_shipped_at=row.last_shipped_at,
    )


async def order_id_by_number(conn: AsyncConnection, org_id: int, number: str) -> int | None:
    found: int | None = (
        await conn.execute(
            sa.select(orders.c.id).where(orders.c.org_id == org_id, orders.c.number == number)
        )
    ).scalar_one_or_none()
    return found
