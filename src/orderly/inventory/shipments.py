"""Stock that leaves a location: shipped parcels, collected pickups and sales at a store's
counter, and write-offs when a location finds fewer units than it counted; guarded statements
in (sku, location) order with a ledger row per change, like the reservations
(docs/fulfillment.md, "Stock").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.reservations import StockRequest
from orderly.kit.errors import Conflict


class StockNotReserved(Conflict):
    code = "stock_not_reserved"


_SHIP = sa.text(
    """
    WITH leaving AS (
        SELECT sku_id, location_id, quantity
          FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                      CAST(:quantities AS int[])) AS w(sku_id, location_id, quantity)
    ),
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id, sl.reserved
          FROM stock_levels sl
          JOIN leaving w ON w.sku_id = sl.sku_id AND w.location_id = sl.location_id
         WHERE sl.org_id = :org_id
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    verdict AS (
        SELECT count(l.id) FILTER (WHERE l.reserved >= w.quantity) = count(*) AS ok
          FROM leaving w
          LEFT JOIN locked l ON l.sku_id = w.sku_id AND l.location_id = w.location_id
    ),
    shipped AS (
        UPDATE stock_levels sl
           SET on_hand = sl.on_hand - w.quantity, reserved = sl.reserved - w.quantity,
               updated_at = now()
          FROM leaving w, verdict v, locked l
         WHERE v.ok AND sl.id = l.id AND l.sku_id = w.sku_id AND l.location_id = w.location_id
        RETURNING sl.sku_id, sl.location_id, w.quantity
    ),
    ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, on_hand_delta,
                                  reserved_delta, reason, reference, order_id, actor)
        SELECT :org_id, s.sku_id, s.location_id, 'shipped', -s.quantity, -s.quantity, :reason,
               :reference, :order_id, :actor
          FROM shipped s
    )
    SELECT ok FROM verdict
    """
)


async def ship_stock(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Iterable[StockRequest],
    order_id: int,
    reference: str,
    reason: str,
    actor: str,
) -> None:
    """Take reserved units out of stock: `reserved` and `on_hand` both drop. All or nothing;
    StockNotReserved (409) when a location holds fewer reserved units than leave it."""
    merged = _merge(requests)
    if not merged:
        return
    ok = (
        await conn.execute(
            _SHIP,
            {
                "org_id": org_id,
                **_arrays(merged),
                "order_id": order_id,
                "reference": reference,
                "reason": reason,
                "actor": actor,
            },
        )
    ).scalar_one()
    if not ok:
        raise StockNotReserved("fewer units are reserved at the location than are shipping")


class ShelfEmpty(Conflict):
    code = "stock_contention"


_SELL = sa.text(
    """
    WITH selling AS (
        SELECT sku_id, location_id, quantity
          FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                      CAST(:quantities AS int[])) AS w(sku_id, location_id, quantity)
    ),
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id, sl.on_hand, sl.reserved
          FROM stock_levels sl
          JOIN selling w ON w.sku_id = sl.sku_id AND w.location_id = sl.location_id
         WHERE sl.org_id = :org_id
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    verdict AS (
        SELECT count(l.id) FILTER (WHERE l.on_hand - l.reserved >= w.quantity) = count(*) AS ok
          FROM selling w
          LEFT JOIN locked l ON l.sku_id = w.sku_id AND l.location_id = w.location_id
    ),
    sold AS (
        UPDATE stock_levels sl
           SET on_hand = sl.on_hand - w.quantity, updated_at = now()
          FROM selling w, verdict v, locked l
         WHERE v.ok AND sl.id = l.id AND l.sku_id = w.sku_id AND l.location_id = w.location_id
        RETURNING sl.sku_id, sl.location_id, w.quantity
    ),
    ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, on_hand_delta,
                                  reserved_delta, reason, reference, order_id, actor)
        SELECT :org_id, s.sku_id, s.location_id, 'shipped', -s.quantity, 0, 'counter_sale',
               :reference, :order_id, :actor
          FROM sold s
    )
    SELECT ok FROM verdict
    """
)


async def sell_from_shelf(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Iterable[StockRequest],
    order_id: int,
    reference: str,
    actor: str,
) -> None:
    """Units a store sold at its counter leave its on-hand at once (ledger `shipped`, reason
    `counter_sale`), never below what stays reserved there for other orders. All or nothing;
    409 `stock_contention` (retryable) when another till took them meanwhile."""
    merged = _merge(requests)
    if not merged:
        return
    ok = (
        await conn.execute(
            _SELL,
            {
                "org_id": org_id,
                **_arrays(merged),
                "order_id": order_id,
                "reference": reference,
                "actor": actor,
            },
        )
    ).scalar_one()
    if not ok:
        raise ShelfEmpty(
            "another sale took these units meanwhile; retry the sale",
            extra={"retryable": True},
        )


_WRITE_OFF = sa.text(
    """
    WITH missing AS (
        SELECT sku_id, location_id, quantity
          FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                      CAST(:quantities AS int[])) AS w(sku_id, location_id, quantity)
    ),
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id,
               least(m.quantity, sl.on_hand - sl.reserved) AS applied
          FROM stock_levels sl
          JOIN missing m ON m.sku_id = sl.sku_id AND m.location_id = sl.location_id
         WHERE sl.org_id = :org_id
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    corrected AS (
        UPDATE stock_levels sl
           SET on_hand = sl.on_hand - l.applied, updated_at = now()
          FROM locked l
         WHERE sl.id = l.id AND l.applied > 0
        RETURNING sl.sku_id, sl.location_id, l.applied
    ),
    ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, on_hand_delta, reason,
                                  reference, order_id, actor)
        SELECT :org_id, c.sku_id, c.location_id, 'adjusted', -c.applied, :reason, :reference,
               :order_id, :actor
          FROM corrected c
    )
    SELECT sku_id, location_id, applied FROM locked
    """
)


async def write_off_stock(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Iterable[StockRequest],
    order_id: int | None,
    reference: str,
    reason: str,
    actor: str,
) -> dict[tuple[int, int], int]:
    """Lower on_hand by units a location could not find (or found damaged), never below what
    is reserved there for other orders. Returns the units written off per (sku, location),
    which is less than asked where the count was clamped."""
    merged = _merge(requests)
    if not merged:
        return {}
    rows = await conn.execute(
        _WRITE_OFF,
        {
            "org_id": org_id,
            **_arrays(merged),
            "order_id": order_id,
            "reference": reference,
            "reason": reason,
            "actor": actor,
        },
    )
    applied = {(r.sku_id, r.location_id): max(int(r.applied), 0) for r in rows}
    return {k: applied.get(k, 0) for k in sorted(merged)}


def _arrays(merged: Mapping[tuple[int, int], int]) -> dict[str, list[int]]:
    """The statements' parameters: the levels in (sku, location) order, the order their rows
    are locked in, with the units of each."""
    keys = sorted(merged)
    return {
        "sku_ids": [k[0] for k in keys],
        "location_ids": [k[1] for k in keys],
        "quantities": [merged[k] for k in keys],
    }


def _merge(requests: Iterable[StockRequest]) -> Mapping[tuple[int, int], int]:
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for r in requests:
        if r.quantity > 0:
            merged[(r.sku_id, r.location_id)] += r.quantity
    return merged
