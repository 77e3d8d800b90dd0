"""Queries on stock levels and the ledger.

Every statement that changes a level is one guarded UPDATE whose WHERE clause states the rule
(never below reserved, never below what is available), and writes its ledger row in the same
statement, so a level and its ledger can never drift apart.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.domain import MAX_ON_HAND, LedgerKind, Level, Mismatch
from orderly.inventory.models import stock_ledger, stock_levels

Key = tuple[int, int]

_ENSURE_LEVELS = sa.text(
    """
    INSERT INTO stock_levels (org_id, sku_id, location_id)
    SELECT :org_id, k.sku_id, k.location_id
      FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]))
           AS k(sku_id, location_id)
     ORDER BY k.sku_id, k.location_id
        ON CONFLICT (org_id, sku_id, location_id) DO NOTHING
    RETURNING sku_id, location_id
    """
)

# Add (or remove) units: refused when the result would fall below what is reserved (and so
# below zero) or past the column's range.
_APPLY_DELTA = sa.text(
    """
    WITH changed AS (
        UPDATE stock_levels
           SET on_hand = on_hand + CAST(:delta AS integer), updated_at = now()
         WHERE org_id = :org_id AND sku_id = :sku_id AND location_id = :location_id
           AND on_hand + CAST(:delta AS bigint) BETWEEN reserved AND :max_on_hand
        RETURNING sku_id, location_id, on_hand, reserved, safety_stock
    ),
    entry AS (
        INSERT INTO stock_ledger
               (org_id, sku_id, location_id, kind, on_hand_delta, reason, reference, actor)
        SELECT :org_id, sku_id, location_id, :kind, CAST(:delta AS integer), :reason,
               :reference, :actor
          FROM changed
    )
    SELECT sku_id, location_id, on_hand, reserved, safety_stock FROM changed
    """
)

# Replace on-hand by a count. The row is locked first so that the ledger records the
# difference from the figure the count actually replaced.
_APPLY_COUNT = sa.text(
    """
    WITH before AS (
        SELECT id, on_hand FROM stock_levels
         WHERE org_id = :org_id AND sku_id = :sku_id AND location_id = :location_id
           FOR UPDATE
    ),
    changed AS (
        UPDATE stock_levels s SET on_hand = CAST(:count AS integer), updated_at = now()
          FROM before
         WHERE s.id = before.id AND CAST(:count AS integer) >= s.reserved
        RETURNING s.sku_id, s.location_id, s.on_hand, s.reserved, s.safety_stock,
                  s.on_hand - before.on_hand AS on_hand_delta
    ),
    entry AS (
        INSERT INTO stock_ledger
               (org_id, sku_id, location_id, kind, on_hand_delta, reason, reference, actor)
        SELECT :org_id, sku_id, location_id, :kind, on_hand_delta, :reason, :reference, :actor
          FROM changed
    )
    SELECT sku_id, location_id, on_hand, reserved, safety_stock FROM changed
    """
)

# Take units out for a transfer: only what is available (not reserved, not safety stock).
_TAKE_AVAILABLE = sa.text(
    """
    WITH changed AS (
        UPDATE stock_levels
           SET on_hand = on_hand - CAST(:quantity AS integer), updated_at = now()
         WHERE org_id = :org_id AND sku_id = :sku_id AND location_id = :location_id
           AND on_hand - reserved - safety_stock >= CAST(:quantity AS integer)
        RETURNING sku_id, location_id, on_hand, reserved, safety_stock
    ),
    entry AS (
        INSERT INTO stock_ledger
               (org_id, sku_id, location_id, kind, on_hand_delta, reason, reference, actor)
        SELECT :org_id, sku_id, location_id, :kind, -CAST(:quantity AS integer), :reason,
               :reference, :actor
          FROM changed
    )
    SELECT sku_id, location_id, on_hand, reserved, safety_stock FROM changed
    """
)

_SET_SAFETY_STOCK = sa.text(
    """
    UPDATE stock_levels
       SET safety_stock = CAST(:safety_stock AS integer), updated_at = now()
     WHERE org_id = :org_id AND sku_id = :sku_id AND location_id = :location_id
    RETURNING sku_id, location_id, on_hand, reserved, safety_stock
    """
)

_MISMATCHES = sa.text(
    "WITH levels AS ("
    "  SELECT sku_id, location_id, on_hand, reserved FROM stock_levels WHERE org_id = :org_id"
    "), sums AS ("
    "  SELECT sku_id, location_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved"
    "  FROM stock_ledger WHERE org_id = :org_id GROUP BY sku_id, location_id"
    ") SELECT sku_id, location_id,"
    "  coalesce(levels.on_hand, 0) AS on_hand, coalesce(levels.reserved, 0) AS reserved,"
    "  coalesce(sums.on_hand, 0) AS ledger_on_hand, coalesce(sums.reserved, 0) AS ledger_reserved"
    " FROM levels FULL JOIN sums USING (sku_id, location_id)"
    " WHERE coalesce(levels.on_hand, 0) <> coalesce(sums.on_hand, 0)"
    "  OR coalesce(levels.reserved, 0) <> coalesce(sums.reserved, 0)"
    " ORDER BY sku_id, location_id"
)


def _level(row: Any) -> Level:
    return Level(
        sku_id=row.sku_id,
        location_id=row.location_id,
        on_hand=row.on_hand,
        reserved=row.reserved,
        safety_stock=row.safety_stock,
    )


async def ensure_levels(conn: AsyncConnection, org_id: int, keys: Collection[Key]) -> set[Key]:
    """Create the missing levels (at zero) in locking order; return the keys that were new."""
    ordered = sorted(set(keys))
    if not ordered:
        return set()
    result = await conn.execute(
        _ENSURE_LEVELS,
        {
            "org_id": org_id,
            "sku_ids": [sku_id for sku_id, _ in ordered],
            "location_ids": [location_id for _, location_id in ordered],
        },
    )
    return {(row.sku_id, row.location_id) for row in result}


async def apply_delta(
    conn: AsyncConnection,
    org_id: int,
    key: Key,
    *,
    delta: int,
    kind: LedgerKind,
    reason: str | None,
    reference: str | None,
    actor: str | None,
) -> Level | None:
    """Add ``delta`` units to a level and record it; None when the guard refuses."""
    row = (
        await conn.execute(
            _APPLY_DELTA,
            {
                "org_id": org_id,
                "sku_id": key[0],
                "location_id": key[1],
                "delta": delta,
                "max_on_hand": MAX_ON_HAND,
                "kind": kind.value,
                "reason": reason,
                "reference": reference,
                "actor": actor,
            },
        )
    ).one_or_none()
    return _level(row) if row is not None else None


async def apply_count(
    conn: AsyncConnection,
    org_id: int,
    key: Key,
    *,
    count: int,
    kind: LedgerKind,
    reason: str | None,
    reference: str | None,
    actor: str | None,
) -> Level | None:
    """Set on-hand to a counted figure and record the difference; None when below reserved."""
    row = (
        await conn.execute(
            _APPLY_COUNT,
            {
                "org_id": org_id,
                "sku_id": key[0],
                "location_id": key[1],
                "count": count,
                "kind": kind.value,
                "reason": reason,
                "reference": reference,
                "actor": actor,
            },
        )
    ).one_or_none()
    return _level(row) if row is not None else None


async def take_available(
    conn: AsyncConnection,
    org_id: int,
    key: Key,
    *,
    quantity: int,
    kind: LedgerKind,
    reason: str | None,
    reference: str | None,
    actor: str | None,
) -> Level | None:
    """Remove ``quantity`` available units; None when fewer are available."""
    row = (
        await conn.execute(
            _TAKE_AVAILABLE,
            {
                "org_id": org_id,
                "sku_id": key[0],
                "location_id": key[1],
                "quantity": quantity,
                "kind": kind.value,
                "reason": reason,
                "reference": reference,
                "actor": actor,
            },
        )
    ).one_or_none()
    return _level(row) if row is not None else None


async def set_safety_stock(
    conn: AsyncConnection, org_id: int, key: Key, *, safety_stock: int
) -> Level:
    row = (
        await conn.execute(
            _SET_SAFETY_STOCK,
            {
                "org_id": org_id,
                "sku_id": key[0],
                "location_id": key[1],
                "safety_stock": safety_stock,
            },
        )
    ).one()
    return _level(row)


async def find_level(conn: AsyncConnection, org_id: int, key: Key) -> Level | None:
    stmt = sa.select(
        stock_levels.c.sku_id,
        stock_levels.c.location_id,
        stock_levels.c.on_hand,
        stock_levels.c.reserved,
        stock_levels.c.safety_stock,
    ).where(
        stock_levels.c.org_id == org_id,
        stock_levels.c.sku_id == key[0],
        stock_levels.c.location_id == key[1],
    )
    row = (await conn.execute(stmt)).one_or_none()
    return _level(row) if row is not None else None


async def movements(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku_ids: Collection[int] | None,
    location_ids: Collection[int] | None,
    before_id: int | None,
    limit: int,
) -> list[sa.Row[Any]]:
    """Ledger rows, newest first."""
    stmt = (
        sa.select(stock_ledger)
        .where(stock_ledger.c.org_id == org_id)
        .order_by(stock_ledger.c.id.desc())
        .limit(limit)
    )
    if sku_ids is not None:
        stmt = stmt.where(stock_ledger.c.sku_id.in_(list(sku_ids)))
    if location_ids is not None:
        stmt = stmt.where(stock_ledger.c.location_id.in_(list(location_ids)))
    if before_id is not None:
        stmt = stmt.where(stock_ledger.c.id < before_id)
    return list(await conn.execute(stmt))


async def mismatches(conn: AsyncConnection, org_id: int) -> list[Mismatch]:
    result = await conn.execute(_MISMATCHES, {"org_id": org_id})
    return [
        Mismatch(
            sku_id=row.sku_id,
            location_id=row.location_id,
            on_hand=int(row.on_hand),
            reserved=int(row.reserved),
            ledger_on_hand=int(row.ledger_on_hand),
            ledger_reserved=int(row.ledger_reserved),
        )
        for row in result
    ]
