"""What must hold in an organization after every step of the lifecycle machine. Each invariant
is one SQL query, scoped by the organization, returning the rows that break it (none when all
is well). A new invariant is one more entry in INVARIANTS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

# Every line's units, in the terms of the line equation
#     ordered = allocated + shipped + cancelled + backordered.
# The only place that knows which columns hold them: a line records its ordered and cancelled
# units (`cancelled_quantity`), its allocations hold the reserved and shipped ones, and the
# rest wait for stock (the project's own view of this is `order_line_quantities`).
LINE_UNITS = """
line_units AS (
    SELECT l.order_id, l.line_no, l.sku_id, o.status AS order_status, o.number,
           l.quantity AS ordered,
           coalesce(a.reserved, 0) AS allocated,
           coalesce(a.shipped, 0) AS shipped,
           l.cancelled_quantity AS cancelled,
           -- units a marketplace shipped from its own stock (Amazon's AFN): never ours to move
           CASE WHEN 'fulfilled_by_marketplace' = ANY(o.tags)
                THEN l.quantity - l.cancelled_quantity ELSE 0 END AS elsewhere,
           l.quantity - l.cancelled_quantity - coalesce(a.reserved, 0) - coalesce(a.shipped, 0)
               - CASE WHEN 'fulfilled_by_marketplace' = ANY(o.tags)
                      THEN l.quantity - l.cancelled_quantity ELSE 0 END
               AS backordered
      FROM order_lines l
      JOIN orders o ON o.org_id = l.org_id AND o.id = l.order_id
      LEFT JOIN (
            SELECT order_id, line_no,
                   sum(quantity) FILTER (WHERE status = 'reserved') AS reserved,
                   sum(quantity) FILTER (WHERE status = 'shipped') AS shipped
              FROM order_allocations
             WHERE org_id = :org_id
             GROUP BY order_id, line_no
      ) a ON a.order_id = l.order_id AND a.line_no = l.line_no
     WHERE l.org_id = :org_id
),
order_units AS (
    SELECT order_id, number, order_status,
           sum(ordered) AS ordered, sum(allocated) AS allocated, sum(shipped) AS shipped,
           sum(cancelled) AS cancelled, sum(backordered) AS backordered,
           sum(elsewhere) AS elsewhere
      FROM line_units
     GROUP BY order_id, number, order_status
)
"""

# Fulfillment orders that still hold units at their location.
OPEN_FULFILLMENT = "('pending', 'accepted', 'picking', 'packed', 'ready_for_pickup')"


@dataclass(frozen=True)
class Invariant:
    name: str
    sql: str


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "the ledger sums to the stock levels, and 0 <= reserved <= on_hand",
        """
        SELECT sl.sku_id, sl.location_id, sl.on_hand, sl.reserved,
               coalesce(sum(l.on_hand_delta), 0) AS ledger_on_hand,
               coalesce(sum(l.reserved_delta), 0) AS ledger_reserved
          FROM stock_levels sl
          LEFT JOIN stock_ledger l ON l.org_id = sl.org_id AND l.sku_id = sl.sku_id
                                  AND l.location_id = sl.location_id
         WHERE sl.org_id = :org_id
         GROUP BY sl.id
        HAVING sl.on_hand <> coalesce(sum(l.on_hand_delta), 0)
            OR sl.reserved <> coalesce(sum(l.reserved_delta), 0)
            OR sl.reserved < 0 OR sl.reserved > sl.on_hand
        """,
    ),
    Invariant(
        "stock reserved at a location is what orders hold there",
        """
        SELECT sl.sku_id, sl.location_id, sl.reserved, coalesce(a.held, 0) AS held_by_orders
          FROM stock_levels sl
          LEFT JOIN (SELECT sku_id, location_id, sum(quantity) AS held
                       FROM order_allocations
                      WHERE org_id = :org_id AND status = 'reserved'
                      GROUP BY sku_id, location_id) a
                 ON a.sku_id = sl.sku_id AND a.location_id = sl.location_id
         WHERE sl.org_id = :org_id AND sl.reserved <> coalesce(a.held, 0)
        """,
    ),
    Invariant(
        "ordered = allocated + shipped + cancelled + backordered + shipped by the marketplace,"
        " each term >= 0, and a marketplace's own units are never ours",
        f"""
        WITH {LINE_UNITS}
        SELECT * FROM line_units
         WHERE ordered <> allocated + shipped + cancelled + backordered + elsewhere
            OR allocated < 0 OR shipped < 0 OR cancelled < 0 OR backordered < 0
            OR (elsewhere > 0 AND allocated + shipped > 0)
        """,
    ),
    Invariant(
        "no shipped unit is cancelled, and a cancelled order holds no stock",
        f"""
        WITH {LINE_UNITS}
        SELECT * FROM order_units
         WHERE order_status = 'cancelled' AND (shipped > 0 OR allocated > 0)
        """,
    ),
    Invariant(
        "the order's status agrees with its lines",
        f"""
        WITH {LINE_UNITS}
        SELECT * FROM order_units
         WHERE (order_status = 'allocated' AND (allocated <> ordered - cancelled OR shipped > 0))
            OR (order_status = 'backordered' AND (backordered = 0 OR shipped > 0))
            OR (order_status = 'partially_shipped'
                AND (shipped = 0 OR shipped = ordered - cancelled))
            OR (order_status IN ('shipped', 'delivered')
                AND shipped + elsewhere <> ordered - cancelled)
            OR (order_status = 'cancelled' AND cancelled + shipped <> ordered)
        """,
    ),
    Invariant(
        "units waiting for stock wait in a status that sources them again",
        f"""
        WITH {LINE_UNITS}
        SELECT * FROM line_units
         WHERE backordered > 0
           AND order_status NOT IN ('backordered', 'on_hold', 'partially_shipped')
        """,
    ),
    Invariant(
        "the order's status agrees with its fulfillment orders",
        f"""
        SELECT o.id, o.number, o.status AS order_status, fo.id AS fo_id, fo.status AS fo_status
          FROM orders o
          JOIN fulfillment_orders fo ON fo.org_id = o.org_id AND fo.order_id = o.id
         WHERE o.org_id = :org_id
           AND ((o.status IN ('cancelled', 'shipped', 'delivered')
                 AND fo.status IN {OPEN_FULFILLMENT})
             OR (o.status = 'delivered' AND fo.status = 'shipped')
             OR (o.status IN ('allocated', 'backordered')
                 AND fo.status IN ('shipped', 'delivered')))
        """,
    ),
    Invariant(
        "every reserved unit of a moving order is in an open fulfillment order there",
        f"""
        WITH held AS (
            SELECT a.order_id, a.line_no, a.location_id, sum(a.quantity) AS units
              FROM order_allocations a
              JOIN orders o ON o.org_id = a.org_id AND o.id = a.order_id
             WHERE a.org_id = :org_id AND a.status = 'reserved'
               AND o.status IN ('allocated', 'partially_shipped')
             GROUP BY 1, 2, 3
        ),
        open_units AS (
            SELECT fo.order_id, fl.line_no, fo.location_id,
                   sum(fl.quantity - fl.rejected - fl.shipped) AS units
              FROM fulfillment_orders fo
              JOIN fulfillment_order_lines fl
                ON fl.org_id = fo.org_id AND fl.fulfillment_order_id = fo.id
              JOIN orders o ON o.org_id = fo.org_id AND o.id = fo.order_id
             WHERE fo.org_id = :org_id AND fo.status IN {OPEN_FULFILLMENT}
               AND o.status IN ('allocated', 'partially_shipped')
             GROUP BY 1, 2, 3
        )
        SELECT coalesce(h.order_id, u.order_id) AS order_id,
               coalesce(h.line_no, u.line_no) AS line_no,
               coalesce(h.location_id, u.location_id) AS location_id,
               h.units AS reserved, u.units AS in_fulfillment
          FROM held h
          FULL JOIN open_units u ON u.order_id = h.order_id AND u.line_no = h.line_no
                                AND u.location_id = h.location_id
         WHERE coalesce(h.units, 0) <> coalesce(u.units, 0)
        """,
    ),
    Invariant(
        "units shipped by fulfillment orders are the order's shipped units",
        f"""
        WITH {LINE_UNITS},
        fulfilled AS (
            SELECT fo.order_id, fl.line_no, sum(fl.shipped) AS units
              FROM fulfillment_orders fo
              JOIN fulfillment_order_lines fl
                ON fl.org_id = fo.org_id AND fl.fulfillment_order_id = fo.id
             WHERE fo.org_id = :org_id
             GROUP BY 1, 2
        )
        SELECT lu.order_id, lu.number, lu.line_no, lu.shipped, f.units AS fulfilled
          FROM line_units lu
          LEFT JOIN fulfilled f ON f.order_id = lu.order_id AND f.line_no = lu.line_no
         WHERE lu.shipped <> coalesce(f.units, 0)
        """,
    ),
    Invariant(
        "refunds never exceed what was paid",
        """
        SELECT o.id, o.number, o.payment_amount_minor, sum(r.amount_minor) AS refunded
          FROM orders o
          JOIN refunds r ON r.org_id = o.org_id AND r.order_id = o.id
         WHERE o.org_id = :org_id
         GROUP BY o.id
        HAVING sum(r.amount_minor) > o.payment_amount_minor
        """,
    ),
    Invariant(
        "a payment that was only authorised is voided, never refunded, when fraud rejects it",
        """
        SELECT o.id, o.number, r.id AS refund_id, r.amount_minor
          FROM orders o
          JOIN refunds r ON r.org_id = o.org_id AND r.order_id = o.id
         WHERE o.org_id = :org_id AND o.id = ANY(CAST(:authorized_orders AS bigint[]))
           AND o.cancel_reason = 'fraud_rejected'
        """,
    ),
    Invariant(
        "store credit balances equal their entries and never go below zero",
        """
        SELECT a.id, a.balance_minor, coalesce(sum(e.delta_minor), 0) AS entries
          FROM store_credit_accounts a
          LEFT JOIN store_credit_ledger e ON e.org_id = a.org_id AND e.account_id = a.id
         WHERE a.org_id = :org_id
         GROUP BY a.id
        HAVING a.balance_minor <> coalesce(sum(e.delta_minor), 0) OR a.balance_minor < 0
        """,
    ),
    Invariant(
        "returned units come back only where returns are taken, and never more than shipped",
        f"""
        WITH {LINE_UNITS}
        SELECT 'returned at ' || loc.code AS problem, l.sku_id, l.on_hand_delta
          FROM stock_ledger l
          JOIN locations loc ON loc.id = l.location_id
         WHERE l.org_id = :org_id AND l.kind = 'returned'
           AND NOT ('returns' = ANY(loc.capabilities))
        UNION ALL
        SELECT 'more received than shipped on ' || lu.number, lu.line_no, lu.shipped
          FROM line_units lu
          JOIN (SELECT r.order_id, rl.line_no,
                       sum(rl.restocked + rl.damaged + rl.disposed) AS received
                  FROM returns r
                  JOIN return_lines rl ON rl.org_id = r.org_id AND rl.return_id = r.id
                 WHERE r.org_id = :org_id
                 GROUP BY 1, 2) rt ON rt.order_id = lu.order_id AND rt.line_no = lu.line_no
         WHERE rt.received > lu.shipped
        """,
    ),
)


async def broken_invariants(
    conn: AsyncConnection, *, org_id: int, authorized_orders: list[int]
) -> list[str]:
    """One message per invariant that does not hold, with (up to five of) the rows that break
    it. The queries travel together, in one round trip."""
    parts = [
        f"(SELECT {n} AS invariant, to_jsonb(q) AS row FROM ({inv.sql}) q LIMIT 5)"
        for n, inv in enumerate(INVARIANTS)
    ]
    params: dict[str, Any] = {"org_id": org_id, "authorized_orders": authorized_orders}
    rows = (await conn.execute(sa.text(" UNION ALL ".join(parts)), params)).all()
    broken: dict[int, list[str]] = {}
    for row in rows:
        broken.setdefault(row.invariant, []).append(str(row.row))
    return [f"{INVARIANTS[n].name}: " + "; ".join(found) for n, found in sorted(broken.items())]
