"""The stock picture: a page of SKUs with their levels at each location, in one statement.

The read behind `GET /v1/inventory` (one SKU across the network, or a page of SKUs), kept apart
from the statements that change stock in `inventory.repository`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.inventory.domain import SkuLevels
from orderly.kit.db import compact_sql, driver_connection, int_array, text_array

# The stock picture of a page of SKUs is one statement: the SKUs listed (those asked for by
# code, or the stocked ones after the cursor) and, for each SKU of the page, its levels with
# the location's code and whether it is active (as the availability snapshot reads locations
# and SKUs). A listed SKU off the page comes without levels: the codes that matched and
# whether a next page exists come from the same answer. Each SKU's levels come as columns
# (arrays, in location order, read in binary): a SKU stocked across the network has hundreds
# of levels, and the driver reads a few arrays faster than hundreds of rows (its cost is per
# value of a row).
_STOCK_PICTURE = """
    WITH listed AS MATERIALIZED ({listed}),
         page AS MATERIALIZED (
             SELECT id FROM listed WHERE id > %(after)s ORDER BY id LIMIT %(limit)s)
    SELECT li.id, li.code, p.id IS NOT NULL, lv.locations, lv.active,
           lv.on_hand, lv.reserved, lv.safety_stock
      FROM listed li
      LEFT JOIN page p ON p.id = li.id
      LEFT JOIN LATERAL (
          SELECT array_agg(l.code ORDER BY sl.location_id) AS locations,
                 array_agg(l.active ORDER BY sl.location_id) AS active,
                 array_agg(sl.on_hand ORDER BY sl.location_id) AS on_hand,
                 array_agg(sl.reserved ORDER BY sl.location_id) AS reserved,
                 array_agg(sl.safety_stock ORDER BY sl.location_id) AS safety_stock
            FROM stock_levels sl
            JOIN locations l ON l.id = sl.location_id AND l.org_id = %(org_id)s
           WHERE sl.org_id = %(org_id)s AND sl.sku_id = p.id
      ) AS lv ON true
     ORDER BY li.id
"""
_NAMED = """
    SELECT id, code FROM skus
     WHERE org_id = %(org_id)s AND code = ANY(CAST(%(sku_codes)s AS text[]))
"""
# One SKU (a product page's availability) by equality, not in an array: PostgreSQL then knows
# one row will match whatever the code, and reuses one plan for the prepared statement instead
# of planning it again on every request (docs/performance-log.md, read paths).
_NAMED_ONE = """
    SELECT id, code FROM skus WHERE org_id = %(org_id)s AND code = %(sku_code)s
"""
_STOCKED = """
    SELECT s.id, s.code FROM skus s
     WHERE s.org_id = %(org_id)s
       AND s.id IN (SELECT sl.sku_id FROM stock_levels sl
                     WHERE sl.org_id = %(org_id)s AND sl.sku_id > %(after)s {at_locations}
                     GROUP BY sl.sku_id ORDER BY sl.sku_id LIMIT %(limit)s + 1)
"""
_AT_LOCATIONS = "AND sl.location_id = ANY(CAST(%(location_ids)s AS bigint[]))"


@dataclass(frozen=True, slots=True)
class StockOfSkus:
    """`listed`: code to id of every SKU that matched (asked for by code, or stocked after
    the cursor up to one past the page); `page`: the first `limit` of them after the cursor,
    with their levels."""

    listed: dict[str, int]
    page: list[SkuLevels]


async def stock_of_skus(
    conn: AsyncConnection,
    org_id: int,
    *,
    sku_codes: Sequence[str] | None,
    location_ids: Collection[int] | None,
    after: int,
    limit: int,
) -> StockOfSkus:
    """The SKUs with these codes (when given, else those with a level, at one of
    ``location_ids`` when given), by id, and the levels of the first ``limit`` after ``after``."""
    if sku_codes is not None:
        listed_sql = _NAMED_ONE if len(sku_codes) == 1 else _NAMED
    else:
        listed_sql = _STOCKED.format(at_locations="" if location_ids is None else _AT_LOCATIONS)
    params = {
        "org_id": org_id,
        "after": after,
        "limit": limit,
        "sku_codes": text_array(sku_codes or ()),
        "sku_code": sku_codes[0] if sku_codes else None,
        "location_ids": int_array(location_ids or ()),
    }
    pg = await driver_connection(conn)
    async with pg.cursor(binary=True) as cursor:
        await cursor.execute(compact_sql(_STOCK_PICTURE.format(listed=listed_sql)), params)
        rows = await cursor.fetchall()
    listed: dict[str, int] = {}
    page: list[SkuLevels] = []
    for sku_id, code, on_page, *levels in rows:
        listed[code] = sku_id
        if on_page:
            page.append(SkuLevels(sku_id, code, *levels) if levels[0] else SkuLevels(sku_id, code))
    return StockOfSkus(listed=listed, page=page)
