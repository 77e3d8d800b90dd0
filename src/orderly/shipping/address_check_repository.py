"""Queries on address checks: the orders whose address is due a check, and the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.db import row_dict
from orderly.shipping.models import address_checks, carrier_accounts

Row = dict[str, Any]

# Orders to ship that have not shipped anything, placed in the last week, whose address has no
# verdict yet or changed since its last one.
_DUE = sa.text(
    """
    SELECT o.id, o.number, o.shipping_address
      FROM orders o
      LEFT JOIN address_checks ac ON ac.org_id = o.org_id AND ac.order_id = o.id
     WHERE o.org_id = :org_id
       AND o.delivery_method = 'ship'
       AND o.status IN ('allocated', 'backordered', 'on_hold')
       AND o.shipping_address IS NOT NULL
       AND o.created_at > now() - make_interval(days => :days)
       AND (ac.id IS NULL OR ac.address <> o.shipping_address)
       AND (CAST(:order_id AS bigint) IS NULL OR o.id = :order_id)
     ORDER BY o.id
     LIMIT :limit
    """
)


async def orgs_with_outside_carriers(conn: AsyncConnection) -> list[int]:
    """Organizations with an active carrier account other than a rate table."""
    query = (
        sa.select(carrier_accounts.c.org_id)
        .where(carrier_accounts.c.active, carrier_accounts.c.kind != "rate_table")
        .distinct()
        .order_by(carrier_accounts.c.org_id)
    )
    return list((await conn.execute(query)).scalars())


async def orders_due(
    conn: AsyncConnection, org_id: int, *, days: int, limit: int, order_id: int | None = None
) -> list[Row]:
    rows = await conn.execute(
        _DUE, {"org_id": org_id, "days": days, "limit": limit, "order_id": order_id}
    )
    return [row_dict(r) for r in rows]


async def record_verdict(conn: AsyncConnection, org_id: int, order_id: int, values: Row) -> bool:
    """Keep the verdict on this address; False when the same address already has one (another
    run got there first)."""
    insert = pg.insert(address_checks).values(org_id=org_id, order_id=order_id, **values)
    stmt = insert.on_conflict_do_update(
        index_elements=["org_id", "order_id"],
        set_={**{k: insert.excluded[k] for k in values}, "checked_at": sa.func.now()},
        where=address_checks.c.address != insert.excluded.address,
    ).returning(address_checks.c.id)
    return (await conn.execute(stmt)).first() is not None


async def list_checks(
    conn: AsyncConnection,
    org_id: int,
    *,
    verdicts: Sequence[str] | None,
    order_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[Row]:
    query = (
        sa.select(address_checks)
        .where(address_checks.c.org_id == org_id)
        .order_by(address_checks.c.id.desc())
        .limit(limit)
    )
    if verdicts:
        query = query.where(address_checks.c.verdict.in_(list(verdicts)))
    if order_id is not None:
        query = query.where(address_checks.c.order_id == order_id)
    if after_id is not None:
        query = query.where(address_checks.c.id < after_id)
    return [row_dict(r) for r in await conn.execute(query)]
