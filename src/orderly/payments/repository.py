"""Refund and store-credit queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.payments.models import refunds, store_credit_accounts, store_credit_ledger


async def refund_by_key(conn: AsyncConnection, org_id: int, key: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(refunds).where(refunds.c.org_id == org_id, refunds.c.idempotency_key == key)
        )
    ).first()
    return dict(row._mapping) if row else None


async def refunded_total(conn: AsyncConnection, org_id: int, order_id: int) -> int:
    """What the order's refunds gave back, or are giving back (pending)."""
    total = (
        await conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0)).where(
                refunds.c.org_id == org_id,
                refunds.c.order_id == order_id,
                refunds.c.status != "failed",
            )
        )
    ).scalar_one()
    return int(total)


# Written `pending`, before any provider hears of it; the caller holds the order row's lock and
# has checked the amount against what the payments may still give back (whose table's check is
# the last guard).
_INSERT = sa.text(
    """
    INSERT INTO refunds (org_id, order_id, return_id, amount_minor, currency, destination,
                         provider, provider_reference, status, idempotency_key, reason,
                         created_by)
    VALUES (:org_id, :order_id, CAST(:return_id AS bigint), CAST(:amount AS bigint),
            CAST(:currency AS text), CAST(:destination AS text), CAST(:provider AS text),
            CAST(:provider_reference AS text), 'pending', CAST(:key AS text),
            CAST(:reason AS text), CAST(:actor AS text))
    RETURNING *
    """
)


async def insert_refund(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    return dict((await conn.execute(_INSERT, values)).one()._mapping)


async def finish_refund(
    conn: AsyncConnection, refund_id: int, provider_reference: str | None
) -> dict[str, Any]:
    """The refund once its parts were sent: succeeded when none waits for a provider."""
    await settle_refund(conn, refund_id, succeeded=True)
    row = await conn.execute(
        sa.update(refunds)
        .where(refunds.c.id == refund_id)
        .values(
            provider_reference=sa.func.coalesce(refunds.c.provider_reference, provider_reference)
        )
        .returning(refunds)
    )
    return dict(row.one()._mapping)


async def settle_refund(
    conn: AsyncConnection,
    refund_id: int | None,
    *,
    succeeded: bool,
    provider_reference: str | None = None,
) -> None:
    """A refund fails when any of its operations was declined, and succeeds once the last
    of them has; the first provider reference given (the provider's refund id) is kept."""
    if refund_id is None:
        return
    if not succeeded:
        await conn.execute(
            sa.update(refunds).where(refunds.c.id == refund_id).values(status="failed")
        )
        return
    await conn.execute(
        sa.text(
            """
            UPDATE refunds SET status = 'succeeded'
             WHERE id = :id AND status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM payment_operations
                                WHERE refund_id = :id AND status = 'pending')
            """
        ),
        {"id": refund_id},
    )
    if provider_reference is not None:
        await conn.execute(
            sa.update(refunds)
            .where(refunds.c.id == refund_id)
            .values(
                provider_reference=sa.func.coalesce(
                    refunds.c.provider_reference, provider_reference
                )
            )
        )


async def list_refunds(conn: AsyncConnection, org_id: int, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(refunds)
        .where(refunds.c.org_id == org_id, refunds.c.order_id == order_id)
        .order_by(refunds.c.id)
    )
    return [dict(r._mapping) for r in rows]


_CREDIT = sa.text(
    """
    WITH account AS (
        INSERT INTO store_credit_accounts (org_id, customer_id, currency, balance_minor)
        VALUES (:org_id, :customer_id, :currency, :amount)
        ON CONFLICT (org_id, customer_id, currency) DO UPDATE
           SET balance_minor = store_credit_accounts.balance_minor + EXCLUDED.balance_minor,
               updated_at = now()
        RETURNING id, balance_minor
    ),
    entry AS (
        INSERT INTO store_credit_ledger (org_id, account_id, delta_minor, reason, refund_id,
                                         order_id, actor)
        SELECT :org_id, account.id, CAST(:amount AS bigint), CAST(:reason AS text),
               CAST(:refund_id AS bigint), CAST(:order_id AS bigint), CAST(:actor AS text)
          FROM account
    )
    SELECT balance_minor FROM account
    """
)


async def add_store_credit(
    conn: AsyncConnection,
    *,
    org_id: int,
    customer_id: int,
    currency: str,
    amount_minor: int,
    reason: str,
    refund_id: int | None,
    order_id: int | None,
    actor: str,
) -> int:
    balance: int = (
        await conn.execute(
            _CREDIT,
            {
                "org_id": org_id,
                "customer_id": customer_id,
                "currency": currency,
                "amount": amount_minor,
                "reason": reason,
                "refund_id": refund_id,
                "order_id": order_id,
                "actor": actor,
            },
        )
    ).scalar_one()
    return balance


async def store_credit_of(
    conn: AsyncConnection, org_id: int, customer_id: int
) -> list[dict[str, Any]]:
    a, entry = store_credit_accounts, store_credit_ledger
    accounts = await conn.execute(
        sa.select(a.c.id, a.c.currency, a.c.balance_minor)
        .where(a.c.org_id == org_id, a.c.customer_id == customer_id)
        .order_by(a.c.currency)
    )
    result = []
    for account in accounts:
        entries = await conn.execute(
            sa.select(
                entry.c.delta_minor,
                entry.c.reason,
                entry.c.refund_id,
                entry.c.order_id,
                entry.c.created_at,
            )
            .where(entry.c.org_id == org_id, entry.c.account_id == account.id)
            .order_by(entry.c.id)
        )
        result.append({**account._mapping, "entries": [dict(e._mapping) for e in entries]})
    return result
