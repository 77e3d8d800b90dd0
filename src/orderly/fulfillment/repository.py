"""Fulfillment queries. Views join the SKU, location and order tables read-only, for their
codes and names, the way the order views do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.fulfillment.domain import OPEN_STATUSES, FulfillmentLine
from orderly.fulfillment.models import (
    fulfillment_order_lines,
    fulfillment_orders,
    fulfillment_parcels,
)
from orderly.kit.db import Transaction, fetch_all
from orderly.locations.models import locations
from orderly.sourcing.domain import Allocation

fo = fulfillment_orders
fol = fulfillment_order_lines
parcels = fulfillment_parcels

# One statement per order: a fulfillment order per location and its lines, answering
# {location code: new id}. Order capture reads nothing back and queues it to travel with COMMIT
# (kit.db.Transaction.at_commit), saving a round trip; other callers run it and read the answer.
_OPEN = """
    WITH alloc AS (
        SELECT * FROM jsonb_to_recordset(CAST(%(allocations)s AS jsonb))
               AS a(line_no int, sku_id bigint, location_id bigint, quantity int)
    ),
    opened AS (
        INSERT INTO fulfillment_orders (org_id, order_id, location_id, pickup)
        SELECT %(org_id)s, %(order_id)s, l.location_id,
               (SELECT o.delivery_method = 'pickup' FROM orders o
                 WHERE o.org_id = %(org_id)s AND o.id = %(order_id)s)
          FROM (SELECT DISTINCT location_id FROM alloc ORDER BY location_id) l
        RETURNING id, location_id
    ),
    lines AS (
        INSERT INTO fulfillment_order_lines (org_id, fulfillment_order_id, line_no, sku_id,
                                             quantity)
        SELECT %(org_id)s, f.id, a.line_no, a.sku_id, sum(a.quantity)
          FROM alloc a JOIN opened f ON f.location_id = a.location_id
         GROUP BY f.id, a.line_no, a.sku_id
    )
    SELECT f.id, l.code FROM opened f JOIN locations l ON l.id = f.location_id
"""


def _open_params(
    *, org_id: int, order_id: int, allocations: Sequence[Allocation]
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "order_id": order_id,
        "allocations": orjson.dumps(allocations).decode(),
    }


def open_fulfillment_orders_at_commit(
    tx: Transaction, *, org_id: int, order_id: int, allocations: Sequence[Allocation]
) -> None:
    if allocations:
        tx.at_commit(_OPEN, _open_params(org_id=org_id, order_id=order_id, allocations=allocations))


async def open_fulfillment_orders(
    conn: AsyncConnection,
    *,
    org_id: int,
    order_id: int,
    allocations: Sequence[Allocation],
) -> dict[str, int]:
    """{location code: new fulfillment order id}."""
    if not allocations:
        return {}
    rows = await fetch_all(
        conn, _OPEN, _open_params(org_id=org_id, order_id=order_id, allocations=allocations)
    )
    return {r.code: r.id for r in rows}


async def open_units(
    conn: AsyncConnection, org_id: int, order_id: int
) -> dict[tuple[int, int], int]:
    """Units the order's open fulfillment orders still hold, per (line_no, location_id)."""
    rows = await conn.execute(
        sa.select(
            fol.c.line_no,
            fo.c.location_id,
            sa.func.sum(fol.c.quantity - fol.c.rejected - fol.c.shipped).label("units"),
        )
        .join(fo, fo.c.id == fol.c.fulfillment_order_id)
        .where(
            fo.c.org_id == org_id,
            fo.c.order_id == order_id,
            fo.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .group_by(fol.c.line_no, fo.c.location_id)
    )
    return {(r.line_no, r.location_id): int(r.units) for r in rows}


@dataclass(frozen=True, slots=True)
class FulfillmentRow:
    id: int
    order_id: int
    location_id: int
    status: str
    pickup: bool
    pick_list_id: int | None
    pickup_code_hash: str | None
    picked_at: datetime | None
    location_code: str
    lines: tuple[FulfillmentLine, ...]

    def line(self, line_no: int) -> FulfillmentLine | None:
        return next((x for x in self.lines if x.line_no == line_no), None)


async def fulfillment_row(
    conn: AsyncConnection, org_id: int, fo_id: int, *, for_update: bool = False
) -> FulfillmentRow | None:
    query = (
        sa.select(fo, locations.c.code.label("location_code"))
        .join(locations, locations.c.id == fo.c.location_id)
        .where(fo.c.org_id == org_id, fo.c.id == fo_id)
    )
    if for_update:
        query = query.with_for_update(of=fo)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    lines = await conn.execute(
        sa.select(fol).where(fol.c.fulfillment_order_id == fo_id).order_by(fol.c.line_no)
    )
    return FulfillmentRow(
        id=row.id,
        order_id=row.order_id,
        location_id=row.location_id,
        status=row.status,
        pickup=row.pickup,
        pick_list_id=row.pick_list_id,
        pickup_code_hash=row.pickup_code_hash,
        picked_at=row.picked_at,
        location_code=row.location_code,
        lines=tuple(
            FulfillmentLine(
                line_no=x.line_no,
                sku_id=x.sku_id,
                quantity=x.quantity,
                rejected=x.rejected,
                picked=x.picked,
                packed=x.packed,
                shipped=x.shipped,
            )
            for x in lines
        ),
    )


async def update_fulfillment_order(
    conn: AsyncConnection, org_id: int, fo_id: int, **values: Any
) -> None:
    await conn.execute(
        sa.update(fo)
        .where(fo.c.org_id == org_id, fo.c.id == fo_id)
        .values(**values, updated_at=sa.func.now())
    )


async def add_to_lines(
    conn: AsyncConnection, fo_id: int, column: str, quantities: dict[int, int]
) -> None:
    """Add units per line number to one counter column (rejected, packed or shipped)."""
    for line_no, units in quantities.items():
        if units:
            await conn.execute(
                sa.update(fol)
                .where(fol.c.fulfillment_order_id == fo_id, fol.c.line_no == line_no)
                .values({column: fol.c[column] + units})
            )


async def set_picked(conn: AsyncConnection, fo_id: int, picked: dict[int, int]) -> None:
    for line_no, units in picked.items():
        await conn.execute(
            sa.update(fol)
            .where(fol.c.fulfillment_order_id == fo_id, fol.c.line_no == line_no)
            .values(picked=units)
        )


async def order_fulfillment_totals(
    conn: AsyncConnection, org_id: int, order_id: int
) -> tuple[int, bool]:
    """(units shipped by all fulfillment orders of the order, every live one delivered)."""
    row = (
        await conn.execute(
            sa.text(
                """
                SELECT coalesce(sum(l.shipped), 0) AS shipped,
                       coalesce(bool_and(f.status = 'delivered')
                                FILTER (WHERE f.status NOT IN ('rejected', 'cancelled')), false)
                           AS delivered
                  FROM fulfillment_orders f
                  JOIN fulfillment_order_lines l ON l.fulfillment_order_id = f.id
                 WHERE f.org_id = :org_id AND f.order_id = :order_id
                """
            ),
            {"org_id": org_id, "order_id": order_id},
        )
    ).one()
    return int(row.shipped), bool(row.delivered)


async def open_fulfillment_order_ids(
    conn: AsyncConnection, org_id: int, order_id: int
) -> list[int]:
    rows = await conn.execute(
        sa.select(fo.c.id)
        .where(
            fo.c.org_id == org_id,
            fo.c.order_id == order_id,
            fo.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(fo.c.id)
        .with_for_update()
    )
    return [r.id for r in rows]


async def insert_parcels(
    conn: AsyncConnection, org_id: int, fo_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        await conn.execute(
            sa.insert(parcels),
            [{"org_id": org_id, "fulfillment_order_id": fo_id, **r} for r in rows],
        )


async def insert_parcel(
    conn: AsyncConnection, org_id: int, fo_id: int, values: dict[str, Any]
) -> int:
    inserted = await conn.execute(
        sa.insert(parcels)
        .values(org_id=org_id, fulfillment_order_id=fo_id, **values)
        .returning(parcels.c.id)
    )
    return int(inserted.scalar_one())


async def sku_names(conn: AsyncConnection, sku_ids: Sequence[int]) -> dict[int, str]:
    """Names of SKUs, read from the catalog's table as the views do."""
    rows = await conn.execute(
        sa.text("SELECT id, name FROM skus WHERE id = ANY(:ids)"), {"ids": list(sku_ids)}
    )
    return {r.id: r.name for r in rows}


async def parcels_of(
    conn: AsyncConnection, org_id: int, fo_id: int, *, for_update: bool = False
) -> list[dict[str, Any]]:
    query = (
        sa.select(parcels)
        .where(parcels.c.org_id == org_id, parcels.c.fulfillment_order_id == fo_id)
        .order_by(parcels.c.id)
    )
    if for_update:
        query = query.with_for_update()
    return [dict(r._mapping) for r in await conn.execute(query)]


async def update_parcel(conn: AsyncConnection, parcel_id: int, **values: Any) -> None:
    await conn.execute(sa.update(parcels).where(parcels.c.id == parcel_id).values(**values))


async def claim_parcels(conn: AsyncConnection, parcel_ids: list[int], purchase_id: int) -> None:
    """The parcels wait for the labels of this purchase; another purchase cannot take them."""
    await conn.execute(
        sa.update(parcels).where(parcels.c.id.in_(parcel_ids)).values(label_purchase_id=purchase_id)
    )


async def release_parcels(conn: AsyncConnection, org_id: int, purchase_id: int) -> None:
    """The parcels a purchase claimed and did not ship are free again."""
    await conn.execute(
        sa.update(parcels)
        .where(
            parcels.c.org_id == org_id,
            parcels.c.label_purchase_id == purchase_id,
            parcels.c.status == "packed",
        )
        .values(label_purchase_id=None)
    )


async def parcels_of_shipment(
    conn: AsyncConnection, org_id: int, shipment_id: int
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(parcels)
        .where(parcels.c.org_id == org_id, parcels.c.shipment_id == shipment_id)
        .with_for_update()
    )
    return [dict(r._mapping) for r in rows]


_VIEW = sa.text(
    """
    SELECT f.*, l.code AS location, o.number AS order_number,
           (SELECT coalesce(json_agg(json_build_object(
                       'line_no', x.line_no, 'sku', s.code, 'name', s.name,
                       'quantity', x.quantity, 'rejected', x.rejected, 'picked', x.picked,
                       'packed', x.packed, 'shipped', x.shipped) ORDER BY x.line_no), '[]')
              FROM fulfillment_order_lines x JOIN skus s ON s.id = x.sku_id
             WHERE x.fulfillment_order_id = f.id) AS lines,
           (SELECT coalesce(json_agg(json_build_object(
                       'id', p.id, 'box', p.box_code, 'length_mm', p.length_mm,
                       'width_mm', p.width_mm, 'height_mm', p.height_mm,
                       'weight_grams', p.weight_grams, 'items', p.items, 'status', p.status,
                       'shipment_id', p.shipment_id, 'tracking_number', p.tracking_number,
                       'carrier', p.carrier, 'service', p.service) ORDER BY p.id), '[]')
              FROM fulfillment_parcels p WHERE p.fulfillment_order_id = f.id) AS parcels
      FROM fulfillment_orders f
      JOIN locations l ON l.id = f.location_id
      JOIN orders o ON o.id = f.order_id
     WHERE f.org_id = :org_id AND f.id = ANY(:ids)
     ORDER BY f.id DESC
    """
)


async def views(conn: AsyncConnection, org_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = await conn.execute(_VIEW, {"org_id": org_id, "ids": list(ids)})
    return [dict(r._mapping) for r in rows]


async def list_ids(
    conn: AsyncConnection,
    org_id: int,
    *,
    location_id: int | None,
    status: str | None,
    order_id: int | None,
    limit: int,
    before_id: int | None,
) -> list[int]:
    query = sa.select(fo.c.id).where(fo.c.org_id == org_id).order_by(fo.c.id.desc()).limit(limit)
    if location_id is not None:
        query = query.where(fo.c.location_id == location_id)
    if status is not None:
        query = query.where(fo.c.status == status)
    if order_id is not None:
        query = query.where(fo.c.order_id == order_id)
    if before_id is not None:
        query = query.where(fo.c.id < before_id)
    return [r.id for r in await conn.execute(query)]


def dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()
