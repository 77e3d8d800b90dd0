"""Return rate: units returned over units shipped, per SKU, reason, channel or location.

What counts as shipped and returned, and against which location: docs/returns.md, "Return
analytics".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


class ReturnsGrouping(StrEnum):
    SKU = "sku"
    REASON = "reason"
    CHANNEL = "channel"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class ReturnRate:
    key: str
    units_shipped: int
    units_returned: int

    @property
    def rate(self) -> Decimal | None:
        if self.units_shipped <= 0:
            return None
        return (Decimal(self.units_returned) / self.units_shipped).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


_SHIPPED_KEY = {
    ReturnsGrouping.SKU: "(SELECT code FROM skus WHERE id = l.sku_id)",
    ReturnsGrouping.CHANNEL: "(SELECT code FROM channels WHERE id = o.channel_id)",
    ReturnsGrouping.LOCATION: "(SELECT code FROM locations WHERE id = l.location_id)",
    ReturnsGrouping.REASON: "NULL",
}
_RETURNED_KEY = {
    ReturnsGrouping.SKU: "(SELECT code FROM skus WHERE id = rl.sku_id)",
    ReturnsGrouping.CHANNEL: "(SELECT code FROM channels WHERE id = o.channel_id)",
    ReturnsGrouping.LOCATION: """(SELECT lo.code FROM order_allocations a
                                   JOIN locations lo ON lo.id = a.location_id
                                  WHERE a.org_id = r.org_id AND a.order_id = r.order_id
                                    AND a.line_no = rl.line_no AND a.status = 'shipped'
                                  ORDER BY a.quantity DESC, a.location_id LIMIT 1)""",
    ReturnsGrouping.REASON: "rl.reason",
}

_TEMPLATE = """
    WITH shipped AS (
        SELECT SHIPPED_KEY AS key, -sum(l.on_hand_delta) AS units
          FROM stock_ledger l
          JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id
         WHERE l.org_id = :org_id AND l.kind = 'shipped'
           AND l.created_at >= :start AND l.created_at < :end
         GROUP BY 1
    ),
    returned AS (
        SELECT RETURNED_KEY AS key, sum(rl.quantity) AS units
          FROM return_lines rl
          JOIN returns r ON r.id = rl.return_id
          JOIN orders o ON o.id = r.order_id
         WHERE r.org_id = :org_id AND r.status NOT IN ('rejected', 'cancelled')
           AND r.created_at >= :start AND r.created_at < :end
         GROUP BY 1
    )
    SELECT KEYS
"""
_BY_KEY = """
           coalesce(s.key, r.key) AS key, coalesce(s.units, 0) AS shipped,
           coalesce(r.units, 0) AS returned
      FROM shipped s FULL JOIN returned r ON r.key = s.key
     ORDER BY 1
"""
_BY_REASON = """
           r.key AS key, (SELECT coalesce(sum(units), 0) FROM shipped) AS shipped,
           r.units AS returned
      FROM returned r
     ORDER BY 1
"""


async def return_rates(
    conn: AsyncConnection,
    org_id: int,
    *,
    start: datetime,
    end: datetime,
    group_by: ReturnsGrouping,
) -> list[ReturnRate]:
    sql = (
        _TEMPLATE.replace("SHIPPED_KEY", _SHIPPED_KEY[group_by])
        .replace("RETURNED_KEY", _RETURNED_KEY[group_by])
        .replace("KEYS", _BY_REASON if group_by is ReturnsGrouping.REASON else _BY_KEY)
    )
    rows = await conn.execute(sa.text(sql), {"org_id": org_id, "start": start, "end": end})
    return [
        ReturnRate(str(r.key) if r.key is not None else "", int(r.shipped), int(r.returned))
        for r in rows
    ]
