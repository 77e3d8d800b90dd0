"""Reserving stock for orders, and giving it back. The hot path of order capture.

Guarded, all-or-nothing statements over rows locked in (sku, location) order, so stock is never
oversold: docs/architecture.md, "Stock reservations: locked snapshot, guarded write".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import Query, execute, fetch_all, int_array, text_array
from orderly.sourcing.domain import CandidateLocation


@dataclass(frozen=True, slots=True)
class StockRequest:
    sku_id: int
    location_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class AvailabilitySnapshot:
    candidates: tuple[CandidateLocation, ...]
    available: dict[tuple[int, int], int]


@dataclass(frozen=True, slots=True)
class ReservationResult:
    reserved: bool
    # Fresh availability of every (sku_id, location_id) the attempt looked at.
    available: Mapping[tuple[int, int], int]


_CANDIDATES = """
    SELECT l.id, l.code, l.priority, l.latitude, l.longitude, l.kind, l.capabilities,
           CAST(l.country AS text) AS country, l.ships_to,
           l.address ->> 'postal_code' AS postal_code, l.daily_order_capacity,
           -- orders allocated here since the start of the location's day, for the routing
           -- engine's capacity check; counted only where a capacity is set, on the index
           -- ix_order_allocations_location_day (no counter row to lock on the capture path)
           CASE WHEN l.daily_order_capacity IS NULL THEN 0 ELSE (
               SELECT count(DISTINCT a.order_id) FROM order_allocations a
                WHERE a.org_id = l.org_id AND a.location_id = l.id
                  AND a.created_at >= CAST(date_trunc('day', now() AT TIME ZONE l.timezone)
                                           AS timestamp) AT TIME ZONE l.timezone
                  AND a.status <> 'released') END AS today_load
      FROM locations l
     WHERE l.org_id = %(org_id)s AND l.active
       AND l.kind = ANY(KINDS)
       AND (%(capability)s = ANY(l.capabilities)
            -- a store that ships from store is a shipping location like a warehouse
            OR (%(capability)s = 'ship' AND 'ship_from_store' = ANY(l.capabilities)))
       AND (PICKUP IS NULL OR l.id = PICKUP)
       AND (CAST(%(country)s AS text) IS NULL
            OR %(country)s = ANY(CASE WHEN cardinality(l.ships_to) = 0
                                   THEN ARRAY[CAST(l.country AS text)] ELSE l.ships_to END))
"""

# Locking variant: every stock row the order could use is locked, in (sku, location) order,
# before the plan is made. The plan is then made on numbers nobody can change until commit,
# so the reservation that follows cannot lose a race, and no lock is ever taken out of order
# (a failed attempt that had locked some rows and then locked others could deadlock).
_SNAPSHOT_TEMPLATE = """
    WITH candidates AS MATERIALIZED (CANDIDATES),
    stock AS MATERIALIZED (
        SELECT sl.sku_id, sl.location_id,
               sl.on_hand - sl.reserved - sl.safety_stock AS available
          FROM stock_levels sl
          JOIN candidates c ON c.id = sl.location_id
         WHERE sl.org_id = %(org_id)s AND sl.sku_id = ANY(LOCKED_SKUS)
         ORDER BY sl.sku_id, sl.location_id
         LOCKING
    ),
    -- SKUs in high demand are read, not locked: their rows are locked only by the write
    -- that reserves them (orders.order_write, GUARDED_RESERVATION), for a moment
    unlocked AS (
        SELECT sl.sku_id, sl.location_id,
               sl.on_hand - sl.reserved - sl.safety_stock AS available
          FROM stock_levels sl
          JOIN candidates c ON c.id = sl.location_id
         WHERE sl.org_id = %(org_id)s
           AND sl.sku_id = ANY(UNLOCKED_SKUS)
    )
    SELECT c.*, s.sku_id, s.available
      FROM candidates c
      LEFT JOIN (SELECT * FROM stock UNION ALL SELECT * FROM unlocked) s ON s.location_id = c.id
"""


def _snapshot_sql(*, lock: bool, named: bool) -> str:
    """The snapshot statement, for ids and kinds given as parameters, or (``named``) for an
    order that still names its SKUs, channel and pickup location by code."""
    terms = _NAMED_TERMS if named else _TERMS
    sql = _SNAPSHOT_TEMPLATE.replace("CANDIDATES", _CANDIDATES)
    sql = sql.replace("LOCKING", "FOR UPDATE OF sl" if lock else "")
    for term, expression in terms.items():
        sql = sql.replace(term, expression)
    return sql


_TERMS = {
    "KINDS": "CAST(%(kinds)s AS text[])",
    "PICKUP": "CAST(%(pickup_location_id)s AS bigint)",
    "UNLOCKED_SKUS": "CAST('{}' AS bigint[])",  # by id, every row is locked
    "LOCKED_SKUS": "CAST(%(sku_ids)s AS bigint[])",
}

# Order capture sends the snapshot together with its context query, before it knows the ids:
# the statement looks them up itself, as the context query does (the channel's location kinds,
# or the default ones; the pickup location; the SKUs, those in high demand apart).
# (An array from a subquery is cast, so that ANY reads it as one array, not as rows.)
_NAMED_SKUS = """CAST((SELECT coalesce(array_agg(s.id), '{}') FROM skus s
                        WHERE s.org_id = %(org_id)s
                          AND s.code = ANY(CAST(%(sku_codes)s AS text[])) AND HIGH_DEMAND)
                  AS bigint[])"""
_NAMED_TERMS = {
    "KINDS": """CAST((SELECT CASE WHEN cardinality(c.fulfillment_location_kinds) > 0
                                  THEN c.fulfillment_location_kinds
                                  ELSE CAST(%(default_kinds)s AS text[]) END
                        FROM channels c
                       WHERE c.org_id = %(org_id)s AND c.code = %(channel)s AND c.active)
                 AS text[])""",
    "PICKUP": """(SELECT p.id FROM locations p
                   WHERE p.org_id = %(org_id)s AND p.code = %(pickup_code)s AND p.active)""",
    "UNLOCKED_SKUS": _NAMED_SKUS.replace("HIGH_DEMAND", "s.high_demand"),
    "LOCKED_SKUS": _NAMED_SKUS.replace("HIGH_DEMAND", "NOT s.high_demand"),
}

_SNAPSHOT = {lock: _snapshot_sql(lock=lock, named=False) for lock in (True, False)}
_NAMED_SNAPSHOT = _snapshot_sql(lock=True, named=True)


async def availability_snapshot(
    conn: AsyncConnection,
    *,
    org_id: int,
    sku_ids: Sequence[int],
    location_kinds: Sequence[str],
    capability: str,
    country: str | None,
    pickup_location_id: int | None = None,
    lock: bool = True,
) -> AvailabilitySnapshot:
    """Eligible locations for one order and what each can still promise of its SKUs.

    With ``lock`` (the default, for anything that reserves next) the stock rows stay locked
    until the transaction ends; read-only callers such as a simulation pass ``lock=False``.
    Every row is locked, those of SKUs in high demand too: only capture leaves them to its
    write (`capture_snapshot_query`).
    """
    rows = await fetch_all(
        conn,
        _SNAPSHOT[lock],
        {
            "org_id": org_id,
            "sku_ids": int_array(sku_ids),
            "kinds": text_array(location_kinds),
            "capability": capability,
            "pickup_location_id": pickup_location_id,
            "country": country,
        },
    )
    return snapshot_from(rows)


def capture_snapshot_query(
    *,
    org_id: int,
    sku_codes: Sequence[str],
    channel: str,
    default_kinds: Sequence[str],
    capability: str,
    country: str | None,
    pickup_code: str | None,
) -> Query:
    """`availability_snapshot` (locking) for an order named by codes, to be sent together
    with the capture's context query; `snapshot_from` reads its rows. An unknown channel or
    pickup location gives no candidates; unknown SKUs give no stock (capture refuses both)."""
    return Query(
        _NAMED_SNAPSHOT,
        {
            "org_id": org_id,
            "sku_codes": text_array(sku_codes),
            "channel": channel,
            "default_kinds": text_array(default_kinds),
            "capability": capability,
            "pickup_code": pickup_code,
            "country": country,
        },
    )


def snapshot_from(rows: Iterable[Any]) -> AvailabilitySnapshot:
    """The snapshot in the rows of an availability snapshot statement."""
    candidates: dict[int, CandidateLocation] = {}
    available: dict[tuple[int, int], int] = {}
    for row in rows:
        if row.id not in candidates:
            candidates[row.id] = CandidateLocation(
                row.id,
                row.code,
                row.priority,
                row.latitude,
                row.longitude,
                kind=row.kind,
                capabilities=tuple(row.capabilities),
                country=row.country,
                ships_to=tuple(row.ships_to),
                postal_code=row.postal_code,
                daily_capacity=row.daily_order_capacity,
                today_load=row.today_load,
            )
        if row.sku_id is not None:
            available[(row.sku_id, row.id)] = row.available
    return AvailabilitySnapshot(tuple(candidates.values()), available)


# The guarded reservation, the rule that keeps stock from being oversold, in one place: over a
# CTE `wanted (sku_id, location_id, quantity)` defined before it, it locks the stock rows in
# (sku, location) order, decides (`verdict.ok`) whether every one still has the quantity
# available, and only then raises `reserved` and writes the ledger rows. Order capture composes
# it into its write (orders.order_write). Parameters: org_id, order_id, reference, actor.
GUARDED_RESERVATION = """
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id,
               sl.on_hand - sl.reserved - sl.safety_stock AS available
          FROM stock_levels sl
          JOIN wanted w ON w.sku_id = sl.sku_id AND w.location_id = sl.location_id
         WHERE sl.org_id = %(org_id)s
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    verdict AS (
        SELECT count(l.id) FILTER (WHERE l.available >= w.quantity) = count(*) AS ok
          FROM wanted w
          LEFT JOIN locked l ON l.sku_id = w.sku_id AND l.location_id = w.location_id
    ),
    reserved AS (
        UPDATE stock_levels sl
           SET reserved = sl.reserved + w.quantity, updated_at = now()
          FROM wanted w, verdict v, locked l
         WHERE v.ok AND sl.id = l.id AND l.sku_id = w.sku_id AND l.location_id = w.location_id
        RETURNING sl.sku_id, sl.location_id, w.quantity
    ),
    reservation_ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, reserved_delta, reason,
                                  reference, order_id, actor)
        SELECT %(org_id)s, r.sku_id, r.location_id, 'reserved', r.quantity, 'order',
               %(reference)s, %(order_id)s, %(actor)s
          FROM reserved r
    )
"""

_RESERVE = f"""
    WITH wanted AS (
        SELECT sku_id, location_id, sum(quantity) AS quantity
          FROM unnest(CAST(%(sku_ids)s AS bigint[]), CAST(%(location_ids)s AS bigint[]),
                      CAST(%(quantities)s AS int[])) AS w(sku_id, location_id, quantity)
         GROUP BY sku_id, location_id
    ),
    {GUARDED_RESERVATION}
    SELECT v.ok, l.sku_id, l.location_id, l.available
      FROM verdict v LEFT JOIN locked l ON true
"""  # noqa: S608 (constant SQL only)


async def reserve_stock(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Sequence[StockRequest],
    order_id: int,
    reference: str,
    actor: str,
) -> ReservationResult:
    """Reserve every request or none of them. A refusal returns the fresh availability of the
    rows it looked at, so a caller that reserves without a locked snapshot can re-plan."""
    if not requests:
        return ReservationResult(True, {})
    rows = await fetch_all(
        conn,
        _RESERVE,
        {
            "org_id": org_id,
            "sku_ids": [r.sku_id for r in requests],
            "location_ids": [r.location_id for r in requests],
            "quantities": [r.quantity for r in requests],
            "order_id": order_id,
            "reference": reference,
            "actor": actor,
        },
    )

    available = {
        (row.sku_id, row.location_id): row.available for row in rows if row.sku_id is not None
    }
    return ReservationResult(bool(rows[0].ok), available)


_RELEASE = """
    WITH returned AS (
        SELECT sku_id, location_id, sum(quantity) AS quantity
          FROM unnest(CAST(%(sku_ids)s AS bigint[]), CAST(%(location_ids)s AS bigint[]),
                      CAST(%(quantities)s AS int[])) AS w(sku_id, location_id, quantity)
         GROUP BY sku_id, location_id
    ),
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id
          FROM stock_levels sl
          JOIN returned r ON r.sku_id = sl.sku_id AND r.location_id = sl.location_id
         WHERE sl.org_id = %(org_id)s
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    released AS (
        UPDATE stock_levels sl
           SET reserved = sl.reserved - r.quantity, updated_at = now()
          FROM returned r, locked l
         WHERE sl.id = l.id AND l.sku_id = r.sku_id AND l.location_id = r.location_id
        RETURNING sl.sku_id, sl.location_id, r.quantity
    )
    INSERT INTO stock_ledger
           (org_id, sku_id, location_id, kind, reserved_delta, reason, reference, order_id, actor)
    SELECT %(org_id)s, sku_id, location_id, 'released', -quantity, %(reason)s, %(reference)s,
           %(order_id)s, %(actor)s
      FROM released
"""


async def release_stock(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Iterable[StockRequest],
    order_id: int,
    reference: str,
    reason: str,
    actor: str,
) -> None:
    """Give reserved units back to available stock, with ledger rows."""
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for r in requests:
        merged[(r.sku_id, r.location_id)] += r.quantity
    if not merged:
        return
    keys = sorted(merged)
    await execute(
        conn,
        _RELEASE,
        {
            "org_id": org_id,
            "sku_ids": [k[0] for k in keys],
            "location_ids": [k[1] for k in keys],
            "quantities": [merged[k] for k in keys],
            "order_id": order_id,
            "reference": reference,
            "reason": reason,
            "actor": actor,
        },
    )
