"""Reading orders: one order with everything on it, lists with filters, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.catalog.models import skus
from orderly.channels.models import channels
from orderly.locations.models import locations
from orderly.orders.models import (
    customers,
    order_allocations,
    order_events,
    order_lines,
    orders,
)

_ORDER = sa.text(
    """
    SELECT o.*, c.code AS channel_code, cu.name AS customer_name, cu.phone AS customer_phone,
           pl.code AS pickup_code,
           (SELECT coalesce(json_agg(json_build_object(
                       'line_no', ol.line_no, 'sku', s.code, 'sku_id', ol.sku_id,
                       'quantity', ol.quantity, 'unit_price_minor', ol.unit_price_minor,
                       'discount_minor', ol.discount_minor, 'tax_minor', ol.tax_minor,
                       'total_minor', ol.total_minor) ORDER BY ol.line_no), '[]')
              FROM order_lines ol JOIN skus s ON s.id = ol.sku_id
             WHERE ol.order_id = o.id) AS lines,
           (SELECT coalesce(json_agg(json_build_object(
                       'line_no', a.line_no, 'sku_id', a.sku_id, 'location_id', a.location_id,
                       'location', l.code, 'quantity', a.quantity, 'status', a.status)
                       ORDER BY a.id), '[]')
              FROM order_allocations a JOIN locations l ON l.id = a.location_id
             WHERE a.order_id = o.id) AS allocations
      FROM orders o
      JOIN channels c ON c.id = o.channel_id
      LEFT JOIN customers cu ON cu.id = o.customer_id
      LEFT JOIN locations pl ON pl.id = o.pickup_location_id
     WHERE o.org_id = :org_id AND o.id = :order_id
    """
)


async def order_row(
    conn: AsyncConnection, org_id: int, order_id: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    if for_update:
        locked = await conn.execute(
            sa.select(orders.c.id)
            .where(orders.c.org_id == org_id, orders.c.id == order_id)
            .with_for_update()
        )
        if locked.first() is None:
            return None
    row = (await conn.execute(_ORDER, {"org_id": org_id, "order_id": order_id})).first()
    return dict(row._mapping) if row else None


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: str | None = None
    channel: str | None = None
    location: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    customer_email: str | None = None
    sku: str | None = None
    tag: str | None = None
    # Free text: part of the number, e-mail or customer name, or an exact SKU or external id.
    search: str | None = None
    # Only orders with units allocated at one of these locations (a location-limited user).
    location_ids: tuple[int, ...] | None = None


async def list_orders(
    conn: AsyncConnection, org_id: int, filters: OrderFilters, *, limit: int, after_id: int | None
) -> list[dict[str, Any]]:
    query = (
        sa.select(
            orders.c.id,
            orders.c.number,
            channels.c.code.label("channel"),
            orders.c.external_id,
            orders.c.status,
            orders.c.hold_reasons,
            orders.c.currency,
            orders.c.customer_email,
            orders.c.total_minor,
            orders.c.created_at,
        )
        .join(channels, channels.c.id == orders.c.channel_id)
        .where(orders.c.org_id == org_id)
        .order_by(orders.c.id.desc())
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(orders.c.id < after_id)
    if filters.status:
        query = query.where(orders.c.status == filters.status)
    if filters.channel:
        # The channel's id as a value, so the planner can read (status, channel) from one index.
        channel_id = (
            sa.select(channels.c.id)
            .where(channels.c.org_id == org_id, channels.c.code == filters.channel)
            .scalar_subquery()
        )
        query = query.where(orders.c.channel_id == channel_id)
    if filters.customer_email:
        query = query.where(orders.c.customer_email == filters.customer_email.strip())
    if filters.created_from:
        query = query.where(orders.c.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(orders.c.created_at < filters.created_to)
    if filters.tag:
        query = query.where(orders.c.tags.any(filters.tag))
    if filters.location:
        query = query.where(
            sa.exists()
            .where(order_allocations.c.order_id == orders.c.id)
            .where(order_allocations.c.org_id == org_id)
            .where(order_allocations.c.location_id == locations.c.id)
            .where(locations.c.org_id == org_id, locations.c.code == filters.location)
        )
    if filters.search and filters.search.strip():
        query = query.where(_matches(org_id, filters.search.strip()))
    if filters.location_ids is not None:
        query = query.where(
            sa.exists()
            .where(order_allocations.c.order_id == orders.c.id)
            .where(order_allocations.c.org_id == org_id)
            .where(order_allocations.c.location_id.in_(filters.location_ids))
        )
    if filters.sku:
        query = query.where(
            sa.exists()
            .where(order_lines.c.order_id == orders.c.id)
            .where(order_lines.c.org_id == org_id)
            .where(order_lines.c.sku_id == skus.c.id)
            .where(skus.c.org_id == org_id, skus.c.code == filters.sku)
        )
    return [dict(r._mapping) for r in await conn.execute(query)]


def _matches(org_id: int, term: str) -> sa.ColumnElement[bool]:
    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        orders.c.number.ilike(like),
        orders.c.customer_email.ilike(like),
        orders.c.external_id == term,
        sa.exists()
        .where(customers.c.id == orders.c.customer_id)
        .where(customers.c.org_id == org_id, customers.c.name.ilike(like)),
        sa.exists()
        .where(order_lines.c.order_id == orders.c.id)
        .where(order_lines.c.org_id == org_id)
        .where(order_lines.c.sku_id == skus.c.id)
        .where(skus.c.org_id == org_id, skus.c.code == term),
    )


async def list_events(
    conn: AsyncConnection, org_id: int, order_id: int, *, limit: int, after_id: int | None
) -> list[dict[str, Any]]:
    query = (
        sa.select(
            order_events.c.id,
            order_events.c.type,
            order_events.c.data,
            order_events.c.actor,
            order_events.c.created_at,
        )
        .where(order_events.c.org_id == org_id, order_events.c.order_id == order_id)
        .order_by(order_events.c.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(order_events.c.id > after_id)
    return [dict(r._mapping) for r in await conn.execute(query)]


# Returns read what left the building: units per line from `shipped` allocations, and when
# the order last shipped or was delivered (the start of its return window).
_SHIPPED = sa.text(
    """
    SELECT (SELECT coalesce(json_object_agg(x.line_no, x.units), '{}')
              FROM (SELECT a.line_no, sum(a.quantity) AS units
                      FROM order_allocations a
                     WHERE a.org_id = :org_id AND a.order_id = :order_id
                       AND a.status = 'shipped'
                     GROUP BY a.line_no) x) AS units,
           (SELECT max(greatest(fo.shipped_at, fo.delivered_at))
              FROM fulfillment_orders fo
             WHERE fo.org_id = :org_id AND fo.order_id = :order_id) AS last_shipped_at
    """
)


@dataclass(frozen=True, slots=True)
class ShippedUnits:
    by_line: dict[int, int]
    last_shipped_at: datetime | None


async def shipped_units(conn: AsyncConnection, org_id: int, order_id: int) -> ShippedUnits:
    row = (await conn.execute(_SHIPPED, {"org_id": org_id, "order_id": order_id})).one()
    return ShippedUnits(
        by_line={int(k): int(v) for k, v in row.units.items()},
        last_shipped_at=row.last_shipped_at,
    )


async def order_id_by_number(conn: AsyncConnection, org_id: int, number: str) -> int | None:
    found: int | None = (
        await conn.execute(
            sa.select(orders.c.id).where(orders.c.org_id == org_id, orders.c.number == number)
        )
    ).scalar_one_or_none()
    return found
