"""Queries of restock and purchasing. Stock figures are read from the inventory's levels;
writes touch only the automation tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.automation.models import (
    purchase_order_lines,
    purchase_orders,
    replenishment_rules,
    sku_suppliers,
)


async def upsert_rules(
    conn: AsyncConnection, org_id: int, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int, int], int]:
    """Returns each rule's id by (sku_id, location_id)."""
    r = replenishment_rules
    stmt = insert(r).values([{**row, "org_id": org_id} for row in rows])
    result = await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "sku_id", "location_id"],
            set_={
                "reorder_point": stmt.excluded.reorder_point,
                "min_quantity": stmt.excluded.min_quantity,
                "max_quantity": stmt.excluded.max_quantity,
                "updated_at": sa.func.now(),
            },
        ).returning(r.c.id, r.c.sku_id, r.c.location_id)
    )
    return {(row.sku_id, row.location_id): row.id for row in result}


async def upsert_suppliers(
    conn: AsyncConnection, org_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    stmt = insert(sku_suppliers).values([{**r, "org_id": org_id} for r in rows])
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "sku_id"],
            set_={
                "supplier_location_id": stmt.excluded.supplier_location_id,
                "cost_minor": stmt.excluded.cost_minor,
                "currency": stmt.excluded.currency,
                "lead_time_days": stmt.excluded.lead_time_days,
                "pack_size": stmt.excluded.pack_size,
                "updated_at": sa.func.now(),
            },
        )
    )


_RULES = sa.text(
    """
    SELECT r.id, s.code AS sku, l.code AS location, r.reorder_point, r.min_quantity,
           r.max_quantity
      FROM replenishment_rules r
      JOIN skus s ON s.id = r.sku_id
      JOIN locations l ON l.id = r.location_id
     WHERE r.org_id = :org_id AND (CAST(:after AS bigint) IS NULL OR r.id > :after)
       AND (CAST(:location_ids AS bigint[]) IS NULL
            OR r.location_id = ANY(CAST(:location_ids AS bigint[])))
     ORDER BY r.id
     LIMIT :limit
    """
)


async def list_rules(
    conn: AsyncConnection,
    org_id: int,
    *,
    after: int | None,
    limit: int,
    location_ids: Sequence[int] | None = None,
) -> list[sa.Row[Any]]:
    params = {
        "org_id": org_id,
        "after": after,
        "limit": limit,
        "location_ids": None if location_ids is None else list(location_ids),
    }
    return list(await conn.execute(_RULES, params))


_SUPPLIERS = sa.text(
    """
    SELECT ss.id, s.code AS sku, l.code AS supplier, ss.cost_minor, ss.currency,
           ss.lead_time_days, ss.pack_size
      FROM sku_suppliers ss
      JOIN skus s ON s.id = ss.sku_id
      JOIN locations l ON l.id = ss.supplier_location_id
     WHERE ss.org_id = :org_id AND (CAST(:after AS bigint) IS NULL OR ss.id > :after)
     ORDER BY ss.id
     LIMIT :limit
    """
)


async def list_suppliers(
    conn: AsyncConnection, org_id: int, *, after: int | None, limit: int
) -> list[sa.Row[Any]]:
    rows = await conn.execute(_SUPPLIERS, {"org_id": org_id, "after": after, "limit": limit})
    return list(rows)


async def lock_restock(conn: AsyncConnection, org_id: int) -> None:
    """One restock run per organization at a time, until the transaction ends."""
    await conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 8))"),
        {"key": f"restock:{org_id}"},
    )


# Every rule whose SKU has a supplier, with what is available at the location and what is
# already on order for it (unreceived units of open purchase orders, drafts included).
_POSITIONS = sa.text(
    """
    SELECT r.sku_id, r.location_id, r.reorder_point, r.min_quantity, r.max_quantity,
           ss.supplier_location_id, ss.cost_minor, ss.currency, ss.lead_time_days,
           ss.pack_size,
           coalesce((SELECT greatest(sl.on_hand - sl.reserved - sl.safety_stock, 0)
                       FROM stock_levels sl
                      WHERE sl.org_id = r.org_id AND sl.sku_id = r.sku_id
                        AND sl.location_id = r.location_id), 0) AS available,
           coalesce((SELECT sum(pl.quantity_ordered - pl.quantity_received)
                       FROM purchase_order_lines pl
                       JOIN purchase_orders po ON po.id = pl.purchase_order_id
                      WHERE pl.org_id = r.org_id AND pl.sku_id = r.sku_id
                        AND po.destination_location_id = r.location_id
                        AND po.status IN ('draft', 'submitted', 'partially_received')), 0)
             AS on_order
      FROM replenishment_rules r
      JOIN sku_suppliers ss ON ss.org_id = r.org_id AND ss.sku_id = r.sku_id
      JOIN locations l ON l.id = r.location_id AND l.active
      JOIN locations sup ON sup.id = ss.supplier_location_id AND sup.active
     WHERE r.org_id = :org_id
     ORDER BY ss.supplier_location_id, r.location_id, r.sku_id
    """
)


async def stock_positions(conn: AsyncConnection, org_id: int) -> list[sa.Row[Any]]:
    return list(await conn.execute(_POSITIONS, {"org_id": org_id}))


_DRAFT = sa.text(
    """
    INSERT INTO purchase_orders
           (org_id, supplier_location_id, destination_location_id, currency, expected_on)
    VALUES (:org_id, :supplier_id, :destination_id, :currency, :expected_on)
    ON CONFLICT (org_id, supplier_location_id, destination_location_id) WHERE status = 'draft'
    DO UPDATE SET expected_on = greatest(purchase_orders.expected_on, EXCLUDED.expected_on),
                  updated_at = now()
    RETURNING id
    """
)


async def draft_for(
    conn: AsyncConnection,
    org_id: int,
    *,
    supplier_id: int,
    destination_id: int,
    currency: str,
    expected_on: date,
) -> int:
    """The open draft for this supplier and destination, made when there is none."""
    row = await conn.execute(
        _DRAFT,
        {
            "org_id": org_id,
            "supplier_id": supplier_id,
            "destination_id": destination_id,
            "currency": currency,
            "expected_on": expected_on,
        },
    )
    return int(row.scalar_one())


async def add_lines(
    conn: AsyncConnection, org_id: int, po_id: int, lines: Sequence[tuple[int, int, int]]
) -> None:
    """(sku_id, quantity, unit cost) lines; a SKU already on the draft gets the units added."""
    stmt = insert(purchase_order_lines).values(
        [
            {
                "org_id": org_id,
                "purchase_order_id": po_id,
                "sku_id": sku_id,
                "quantity_ordered": quantity,
                "unit_cost_minor": cost,
            }
            for sku_id, quantity, cost in lines
        ]
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["purchase_order_id", "sku_id"],
            set_={
                "quantity_ordered": purchase_order_lines.c.quantity_ordered
                + stmt.excluded.quantity_ordered
            },
        )
    )


_PURCHASE_ORDERS = sa.text(
    """
    SELECT po.id, po.status, po.currency, po.expected_on, po.submitted_at, po.created_at,
           po.supplier_location_id, po.destination_location_id,
           sup.code AS supplier, dest.code AS destination,
           (SELECT coalesce(json_agg(json_build_object(
                       'sku_id', pl.sku_id, 'sku', s.code,
                       'quantity_ordered', pl.quantity_ordered,
                       'quantity_received', pl.quantity_received,
                       'unit_cost_minor', pl.unit_cost_minor) ORDER BY pl.id), '[]')
              FROM purchase_order_lines pl JOIN skus s ON s.id = pl.sku_id
             WHERE pl.purchase_order_id = po.id) AS lines
      FROM purchase_orders po
      JOIN locations sup ON sup.id = po.supplier_location_id
      JOIN locations dest ON dest.id = po.destination_location_id
     WHERE po.org_id = :org_id
       AND (CAST(:ids AS bigint[]) IS NULL OR po.id = ANY(CAST(:ids AS bigint[])))
       AND (CAST(:status AS text) IS NULL OR po.status = :status)
       AND (CAST(:supplier AS text) IS NULL OR sup.code = :supplier)
       AND (CAST(:destination_ids AS bigint[]) IS NULL
            OR po.destination_location_id = ANY(CAST(:destination_ids AS bigint[])))
       AND (CAST(:after AS bigint) IS NULL OR po.id > :after)
     ORDER BY po.id
     LIMIT :limit
    """
)


async def purchase_orders_rows(
    conn: AsyncConnection,
    org_id: int,
    *,
    ids: Sequence[int] | None = None,
    status: str | None = None,
    supplier: str | None = None,
    after: int | None = None,
    limit: int = 1000,
    destination_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        _PURCHASE_ORDERS,
        {
            "org_id": org_id,
            "ids": None if ids is None else list(ids),
            "status": status,
            "supplier": supplier,
            "destination_ids": None if destination_ids is None else list(destination_ids),
            "after": after,
            "limit": limit,
        },
    )
    return [dict(r._mapping) for r in rows]


async def lock_purchase_order(conn: AsyncConnection, org_id: int, po_id: int) -> bool:
    row = await conn.execute(
        sa.select(purchase_orders.c.id)
        .where(purchase_orders.c.org_id == org_id, purchase_orders.c.id == po_id)
        .with_for_update()
    )
    return row.first() is not None


async def update_purchase_order(
    conn: AsyncConnection, org_id: int, po_id: int, **values: Any
) -> None:
    await conn.execute(
        sa.update(purchase_orders)
        .where(purchase_orders.c.org_id == org_id, purchase_orders.c.id == po_id)
        .values(**values, updated_at=sa.func.now())
    )


async def receive_lines(
    conn: AsyncConnection, org_id: int, po_id: int, received: dict[int, int]
) -> None:
    """Add received units per sku_id to the purchase order's lines."""
    pl = purchase_order_lines
    for sku_id, quantity in sorted(received.items()):
        await conn.execute(
            sa.update(pl)
            .where(pl.c.org_id == org_id, pl.c.purchase_order_id == po_id, pl.c.sku_id == sku_id)
            .values(quantity_received=pl.c.quantity_received + quantity)
        )
