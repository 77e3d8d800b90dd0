"""Erasing an order's personal data: the buyer's e-mail, name, phone and addresses (the country
stays, for the reports), its notes, what its timeline says of them, and the customer record
once no other order keeps it. docs/operations.md, "Personal data"."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

# Keys of timeline events that may carry personal data.
PERSONAL_KEYS = ("address", "shipping_address", "billing_address", "email", "customer", "phone",
                 "name", "recipient")  # fmt: skip

_ERASE = sa.text(
    """
    WITH chosen AS (
        SELECT id, customer_id FROM orders
         WHERE org_id = :org_id AND id = ANY(CAST(:ids AS bigint[]))
           AND personal_data_erased_at IS NULL
         FOR UPDATE
    ),
    erased AS (
        UPDATE orders o
           SET customer_email = NULL, customer_id = NULL, billing_address = NULL, notes = NULL,
               shipping_address = CASE WHEN o.shipping_address IS NULL THEN NULL
                   ELSE jsonb_build_object('country', o.shipping_address ->> 'country') END,
               personal_data_erased_at = now(), updated_at = now()
          FROM chosen c WHERE o.id = c.id
        RETURNING o.id
    )
    SELECT c.id, c.customer_id FROM chosen c JOIN erased e ON e.id = c.id
    """
)

_EVENTS = sa.text(
    """
    UPDATE order_events SET data = data - CAST(:keys AS text[])
     WHERE org_id = :org_id AND order_id = ANY(CAST(:ids AS bigint[]))
    """
)

# A customer no order refers to any more keeps its id (store credit, statistics) and nothing
# that names the person.
_ANONYMIZE = sa.text(
    """
    UPDATE customers c
       SET email = 'erased-' || c.id || '@erased.invalid', name = NULL, phone = NULL,
           addresses = '[]', updated_at = now()
     WHERE c.org_id = :org_id AND c.id = ANY(CAST(:ids AS bigint[]))
       AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.org_id = c.org_id AND o.customer_id = c.id)
    """
)


async def erase_orders(conn: AsyncConnection, org_id: int, order_ids: Sequence[int]) -> list[int]:
    """Erase the orders' personal data (those not erased before); answers the ones erased."""
    rows = (await conn.execute(_ERASE, {"org_id": org_id, "ids": list(order_ids)})).all()
    erased = sorted(r.id for r in rows)
    if not erased:
        return []
    await conn.execute(_EVENTS, {"org_id": org_id, "ids": erased, "keys": list(PERSONAL_KEYS)})
    customers = sorted({r.customer_id for r in rows if r.customer_id is not None})
    await anonymize_customers(conn, org_id, customers)
    return erased


async def anonymize_customers(conn: AsyncConnection, org_id: int, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(_ANONYMIZE, {"org_id": org_id, "ids": list(ids)})


async def orders_of_customer(conn: AsyncConnection, org_id: int, email: str) -> list[int]:
    rows = await conn.execute(
        sa.text(
            "SELECT o.id FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
            " WHERE o.org_id = :org_id AND (lower(o.customer_email) = lower(:email)"
            " OR lower(c.email) = lower(:email))"
        ),
        {"org_id": org_id, "email": email},
    )
    return list(rows.scalars())


async def customer_ids(conn: AsyncConnection, org_id: int, email: str) -> list[int]:
    rows = await conn.execute(
        sa.text("SELECT id FROM customers WHERE org_id = :org_id AND lower(email) = lower(:email)"),
        {"org_id": org_id, "email": email},
    )
    return list(rows.scalars())
