"""Customers, as captured with their orders: contact details and an address book."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.kit.errors import NotFound
from orderly.kit.pagination import Page, encode_cursor, id_cursor
from orderly.orders.models import customers, orders


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class CustomerOut(BaseModel):
    id: int
    email: str
    name: str | None
    phone: str | None
    addresses: list[dict[str, Any]]
    order_count: int
    created_at: datetime
    updated_at: datetime


def _select() -> sa.Select[Any]:
    order_count = (
        sa.select(sa.func.count())
        .where(orders.c.org_id == customers.c.org_id, orders.c.customer_id == customers.c.id)
        .scalar_subquery()
    )
    return sa.select(customers, order_count.label("order_count")).order_by(customers.c.id.desc())


async def get_customer(conn: AsyncConnection, org_id: int, customer_id: int) -> CustomerOut:
    row = (
        await conn.execute(
            _select().where(customers.c.org_id == org_id, customers.c.id == customer_id)
        )
    ).first()
    if row is None:
        raise CustomerNotFound(f"no customer {customer_id}")
    return CustomerOut.model_validate(dict(row._mapping))


async def list_customers(
    conn: AsyncConnection,
    org_id: int,
    *,
    email: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> Page[CustomerOut]:
    query = _select().where(customers.c.org_id == org_id).limit(limit + 1)
    if cursor:
        query = query.where(customers.c.id < id_cursor(cursor))
    if email:
        query = query.where(customers.c.email == email.strip())
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(customers.c.email.ilike(pattern), customers.c.name.ilike(pattern))
        )
    rows = (await conn.execute(query)).all()
    items = [CustomerOut.model_validate(dict(r._mapping)) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)
