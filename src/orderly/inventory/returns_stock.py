"""Units a customer sent back, put back on the shelf as sellable stock: levels created if
missing, then raised in (sku, location) order with a `returned` ledger row each, like the other
stock statements (docs/returns.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.domain import MAX_ON_HAND
from orderly.inventory.reservations import StockRequest
from orderly.kit.errors import Conflict


class RestockOverflow(Conflict):
    code = "stock_level_overflow"


_ENSURE = sa.text(
    """
    INSERT INTO stock_levels (org_id, sku_id, location_id)
    SELECT :org_id, k.sku_id, k.location_id
      FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]))
           AS k(sku_id, location_id)
     ORDER BY k.sku_id, k.location_id
        ON CONFLICT (org_id, sku_id, location_id) DO NOTHING
    """
)

_RESTOCK = sa.text(
    """
    WITH back AS (
        SELECT sku_id, location_id, quantity
          FROM unnest(CAST(:sku_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                      CAST(:quantities AS int[])) AS b(sku_id, location_id, quantity)
    ),
    locked AS MATERIALIZED (
        SELECT sl.id, sl.sku_id, sl.location_id
          FROM stock_levels sl
          JOIN back b ON b.sku_id = sl.sku_id AND b.location_id = sl.location_id
         WHERE sl.org_id = :org_id
         ORDER BY sl.sku_id, sl.location_id
           FOR UPDATE OF sl
    ),
    restocked AS (
        UPDATE stock_levels sl
           SET on_hand = sl.on_hand + b.quantity, updated_at = now()
          FROM back b, locked l
         WHERE sl.id = l.id AND l.sku_id = b.sku_id AND l.location_id = b.location_id
           AND CAST(sl.on_hand AS bigint) + b.quantity <= :max_on_hand
        RETURNING sl.sku_id, sl.location_id, b.quantity
    ),
    ledger AS (
        INSERT INTO stock_ledger (org_id, sku_id, location_id, kind, on_hand_delta, reason,
                                  reference, order_id, actor)
        SELECT :org_id, r.sku_id, r.location_id, 'returned', r.quantity, :reason, :reference,
               :order_id, :actor
          FROM restocked r
    )
    SELECT count(*) AS applied FROM restocked
    """
)


async def restock_returned_units(
    conn: AsyncConnection,
    *,
    org_id: int,
    requests: Iterable[StockRequest],
    order_id: int,
    reference: str,
    reason: str,
    actor: str,
) -> None:
    """Raise on_hand by the returned units at their location (sellable again)."""
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for r in requests:
        if r.quantity > 0:
            merged[(r.sku_id, r.location_id)] += r.quantity
    if not merged:
        return
    keys = sorted(merged)
    sku_ids = [k[0] for k in keys]
    location_ids = [k[1] for k in keys]
    await conn.execute(
        _ENSURE, {"org_id": org_id, "sku_ids": sku_ids, "location_ids": location_ids}
    )
    applied = (
        await conn.execute(
            _RESTOCK,
            {
                "org_id": org_id,
                "sku_ids": sku_ids,
                "location_ids": location_ids,
                "quantities": [merged[k] for k in keys],
                "max_on_hand": MAX_ON_HAND,
                "order_id": order_id,
                "reference": reference,
                "reason": reason,
                "actor": actor,
            },
        )
    ).scalar_one()
    if applied != len(keys):
        raise RestockOverflow("a stock level would pass its largest count")
