"""Stock arrived: defer the job that sources waiting backorders, inside the caller's transaction.

Every writer that makes sellable stock rise (adjustments, transfers in, imports, purchase-order
receipts, return restocks) calls `stock_arrived` in the transaction that changes the stock.
The job is a row in procrastinate's job table written on the same database connection, so it
exists exactly when the stock change does: a rollback takes the job with it. When no
order waiting for stock wants any of the SKUs, nothing is deferred (one indexed query).
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from procrastinate.types import JSONValue
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.jobs import defer_job

SOURCE_BACKORDERS_TASK = "automation:source_backorders"

# The condition on an order `o` that waits for stock: backordered, or partially shipped with
# units that no reservation or shipment holds and that were not cancelled (short units given
# back by a location, or still short when a hold was released).
WAITING_FOR_STOCK = """
    (o.status = 'backordered' OR (o.status = 'partially_shipped' AND EXISTS (
        SELECT 1 FROM order_lines wl
         WHERE wl.org_id = o.org_id AND wl.order_id = o.id
           AND wl.quantity - wl.cancelled_quantity > (
               SELECT coalesce(sum(wa.quantity), 0) FROM order_allocations wa
                WHERE wa.order_id = o.id AND wa.line_no = wl.line_no
                  AND wa.status IN ('reserved', 'shipped')))))
"""

_WANTED = sa.text(
    f"""
    SELECT EXISTS (
        SELECT 1 FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE o.org_id = :org_id AND {WAITING_FOR_STOCK}
           AND ol.org_id = :org_id AND ol.sku_id = ANY(:sku_ids))
    """  # noqa: S608 (constant SQL only)
)


async def stock_arrived(conn: AsyncConnection, org_id: int, sku_ids: Collection[int]) -> bool:
    """Defer backorder sourcing for these SKUs when some order waiting for stock wants them.
    Returns whether a job was deferred."""
    wanted = sorted(set(sku_ids))
    if not wanted:
        return False
    if not (await conn.execute(_WANTED, {"org_id": org_id, "sku_ids": wanted})).scalar_one():
        return False
    job_skus: list[JSONValue] = [*wanted]
    # one run per organization at a time; a second one waits rather than competing
    await defer_job(
        conn, SOURCE_BACKORDERS_TASK, lock=f"backorders:{org_id}", sku_ids=job_skus, org_id=org_id
    )
    return True
